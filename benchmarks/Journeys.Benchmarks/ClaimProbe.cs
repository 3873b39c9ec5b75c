using System.Globalization;
using Journeys.Model;
using Journeys.Storage;
using Journeys.Storage.InMemory;

namespace Journeys.Benchmarks;

/// <summary>
/// The in-memory store's claim of due timers alone, on one thread, no engine (<c>-- claim-probe timers per-claim rounds</c>):
/// <c>timers</c> waiting enrollments with timers one tick apart, claimed <c>per-claim</c> due timers at a time (the clock
/// moved so that that many are due; maxItems 512, the engine's claim size with 2 shards), then committed back to
/// waiting for the next round (not measured). Prints the thread CPU and allocated bytes per claimed timer, per round.
/// What the pump's <c>ClaimAsync</c> costs without the shards' commits contending for the store lock.
/// </summary>
internal static class ClaimProbe
{
    public static async Task RunAsync(int timers, int perClaim, int rounds)
    {
        var store = new InMemoryEngineStore(new InMemoryCustomerStore());
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var requests = new List<EnrollmentRequest>(timers);
        for (var i = 0; i < timers; i++)
        {
            requests.Add(new EnrollmentRequest(Guid.NewGuid(), "j", 1, "customer-" + i.ToString(CultureInfo.InvariantCulture), "start", t0, EntryRules.Default, []));
        }

        await store.EnrollAsync(requests);
        var now = t0;
        var lease = TimeSpan.FromMinutes(5);
        for (var round = 0; round < rounds; round++)
        {
            // Back to waiting: every enrollment claimed (new ones, or the last round's timers) gets a timer one tick apart.
            var all = await store.ClaimAsync("engine", now.AddDays(1), int.MaxValue, lease);
            if (all.Count != timers)
            {
                throw new InvalidOperationException($"claim-probe round {round}: {all.Count} enrollments to put back, expected {timers}.");
            }

            var baseTime = now.AddDays(2);
            var checkpoints = new EnrollmentCheckpoint[timers];
            for (var i = 0; i < timers; i++)
            {
                var state = all[i].Enrollment;
                checkpoints[i] = new EnrollmentCheckpoint(state with { Status = EnrollmentStatus.Waiting, CurrentNodeId = "wait", WakeAt = baseTime.AddTicks(i), Visit = state.Visit + 1 }, state.ConcurrencyToken, [], [], []);
            }

            await store.CommitAsync("engine", checkpoints);
            now = baseTime.AddTicks(-1);
            long cpu = 0, bytes = 0, claimed = 0, claims = 0;
            while (claimed < timers)
            {
                now = now.AddTicks(perClaim);
                var before = ThreadCost.Now();
                var items = await store.ClaimAsync("engine", now, 512, lease);
                var after = ThreadCost.Now();
                cpu += after.CpuNanoseconds - before.CpuNanoseconds;
                bytes += after.Bytes - before.Bytes;
                claimed += items.Count;
                claims++;
            }

            if (claimed != timers)
            {
                throw new InvalidOperationException($"claim-probe round {round}: claimed {claimed} timers, expected {timers}.");
            }

            // The leases run out before the next round's put-back claim (a day later): all come back.
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round}: {claims} claims of {perClaim} due timers: thread CPU per timer {cpu / 1000.0 / claimed:N3} µs, allocated per timer {(double)bytes / claimed:N0} B"));
        }
    }
}
