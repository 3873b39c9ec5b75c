using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Journeys.Tests.Building;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Tests.Runtime;

/// <summary>
/// A retargeting node's timer handled late (the host was down, or its shards were behind) together with a conversion
/// event that happened in the meantime: the reminders and the window's end are taken in time order with the event, as
/// every timer is, so a purchase made inside the window converts even when the run comes after the window ended.
/// </summary>
public sealed class RetargetingLateRunScenarioTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_purchase_inside_the_window_converts_when_the_run_that_sees_it_comes_after_the_window_ended()
    {
        var time = new FakeTimeProvider(T0);
        var customers = new InMemoryCustomerStore();
        var store = new InMemoryEngineStore(customers);
        var enrollments = new HeldClaims(store);
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
        services.AddJourneys(j => j
            .AddSender(Channel.Push, push)
            .AddCampaigns(new Campaign("r1", Channel.Push, "Still thinking?"), new Campaign("r2", Channel.Push, "Last chance"))
            .Configure(o =>
            {
                o.ShardCount = 1;
                o.DefaultChannelPolicy.Timeout = TimeSpan.FromHours(24);
            }));
        await using var provider = services.BuildServiceProvider();
        var manager = provider.GetRequiredService<IJourneyManager>();
        await manager.CreateAsync(JourneyBuilder.Create("j", "J").EnterOnEvent("cart")
            .Steps(p => p.Retargeting("purchase", TimeSpan.FromDays(1), r => r
                .Remind(TimeSpan.FromHours(1), Channel.Push, "r1")
                .Remind(TimeSpan.FromHours(5), Channel.Push, "r2")
                .OnConverted(c => c.Exit("bought", id: "bought"))
                .OnExhausted(x => x.Exit("gave up", id: "gave-up")), id: "rt"))
            .Build());
        await manager.ActivateAsync("j");
        await using var running = await EngineHost.RunHostedAsync(provider);

        await manager.PublishAsync([new CustomerEvent("c0@example.com", "cart", [], T0)]);
        EngineHost.Eventually(() => Count(manager, "rt", StatisticCounter.Entered) == 1, "the customer at the retargeting node");

        // The engine does not run from here until a day and an hour later; the purchase, 2 hours after the cart (after the
        // first reminder was due, well inside the window), is published meanwhile.
        enrollments.HoldClaims = true;
        await manager.PublishAsync([new CustomerEvent("c0@example.com", "purchase", [], T0.AddHours(2))]);
        time.Advance(TimeSpan.FromHours(25));
        enrollments.HoldClaims = false;
        provider.GetRequiredService<IJourneyEngineSignal>().NotifyWork();

        EngineHost.Eventually(
            () => Count(manager, "bought", StatisticCounter.Entered) + Count(manager, "gave-up", StatisticCounter.Entered) == 1,
            () => $"the enrollment to end (bought {Count(manager, "bought", StatisticCounter.Entered)}, gave up {Count(manager, "gave-up", StatisticCounter.Entered)})");
        var ended = Assert.Single(await store.GetByCustomerAsync("c0@example.com"));
        Assert.Equal((EnrollmentStatus.Exited, "bought"), (ended.Status, ended.CurrentNodeId));
        Assert.Equal(1, Count(manager, "rt", StatisticCounter.Converted));

        // The first reminder was due before the purchase, but it had not gone out when the customer converted by the
        // node's conversion event: withdrawn, like any of the node's reminders not sent by then. The second was never due.
        Assert.Equal(1, Count(manager, "rt", StatisticCounter.Withdrawn));
        Assert.Empty(push.Messages);
    }

    private static long Count(IJourneyManager manager, string nodeId, StatisticCounter counter) =>
        manager.GetStatisticsAsync("j").AsTask().GetAwaiter().GetResult().Get(nodeId, counter);

    /// <summary>While <see cref="HoldClaims"/> is set, the engine's claims find nothing (what is due stays in the store).</summary>
    private sealed class HeldClaims(IEnrollmentStore inner) : DelegatingEnrollmentStore(inner)
    {
        private bool _holdClaims;

        public bool HoldClaims
        {
            get => Volatile.Read(ref _holdClaims);
            set => Volatile.Write(ref _holdClaims, value);
        }

        public override ValueTask<IReadOnlyList<WorkItem>> ClaimAsync(string owner, DateTimeOffset now, int maxItems, TimeSpan lease, CancellationToken cancellationToken = default) =>
            HoldClaims ? ValueTask.FromResult<IReadOnlyList<WorkItem>>([]) : InnerStore.ClaimAsync(owner, now, maxItems, lease, cancellationToken);
    }
}
