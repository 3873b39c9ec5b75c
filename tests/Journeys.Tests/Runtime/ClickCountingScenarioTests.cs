using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Statistics;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Journeys.Tests.Building;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Tests.Runtime;

/// <summary>
/// A click that reaches a running enrollment both ways (the store counts it at publication, the engine handles the
/// event and commits the enrollment's end) counts once, whichever of the two happens first.
/// </summary>
public sealed class ClickCountingScenarioTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_click_that_ends_a_running_enrollment_counts_once_whether_the_engine_claimed_it_before_or_after_the_click_was_counted(bool claimFirst)
    {
        var time = new FakeTimeProvider(T0);
        var customers = new InMemoryCustomerStore();
        var store = new InMemoryEngineStore(customers);
        var enrollments = new OrderedClicks(store);
        await customers.SaveSchemaAsync(SampleJourneys.Schema);
        await customers.UpsertAsync([new Customer("c0@example.com")]);
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddSingleton<ICustomerStore>(customers);
        services.AddSingleton<IJourneyStore>(new InMemoryJourneyStore(time));
        services.AddSingleton<IEnrollmentStore>(enrollments);
        services.AddSingleton<IOutboxStore>(store);
        services.AddSingleton<IStatisticsStore>(store);
        var push = new RecordingChannelSender();
        services.AddJourneys(j => j.AddSender(Channel.Push, push).AddCampaigns(new Campaign("tips", Channel.Push, "Tips")).Configure(o => o.ShardCount = 1));
        await using var provider = services.BuildServiceProvider();
        var manager = provider.GetRequiredService<IJourneyManager>();
        await manager.CreateAsync(JourneyBuilder.Create("j", "J").EnterOnEvent("go")
            .Steps(p => p.Send(Channel.Push, "tips", id: "push")
                .WaitForEvent(FeedbackEvents.Clicked, TimeSpan.FromDays(1), w => w
                    .CorrelatedTo("push")
                    .OnEvent(c => c.Exit("clicked", id: "clicked"))
                    .OnTimeout(t => t.Exit("ignored", id: "ignored")), id: "wait"))
            .Build());
        await manager.ActivateAsync("j");
        await using var running = await EngineHost.RunHostedAsync(provider);

        await manager.PublishAsync([new CustomerEvent("c0@example.com", "go", [], T0)]);
        EngineHost.Eventually(() => push.Messages.Count == 1, "the push");
        EngineHost.Eventually(() => Count(manager, "wait", StatisticCounter.Entered) == 1, "the enrollment waiting for the click");
        var enrollment = Assert.Single(await store.GetByCustomerAsync("c0@example.com"));
        await enrollments.ArmAsync(enrollment.Id, claimFirst);

        var click = new CustomerEvent("c0@example.com", FeedbackEvents.Clicked, [], T0.AddMinutes(1), push.Messages.Single().MessageId);
        var publishing = Task.Run(() => manager.PublishAsync([click]).AsTask());
        if (claimFirst)
        {
            // The click is in the inbox and its count waits for the engine's claim: wake the engine now.
            await enrollments.Counting.WaitAsync(TimeSpan.FromSeconds(20));
            provider.GetRequiredService<IJourneyEngineSignal>().NotifyWork();
        }

        await publishing.WaitAsync(TimeSpan.FromSeconds(20));
        EngineHost.Eventually(() => Count(manager, "clicked", StatisticCounter.Entered) == 1, "the click to end the enrollment");

        Assert.Equal(claimFirst ? 0 : 1, enrollments.ClaimedClicks);
        var ended = Assert.Single(await store.GetByCustomerAsync("c0@example.com"));
        Assert.Equal((EnrollmentStatus.Exited, 1), (ended.Status, ended.Clicks));
        Assert.Equal(1, Count(manager, "push", StatisticCounter.Clicked));
        using var csv = new MemoryStream();
        await provider.GetRequiredService<IJourneyExporter>().WriteCustomersCsvAsync("j", null, csv);
        Assert.Contains("c0@example.com,1,clicked,exited,clicked,1,1,false,", System.Text.Encoding.UTF8.GetString(csv.ToArray()), StringComparison.Ordinal);
    }

    private static long Count(IJourneyManager manager, string nodeId, StatisticCounter counter) =>
        manager.GetStatisticsAsync("j").AsTask().GetAwaiter().GetResult().Get(nodeId, counter);

    /// <summary>
    /// Once armed for an enrollment, puts the engine's claim of it and the count of its click in a fixed order (bounded
    /// waits, in real time): claim first, then the count, then the engine's commit; or the count first, then the claim.
    /// </summary>
    private sealed class OrderedClicks(IEnrollmentStore inner) : DelegatingEnrollmentStore(inner)
    {
        private readonly TaskCompletionSource _counting = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _claimed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _counted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly SemaphoreSlim _claiming = new(1, 1);
        private volatile Armed? _armed;
        private int _claimedClicks = -1;

        /// <summary>Completes when the click count of the armed enrollment has started.</summary>
        public Task Counting => _counting.Task;

        /// <summary>The click counter in the state the engine claimed (the one its commit carries).</summary>
        public int ClaimedClicks => Volatile.Read(ref _claimedClicks);

        /// <summary>
        /// Arms once no claim is in flight: a claim the engine began before (its loop after the last commit) could
        /// otherwise pass the check unarmed and then take the enrollment the click wakes before the click is counted.
        /// </summary>
        public async Task ArmAsync(Guid enrollmentId, bool claimFirst)
        {
            await _claiming.WaitAsync(TimeSpan.FromSeconds(20));
            _armed = new Armed(enrollmentId, claimFirst);
            _claiming.Release();
        }

        // The step-wise path, where the count is a call of its own that a claim can come before or after (this library's
        // stores count a click in the append's atomic step, before any claim can read the event).
        public override ValueTask<PublishedEvents?> PublishEventsAsync(
            IReadOnlyList<CustomerEvent> events, DateTimeOffset now, DateTimeOffset idsSince, IReadOnlyList<EventConsequence> consequences, EnrollmentLease? lease, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult<PublishedEvents?>(null);

        public override async ValueTask<IReadOnlyList<WorkItem>> ClaimAsync(string owner, DateTimeOffset now, int maxItems, TimeSpan lease, CancellationToken cancellationToken = default)
        {
            await _claiming.WaitAsync(cancellationToken);
            try
            {
                if (_armed is { ClaimFirst: false })
                {
                    await _counted.Task.WaitAsync(TimeSpan.FromSeconds(20), cancellationToken);
                }

                var claimed = await InnerStore.ClaimAsync(owner, now, maxItems, lease, cancellationToken);
                if (_armed is { } armed && claimed.FirstOrDefault(w => w.Enrollment.Id == armed.Id) is { } item)
                {
                    Volatile.Write(ref _claimedClicks, item.Enrollment.Clicks);
                    _claimed.TrySetResult();
                }

                return claimed;
            }
            finally
            {
                _claiming.Release();
            }
        }

        public override async ValueTask<IReadOnlyList<bool>> AddClicksAsync(IReadOnlyList<EnrollmentClick> clicks, CancellationToken cancellationToken = default)
        {
            var armed = _armed is { } target && clicks.Any(c => c.EnrollmentId == target.Id);
            if (armed)
            {
                _counting.TrySetResult();
                if (_armed!.ClaimFirst)
                {
                    await _claimed.Task.WaitAsync(TimeSpan.FromSeconds(20), cancellationToken);
                }
            }

            var counted = await InnerStore.AddClicksAsync(clicks, cancellationToken);
            if (armed)
            {
                _counted.TrySetResult();
            }

            return counted;
        }

        public override async ValueTask<IReadOnlyList<bool>> CommitAsync(string owner, IReadOnlyList<EnrollmentCheckpoint> checkpoints, OutboxHandoff? outboxHandoff, CancellationToken cancellationToken = default)
        {
            if (_armed is { ClaimFirst: true } armed && checkpoints.Any(c => c.State.Id == armed.Id))
            {
                await _counted.Task.WaitAsync(TimeSpan.FromSeconds(20), cancellationToken);
            }

            return await InnerStore.CommitAsync(owner, checkpoints, outboxHandoff, cancellationToken);
        }

        private sealed record Armed(Guid Id, bool ClaimFirst);
    }
}
