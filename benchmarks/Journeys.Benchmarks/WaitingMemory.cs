using System.Globalization;
using Journeys.Model;
using Journeys.Storage;
using Journeys.Storage.InMemory;

namespace Journeys.Benchmarks;

/// <summary>
/// Memory per waiting enrollment in the in-memory store (<c>-- waiting-memory [enrollments]</c>): the
/// <see cref="GC.GetTotalMemory(bool)"/> difference, after full collections, between the store with its customers'
/// ids only and the store holding N enrollments that went through enroll → claim → commit and now wait, either on a
/// timer (a delay) or on an event with a timeout (a wait-for-event node). Customer ids are allocated before the first
/// reading: they belong to the customers, not to the enrollments.
/// </summary>
internal static class WaitingMemory
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static async Task RunAsync(int count)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Memory per waiting enrollment, in-memory store, {count:N0} enrollments"));
        foreach (var onEvent in new[] { false, true })
        {
            for (var run = 1; run <= 2; run++)
            {
                var bytes = await MeasureAsync(count, onEvent);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {(onEvent ? "waiting on an event + timeout" : "waiting on a timer"),-32} run {run}: {bytes,8:N1} B per enrollment"));
            }
        }
    }

    private static async Task<double> MeasureAsync(int count, bool onEvent)
    {
        var ids = new string[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = string.Create(CultureInfo.InvariantCulture, $"customer-{i:D8}@example.com");
        }

        var store = new InMemoryEngineStore(new InMemoryCustomerStore());
        EquatableArray<string> wakeEvents = onEvent ? ["click"] : EquatableArray<string>.Empty;
        var before = GC.GetTotalMemory(forceFullCollection: true);

        const int Batch = 1_000;
        for (var start = 0; start < count; start += Batch)
        {
            var n = Math.Min(Batch, count - start);
            var requests = new EnrollmentRequest[n];
            for (var i = 0; i < n; i++)
            {
                requests[i] = new EnrollmentRequest(Guid.NewGuid(), "journey", 1, ids[start + i], "start", T0, EntryRules.Default, wakeEvents);
            }

            await store.EnrollAsync(requests);
            var claimed = await store.ClaimAsync("owner", T0, n, TimeSpan.FromMinutes(5));
            var checkpoints = new EnrollmentCheckpoint[claimed.Count];
            for (var i = 0; i < claimed.Count; i++)
            {
                var state = claimed[i].Enrollment;
                checkpoints[i] = new EnrollmentCheckpoint(
                    state with
                    {
                        Status = EnrollmentStatus.Waiting,
                        CurrentNodeId = "wait",
                        WakeAt = T0.AddDays(2),
                        AwaitedEvent = onEvent ? "click" : null,
                        Visit = 1,
                        NodeEnteredAt = T0,
                        ConcurrencyToken = state.ConcurrencyToken + 1,
                    },
                    state.ConcurrencyToken,
                    [],
                    [],
                    []);
            }

            await store.CommitAsync("owner", checkpoints);
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(store);
        GC.KeepAlive(ids);
        return (after - before) / (double)count;
    }
}
