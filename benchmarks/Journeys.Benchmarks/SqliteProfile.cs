using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Journeys.Model;
using Journeys.Sqlite;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Benchmarks;

/// <summary>
/// Not BenchmarkDotNet: the engine on a fresh SQLite file per run, the five-step journey, timed with a Stopwatch and
/// printed per phase, so a profiler (<c>dotnet-trace collect -- dotnet ... sqlite-profile</c>) sees a long steady run.
/// Run: <c>dotnet run -c Release --project benchmarks/Journeys.Benchmarks -- sqlite-profile [customers=20000] [runs=3] [normal|full]</c>.
/// Prints per run the node steps/s, the bytes allocated and the process CPU time of the timed part, and the writer's
/// time per operation. With <c>JOURNEYS_BENCH_ALLOC_TYPES=1</c> also the sampled allocations by type (<see cref="AllocationSampler"/>).
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
                using var writes = new WriterTimes();
                using var sampler = AllocationSampler.Enabled ? new AllocationSampler() : null;
                sampler?.Start();
                var runAllocated = GC.GetTotalAllocatedBytes();
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var watch = Stopwatch.StartNew();
                await scenario.RunAsync(
                    (phase, elapsed) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"run {run}: {phase}: {elapsed.TotalMilliseconds:N0} ms")),
                    waitForSends: true);
                var seconds = watch.Elapsed.TotalSeconds;
                var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds;
                var runBytes = GC.GetTotalAllocatedBytes() - runAllocated;
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"run {run}: {customers:N0} customers, synchronous={synchronous}: {tally.Count / seconds:N0} checkpoints/s, {BenchmarkData.StepsPerCustomer * customers / seconds:N0} node steps/s (sends included), {(GC.GetTotalAllocatedBytes() - allocated) / customers:N0} B allocated per customer with setup, {runBytes / customers:N0} B per customer in the run ({runBytes / 1e6:N1} MB), process CPU {cpuMs:N0} ms ({cpuMs * 1000 / customers:N1} µs per customer), {scenario.Polls:N0} statistics polls"));
                sampler?.StopAndPrint(runBytes, customers);
                writes.Print($"run {run}");
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// The enroll path alone (no engine running): N enrollment requests of one journey, in the engine's batches of 1,000
    /// (one <see cref="IEnrollmentStore.EnrollAsync"/> call, one transaction each), on a fresh file per run.
    /// Run: <c>dotnet run -c Release --project benchmarks/Journeys.Benchmarks -- sqlite-enroll [customers=20000] [runs=3] [normal|full]</c>.
    /// </summary>
    public static async Task EnrollAsync(int customers, int runs, SqliteSynchronousMode synchronous)
    {
        const int Batch = 1_000;
        var folder = Path.Combine(Path.GetTempPath(), "journeys-sqlite-enroll", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var rules = EntryRules.Default;
            for (var run = 1; run <= runs; run++)
            {
                var file = Path.Combine(folder, $"run{run}.db");
                var services = new ServiceCollection();
                services.AddJourneys(j => j.UseSqlite($"Data Source={file}", o => o.Synchronous = synchronous));
                await using var provider = services.BuildServiceProvider();
                var store = provider.GetRequiredService<IEnrollmentStore>();
                var now = DateTimeOffset.UtcNow;
                var requests = new EnrollmentRequest[customers];
                for (var i = 0; i < customers; i++)
                {
                    requests[i] = new EnrollmentRequest(Guid.CreateVersion7(now), "enroll-profile", 1, BenchmarkData.CreateCustomer(i).Id, "start", now, rules, ["goal"]);
                }

                using var writes = new WriterTimes();
                var watch = Stopwatch.StartNew();
                var created = 0;
                for (var start = 0; start < customers; start += Batch)
                {
                    var outcomes = await store.EnrollAsync(new ArraySegment<EnrollmentRequest>(requests, start, Math.Min(Batch, customers - start)));
                    created += outcomes.Count(o => o.Kind == EnrollmentOutcomeKind.Created);
                }

                var seconds = watch.Elapsed.TotalSeconds;
                if (created != customers)
                {
                    throw new InvalidOperationException($"Created {created} enrollments, expected {customers}.");
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"run {run}: {customers:N0} enrollments, synchronous={synchronous}: {watch.Elapsed.TotalMilliseconds:N0} ms, {customers / seconds:N0} enrollments/s"));
                writes.Print($"run {run}");
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// Sums the store's <c>journeys.sqlite.write.wait</c> and <c>journeys.sqlite.write.duration</c> per operation while
    /// alive: how long each kind of write held the single writer connection, and how long it queued for it.
    /// </summary>
    private sealed class WriterTimes : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Dictionary<string, (long Count, double Wait, double Hold)> _totals = new(StringComparer.Ordinal);
        private readonly Lock _lock = new();

        public WriterTimes()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "Journeys" && instrument.Name.StartsWith("journeys.sqlite.write.", StringComparison.Ordinal))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
            {
                var operation = "?";
                foreach (var tag in tags)
                {
                    if (tag.Key == "journeys.sqlite.operation")
                    {
                        operation = tag.Value as string ?? "?";
                    }
                }

                var wait = instrument.Name == "journeys.sqlite.write.wait";
                lock (_lock)
                {
                    var total = _totals.GetValueOrDefault(operation);
                    _totals[operation] = wait ? (total.Count + 1, total.Wait + value, total.Hold) : (total.Count, total.Wait, total.Hold + value);
                }
            });
            _listener.Start();
        }

        public void Print(string prefix)
        {
            lock (_lock)
            {
                foreach (var (operation, (count, wait, hold)) in _totals.OrderByDescending(t => t.Value.Hold))
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{prefix}: writer {operation}: {count:N0} writes, held {hold * 1000:N0} ms, waited {wait * 1000:N0} ms"));
                }
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
