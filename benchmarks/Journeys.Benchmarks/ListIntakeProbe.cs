using System.Diagnostics;
using System.Globalization;
using Journeys.Messaging;
using Journeys.Model;
using Journeys.Runtime;
using Journeys.PostgreSql;
using Journeys.Sqlite;
using Journeys.Storage;
using Journeys.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Journeys.Benchmarks;

/// <summary>
/// Not BenchmarkDotNet: a customer-list journey's activation (its intake: the list enrolled in chunks of 1,000, each
/// chunk checked against the stored journey afterwards) on a fresh store per run, the engine not started, so the time
/// is the intake's alone. Prints per run the activation's wall time, enrollments/s and how many times the journey store
/// was read and how long those reads took.
/// Run: <c>dotnet run -c Release --project benchmarks/Journeys.Benchmarks -- list-intake [ids=100000] [runs=2] [sqlite|memory|postgres]</c>
/// (<c>postgres</c>: the server of <c>JOURNEYS_TEST_POSTGRES</c>, a fresh schema per run, dropped after it).
/// </summary>
internal static class ListIntakeProbe
{
    public static async Task RunAsync(int ids, int runs, string store)
    {
        var sqlite = store == "sqlite";
        var postgres = store == "postgres";
        var connectionString = postgres
            ? Environment.GetEnvironmentVariable(PostgreSqlStoreBenchmarks.ServerVariable) is { Length: > 0 } value ? value : throw new InvalidOperationException($"Set {PostgreSqlStoreBenchmarks.ServerVariable} to a PostgreSQL connection string.")
            : null;
        var folder = Path.Combine(Path.GetTempPath(), "journeys-list-intake", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var customerIds = Enumerable.Range(0, ids).Select(BenchmarkData.CustomerId).ToArray();
            for (var run = 1; run <= runs; run++)
            {
                var file = Path.Combine(folder, $"run{run}.db");
                var schema = "bench_" + Guid.NewGuid().ToString("N");
                await using var dataSource = connectionString is null ? null : new NpgsqlDataSourceBuilder(connectionString).Build();
                var reads = new Tally();
                var services = new ServiceCollection();
                services.AddJourneys(j =>
                {
                    j.AddSender(Channel.Email, NullChannelSender.Instance)
                        .AddSender(Channel.Push, NullChannelSender.Instance)
                        .AddCampaigns(BenchmarkData.Campaigns.Campaigns);
                    if (sqlite)
                    {
                        j.UseSqlite($"Data Source={file}");
                    }
                    else if (dataSource is not null)
                    {
                        j.UsePostgreSql(dataSource, o => o.SchemaName = schema);
                    }
                });
                CountingJourneyStore.Decorate(services, reads);
                await using var provider = services.BuildServiceProvider();
                await provider.GetRequiredService<ICustomerStore>().SaveSchemaAsync(BenchmarkData.Schema);
                var manager = provider.GetRequiredService<IJourneyManager>();
                var journey = BenchmarkData.ThroughputJourney(customerIds);
                await manager.CreateAsync(journey);
                reads.Reset();
                var watch = Stopwatch.StartNew();
                var (_, enrolled) = await manager.ActivateAsync(journey.Id);
                var elapsed = watch.Elapsed;
                if (dataSource is not null)
                {
                    await using var drop = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE");
                    await drop.ExecuteNonQueryAsync();
                }

                if (enrolled != ids)
                {
                    throw new InvalidOperationException($"Enrolled {enrolled} customers, expected {ids}.");
                }

                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"run {run}: {ids:N0} ids on {store}: activation {elapsed.TotalMilliseconds:N0} ms, {ids / elapsed.TotalSeconds:N0} enrollments/s; journey store reads {reads.Count:N0} taking {reads.Elapsed.TotalMilliseconds:N0} ms"));
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Counts and times the journey store's reads of a journey (latest or one version).</summary>
    private sealed class CountingJourneyStore(IJourneyStore inner, Tally tally) : DelegatingJourneyStore(inner)
    {
        public static void Decorate(ServiceCollection services, Tally tally)
        {
            var descriptor = services.Last(d => d.ServiceType == typeof(IJourneyStore));
            services.Remove(descriptor);
            services.AddSingleton<IJourneyStore>(sp => new CountingJourneyStore(
                descriptor.ImplementationInstance as IJourneyStore
                    ?? (IJourneyStore)(descriptor.ImplementationFactory?.Invoke(sp) ?? ActivatorUtilities.CreateInstance(sp, descriptor.ImplementationType!)),
                tally));
        }

        public override async ValueTask<JourneyRecord?> GetAsync(string journeyId, CancellationToken cancellationToken = default)
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                return await base.GetAsync(journeyId, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                tally.Add(Stopwatch.GetElapsedTime(start));
            }
        }

        public override async ValueTask<JourneyRecord?> GetVersionAsync(string journeyId, int version, CancellationToken cancellationToken = default)
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                return await base.GetVersionAsync(journeyId, version, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                tally.Add(Stopwatch.GetElapsedTime(start));
            }
        }
    }

    internal sealed class Tally
    {
        private long _count;
        private long _ticks;

        public long Count => Interlocked.Read(ref _count);

        public TimeSpan Elapsed => TimeSpan.FromTicks(Interlocked.Read(ref _ticks));

        public void Add(TimeSpan elapsed)
        {
            Interlocked.Increment(ref _count);
            Interlocked.Add(ref _ticks, elapsed.Ticks);
        }

        public void Reset()
        {
            Interlocked.Exchange(ref _count, 0);
            Interlocked.Exchange(ref _ticks, 0);
        }
    }
}
