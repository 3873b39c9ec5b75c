using System.Diagnostics;
using System.Globalization;
using Journeys.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Benchmarks;

/// <summary>
/// Not BenchmarkDotNet: the engine on a fresh SQLite file per run, the five-step journey, timed with a Stopwatch and
/// printed per phase, so a profiler (<c>dotnet-trace collect -- dotnet ... sqlite-profile</c>) sees a long steady run.
/// Run: <c>dotnet run -c Release --project benchmarks/Journeys.Benchmarks -- sqlite-profile [customers=20000] [runs=3] [normal|full]</c>.
/// </summary>
internal static class SqliteProfile
{
    public static async Task RunAsync(int customers, int runs, SqliteSynchronousMode synchronous)
    {
        var folder = Path.Combine(Path.GetTempPath(), "journeys-sqlite-profile", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            for (var run = 1; run <= runs; run++)
            {
                var file = Path.Combine(folder, $"run{run}.db");
                var tally = new CheckpointCounter.Tally();
                var allocated = GC.GetTotalAllocatedBytes();
                await using var scenario = await EngineScenario.StartAsync(
                    customers,
                    Environment.ProcessorCount,
                    configureJourneys: j => j.UseSqlite($"Data Source={file}", o => o.Synchronous = synchronous),
                    configureServices: services => CheckpointCounter.Decorate(services, tally));
                var watch = Stopwatch.StartNew();
                await scenario.RunAsync(
                    (phase, elapsed) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"run {run}: {phase}: {elapsed.TotalMilliseconds:N0} ms")),
                    waitForSends: true);
                var seconds = watch.Elapsed.TotalSeconds;
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"run {run}: {customers:N0} customers, synchronous={synchronous}: {tally.Count / seconds:N0} checkpoints/s, {BenchmarkData.StepsPerCustomer * customers / seconds:N0} node steps/s (sends included), {(GC.GetTotalAllocatedBytes() - allocated) / customers:N0} B allocated per customer"));
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }
}
