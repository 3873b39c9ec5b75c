using System.Diagnostics;
using System.Globalization;
using Journeys.Model;
using Journeys.Sqlite;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Benchmarks;

/// <summary>
/// Not BenchmarkDotNet: the SQLite store alone (no engine), on a fresh file per probe, where a read's cost could grow
/// with the data already stored (RESULTS.md, thirty-third session).
/// </summary>
internal static class SqliteScaleProbes
{
    /// <summary>
    /// Not BenchmarkDotNet: the SQLite store's claims of timers that all fall due at one instant (a "wait until 09:00" of
    /// a whole audience), no engine. N enrollments are made to wait until the same instant; then they are claimed 512 at
    /// a time (the engine's claim size with 2 shards) until none is left, and the first claim's time and the whole drain
    /// are printed. Run: <c>dotnet run -c Release --project benchmarks/Journeys.Benchmarks -- timer-ties [timers=200000]</c>.
    /// </summary>
    public static Task TimerTiesAsync(int timers) => WithStoreAsync("journeys-timer-ties", async store =>
    {
        const int Batch = 1_000;
        var t0 = DateTimeOffset.UtcNow;
        var wakeAt = t0.AddHours(1);
        var lease = TimeSpan.FromMinutes(5);
        var setup = Stopwatch.StartNew();
        for (var start = 0; start < timers; start += Batch)
        {
            var requests = Enumerable.Range(start, Math.Min(Batch, timers - start))
                .Select(i => new EnrollmentRequest(Guid.CreateVersion7(t0), "ties", 1, BenchmarkData.CustomerId(i), "wait", t0, EntryRules.Default, EquatableArray<string>.Empty))
                .ToArray();
            await store.EnrollAsync(requests);
            var claimed = await store.ClaimAsync("setup", t0, Batch, lease);
            var waiting = claimed.Select(item => new EnrollmentCheckpoint(
                item.Enrollment with { Status = EnrollmentStatus.Waiting, CurrentNodeId = "wait", WakeAt = wakeAt, Visit = item.Enrollment.Visit + 1 },
                item.Enrollment.ConcurrencyToken,
                [],
                [],
                [])).ToArray();
            await store.CommitAsync("setup", waiting);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{timers:N0} timers due at one instant, set up in {setup.Elapsed.TotalSeconds:N1} s"));
        var due = wakeAt.AddMinutes(1);
        var watch = Stopwatch.StartNew();
        var first = TimeSpan.Zero;
        var claims = 0;
        var total = 0;
        while (true)
        {
            var items = await store.ClaimAsync("engine", due, 512, lease);
            if (items.Count == 0)
            {
                break;
            }

            claims++;
            total += items.Count;
            if (claims == 1)
            {
                first = watch.Elapsed;
            }
        }

        if (total != timers)
        {
            throw new InvalidOperationException($"Claimed {total} timers, expected {timers}.");
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"first claim of 512: {first.TotalMilliseconds:N1} ms; all {total:N0} in {claims:N0} claims: {watch.Elapsed.TotalMilliseconds:N0} ms ({watch.Elapsed.TotalMilliseconds / claims:N1} ms per claim)"));
    });

    /// <summary>
    /// The SQLite store's entry of customers who already have many enrollments (each sending is a journey that leaves
    /// one per customer): <paramref name="customers"/> customers enrolled in <paramref name="history"/> journeys first,
    /// then one batch of entries of all of them into a new journey, timed (median of 5 new journeys).
    /// Run: <c>dotnet run -c Release --project benchmarks/Journeys.Benchmarks -- entry-history [customers=1000] [history=300]</c>.
    /// </summary>
    public static Task EntryHistoryAsync(int customers, int history) => WithStoreAsync("journeys-entry-history", async store =>
    {
        var t0 = DateTimeOffset.UtcNow;
        EnrollmentRequest[] Requests(string journeyId) => [.. Enumerable.Range(0, customers).Select(i =>
            new EnrollmentRequest(Guid.CreateVersion7(t0), journeyId, 1, BenchmarkData.CustomerId(i), "start", t0, EntryRules.Default, EquatableArray<string>.Empty))];
        var setup = Stopwatch.StartNew();
        for (var j = 0; j < history; j++)
        {
            await store.EnrollAsync(Requests($"sending-{j}"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{customers:N0} customers × {history:N0} earlier enrollments set up in {setup.Elapsed.TotalSeconds:N1} s"));
        var times = new List<double>();
        for (var round = 0; round < 5; round++)
        {
            var requests = Requests($"new-{round}");
            var watch = Stopwatch.StartNew();
            var outcomes = await store.EnrollAsync(requests);
            times.Add(watch.Elapsed.TotalMilliseconds);
            if (outcomes.Count(o => o.Kind == EnrollmentOutcomeKind.Created) != customers)
            {
                throw new InvalidOperationException("Not every entry was created.");
            }
        }

        times.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"one batch of {customers:N0} entries into a new journey: median {times[2]:N1} ms [{times[0]:N1}–{times[4]:N1}]"));

        // Events of these customers (one each, ten batches of 100): each may wake the customer's waiting enrollments.
        var eventsWatch = Stopwatch.StartNew();
        for (var start = 0; start < customers; start += 100)
        {
            var events = Enumerable.Range(start, Math.Min(100, customers - start))
                .Select(i => new CustomerEvent(BenchmarkData.CustomerId(i), "viewed", System.Collections.Immutable.ImmutableDictionary<string, FieldValue>.Empty, t0))
                .ToArray();
            await store.AppendNewEventsAsync(events, t0, t0.AddDays(-1));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{customers:N0} events appended (one per customer, batches of 100): {eventsWatch.Elapsed.TotalMilliseconds / customers * 1000:N0} µs per event"));

        // What a feedback event reads: one enrollment of the customer, by the customer's whole history or by its key.
        var last = (await store.GetByCustomerAsync(BenchmarkData.CustomerId(0))).Select(e => e.Id).ToArray();

        var byHistory = Stopwatch.StartNew();
        for (var i = 0; i < customers; i++)
        {
            _ = (await store.GetByCustomerAsync(BenchmarkData.CustomerId(i))).FirstOrDefault(e => e.Id == last[0]);
        }

        var historyMs = byHistory.Elapsed.TotalMilliseconds;
        var byKey = Stopwatch.StartNew();
        for (var i = 0; i < customers; i++)
        {
            _ = await store.GetAsync(BenchmarkData.CustomerId(i), last[0]);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"one enrollment of each of the {customers:N0} customers: through GetByCustomerAsync {historyMs / customers * 1000:N0} µs each, through GetAsync(customer, id) {byKey.Elapsed.TotalMilliseconds / customers * 1000:N0} µs each"));
    });

    /// <summary>
    /// The SQLite store's hourly purge of customer events (<see cref="IEnrollmentStore.PurgeEventsAsync"/>, run by the
    /// engine every hour with the default one-day <c>EventRetention</c>): N events spread over one day (100,000
    /// customers), then the first hour purged while one publisher appends single events (its slowest append: how long a publish
    /// waits behind the purge for the store's one writer), then the same purge
    /// again with nothing left to delete. Run: <c>dotnet run -c Release --project benchmarks/Journeys.Benchmarks -- event-purge [events=2000000]</c>.
    /// </summary>
    public static Task EventPurgeAsync(int events) => WithStoreAsync("journeys-event-purge", async store =>
    {
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var setup = Stopwatch.StartNew();
        const int Batch = 1_000;
        for (var start = 0; start < events; start += Batch)
        {
            var batch = Enumerable.Range(start, Math.Min(Batch, events - start))
                .Select(i => new CustomerEvent(BenchmarkData.CustomerId(i % 100_000), "viewed", System.Collections.Immutable.ImmutableDictionary<string, FieldValue>.Empty, t0.AddSeconds(86_400.0 * i / events)))
                .ToArray();
            await store.AppendNewEventsAsync(batch, batch[^1].Time, batch[^1].Time.AddDays(-1));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{events:N0} events over one day set up in {setup.Elapsed.TotalSeconds:N1} s"));
        // A publisher appends one event after another while the purge runs: its slowest append is how long a publish
        // waits behind the purge for the store's one writer.
        await store.AppendEventsAsync([new CustomerEvent(BenchmarkData.CustomerId(0), "viewed", System.Collections.Immutable.ImmutableDictionary<string, FieldValue>.Empty, t0.AddDays(1))]);
        using var stop = new CancellationTokenSource();
        var publisher = Task.Run(async () =>
        {
            var latencies = new List<double>();
            var at = t0.AddDays(1);
            while (!stop.IsCancellationRequested)
            {
                var one = Stopwatch.StartNew();
                await store.AppendEventsAsync([new CustomerEvent(BenchmarkData.CustomerId(latencies.Count % 100_000), "viewed", System.Collections.Immutable.ImmutableDictionary<string, FieldValue>.Empty, at)]);
                latencies.Add(one.Elapsed.TotalMilliseconds);
            }

            latencies.Sort();
            return latencies;
        });
        var watch = Stopwatch.StartNew();
        var purged = await store.PurgeEventsAsync(t0.AddHours(1));
        var first = watch.Elapsed;
        await stop.CancelAsync();
        var appends = await publisher;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"purge of the first hour: {purged:N0} events in {first.TotalMilliseconds:N0} ms; meanwhile {appends.Count:N0} single-event appends, median {appends[appends.Count / 2]:N1} ms, 99th percentile {appends[appends.Count * 99 / 100]:N1} ms, slowest {appends[^1]:N0} ms"));
        watch.Restart();
        purged = await store.PurgeEventsAsync(t0.AddHours(1));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"again, nothing to purge: {purged:N0} events in {watch.Elapsed.TotalMilliseconds:N0} ms"));
    });

    /// <summary>Runs <paramref name="probe"/> on the enrollment store of a fresh SQLite file, deleted afterwards.</summary>
    private static async Task WithStoreAsync(string folderName, Func<IEnrollmentStore, Task> probe)
    {
        var folder = Path.Combine(Path.GetTempPath(), folderName, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var services = new ServiceCollection();
            services.AddJourneys(j => j.UseSqlite($"Data Source={Path.Combine(folder, "probe.db")}"));
            await using var provider = services.BuildServiceProvider();
            await probe(provider.GetRequiredService<IEnrollmentStore>());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }
}
