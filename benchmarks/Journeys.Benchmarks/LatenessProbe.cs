using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Journeys.Model;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Journeys.Benchmarks;

/// <summary>
/// Where the delay variant's timer lateness goes (<c>-- lateness-probe customers runs</c>): the peer comparison's
/// Journeys journey with the 1-second delay on a fresh host per run, its store decorated like
/// <see cref="TimerLatenessRecorder"/>, split into due → claim (the pump waking for the timer) and claim → commit (the
/// shard running the resumed steps and committing), with the number of resumed enrollments per commit; then the same
/// journey without the delay, timed from activation to the last send (the per-run cost). The first 3 runs of each are
/// left out (JIT).
/// </summary>
internal static class LatenessProbe
{
    public static async Task RunAsync(int customers, int runs)
    {
        var claimLag = new LatencySamples();
        var claimToCommit = new LatencySamples();
        var total = new LatencySamples();
        var dueBatchSizes = new List<int>();
        var fixedCost = new LatencySamples();
        for (var run = 0; run < runs; run++)
        {
            var probe = new Probe();
            var scenario = await EngineScenario.StartAsync(customers, Environment.ProcessorCount, delayAfterWelcome: TimeSpan.FromSeconds(1), configureServices: s => probe.Decorate(s));
            try
            {
                await scenario.RunAsync(waitForSends: true);
            }
            finally
            {
                await scenario.DisposeAsync();
            }

            var noDelay = await EngineScenario.StartAsync(customers, Environment.ProcessorCount);
            try
            {
                var watch = Stopwatch.StartNew();
                await noDelay.RunAsync(waitForSends: true);
                if (run > 2)
                {
                    fixedCost.Add(watch.Elapsed);
                }
            }
            finally
            {
                await noDelay.DisposeAsync();
            }

            if (run > 2)
            {
                claimLag.AddRange(probe.ClaimLag);
                claimToCommit.AddRange(probe.ClaimToCommit);
                total.AddRange(probe.Total);
                dueBatchSizes.AddRange(probe.CommitSizes);
            }
        }

        Console.WriteLine($"due → claim:      {claimLag.Describe()}");
        Console.WriteLine($"claim → commit:   {claimToCommit.Describe()}");
        Console.WriteLine($"due → commit:     {total.Describe()}");
        Console.WriteLine($"no-delay run:     {fixedCost.Describe()}");
        dueBatchSizes.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"commits with due items: {dueBatchSizes.Count}, sizes p50 {dueBatchSizes[dueBatchSizes.Count / 2]}, max {dueBatchSizes[^1]}"));
    }

    private sealed class Probe
    {
        private readonly ConcurrentDictionary<Guid, (DateTimeOffset Due, DateTimeOffset Claimed)> _due = new();

        public ConcurrentBag<TimeSpan> ClaimLag { get; } = [];

        public ConcurrentBag<TimeSpan> ClaimToCommit { get; } = [];

        public ConcurrentBag<TimeSpan> Total { get; } = [];

        public ConcurrentBag<int> CommitSizes { get; } = [];

        public void Decorate(IServiceCollection services)
        {
            var registered = services.Last(d => d.ServiceType == typeof(IEnrollmentStore));
            var factory = registered.ImplementationFactory!;
            services.Replace(ServiceDescriptor.Singleton<IEnrollmentStore>(sp => new Store((IEnrollmentStore)factory(sp), sp.GetRequiredService<TimeProvider>(), this)));
        }

        private sealed class Store(IEnrollmentStore inner, TimeProvider time, Probe probe) : IEnrollmentStore
        {
            public async ValueTask<IReadOnlyList<WorkItem>> ClaimAsync(string owner, DateTimeOffset now, int maxItems, TimeSpan lease, CancellationToken cancellationToken = default)
            {
                var claimed = await inner.ClaimAsync(owner, now, maxItems, lease, cancellationToken).ConfigureAwait(false);
                foreach (var item in claimed)
                {
                    if (item.Enrollment is { Status: EnrollmentStatus.Waiting, WakeAt: { } due } && due <= now)
                    {
                        probe._due[item.Enrollment.Id] = (due, now);
                        probe.ClaimLag.Add(now - due);
                    }
                }

                return claimed;
            }

            public async ValueTask<IReadOnlyList<bool>> CommitAsync(string owner, IReadOnlyList<EnrollmentCheckpoint> checkpoints, CancellationToken cancellationToken = default)
            {
                var applied = await inner.CommitAsync(owner, checkpoints, cancellationToken).ConfigureAwait(false);
                var at = time.GetUtcNow();
                var n = 0;
                for (var i = 0; i < checkpoints.Count; i++)
                {
                    if (applied[i] && probe._due.TryRemove(checkpoints[i].State.Id, out var due))
                    {
                        probe.ClaimToCommit.Add(at - due.Claimed);
                        probe.Total.Add(at - due.Due);
                        n++;
                    }
                }

                if (n > 0)
                {
                    probe.CommitSizes.Add(n);
                }

                return applied;
            }

            public ValueTask<IReadOnlyList<bool>> RenewLeasesAsync(string owner, IReadOnlyList<Guid> enrollmentIds, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default) =>
                inner.RenewLeasesAsync(owner, enrollmentIds, now, lease, cancellationToken);

            public ValueTask<IReadOnlyList<EnrollmentOutcome>> EnrollAsync(IReadOnlyList<EnrollmentRequest> requests, CancellationToken cancellationToken = default) =>
                inner.EnrollAsync(requests, cancellationToken);

            public ValueTask AppendEventsAsync(IReadOnlyList<CustomerEvent> events, CancellationToken cancellationToken = default) =>
                inner.AppendEventsAsync(events, cancellationToken);

            public ValueTask<DateTimeOffset?> GetNextWakeAsync(CancellationToken cancellationToken = default) =>
                inner.GetNextWakeAsync(cancellationToken);

            public ValueTask<IReadOnlyList<Enrollment>> GetByCustomerAsync(string customerId, CancellationToken cancellationToken = default) =>
                inner.GetByCustomerAsync(customerId, cancellationToken);

            public IAsyncEnumerable<Enrollment> ListByJourneyAsync(string journeyId, int? version, CancellationToken cancellationToken = default) =>
                inner.ListByJourneyAsync(journeyId, version, cancellationToken);

            public ValueTask<int> CancelAsync(string? journeyId, int? version, string? customerId, string reason, DateTimeOffset now, CancellationToken cancellationToken = default) =>
                inner.CancelAsync(journeyId, version, customerId, reason, now, cancellationToken);

            public ValueTask<int> PurgeEventsAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default) =>
                inner.PurgeEventsAsync(olderThan, cancellationToken);

            public ValueTask<IReadOnlyList<bool>> AddClicksAsync(IReadOnlyList<EnrollmentClick> clicks, CancellationToken cancellationToken = default) =>
                inner.AddClicksAsync(clicks, cancellationToken);
        }
    }
}
