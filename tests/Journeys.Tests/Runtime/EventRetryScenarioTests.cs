using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Tests.Runtime;

/// <summary>
/// A publish with event ids that fails once its events are appended (the store's reply lost, the process stopped, a
/// later step failed) is completed by the client's retry: the entry and the click the events cause exist once, never
/// twice, however many retries come and even when two come at once.
/// </summary>
public sealed class EventRetryScenarioTests : IAsyncDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(T0);
    private readonly ServiceProvider _services;
    private IAsyncDisposable? _running;

    public EventRetryScenarioTests()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddSingleton<InMemoryCustomerStore>();
        services.AddSingleton<ICustomerStore>(sp => sp.GetRequiredService<InMemoryCustomerStore>());
        services.AddSingleton(sp => new InMemoryEngineStore(sp.GetRequiredService<InMemoryCustomerStore>()));
        services.AddSingleton(sp => new FailingAfterAppend(sp.GetRequiredService<InMemoryEngineStore>()));
        services.AddSingleton<IEnrollmentStore>(sp => sp.GetRequiredService<FailingAfterAppend>());
        services.AddJourneys(j => j
            .AddSender(Channel.Push, Push)
            .AddCampaigns(new Campaign("hello", Channel.Push, "Hello"))
            .Configure(o => o.ShardCount = 2));
        _services = services.BuildServiceProvider();
    }

    private RecordingChannelSender Push { get; } = new();

    private IJourneyManager Manager => _services.GetRequiredService<IJourneyManager>();

    private InMemoryEngineStore Store => _services.GetRequiredService<InMemoryEngineStore>();

    private FailingAfterAppend Failing => _services.GetRequiredService<FailingAfterAppend>();

    public async ValueTask DisposeAsync()
    {
        if (_running is not null)
        {
            await _running.DisposeAsync();
        }

        await _services.DisposeAsync();
    }

    // Sends at once and ends; a customer may enter again after exit, so a second entry from one sign-up would show.
    private async Task StartAsync()
    {
        _running = await EngineHost.RunHostedAsync(_services);
        await Manager.CreateAsync(JourneyBuilder.Create("welcome", "Welcome")
            .EnterOnEvent("signed_up")
            .ReEnterAfterExit()
            .Steps(p => p.Send(Channel.Push, "hello", id: "hello"))
            .Build());
        await Manager.ActivateAsync("welcome");
    }

    // c0 entered and was sent the push; the call to retry: c1 signs up (an entry) and c0 clicks the push (feedback).
    private async Task<CustomerEvent[]> CallToRetryAsync()
    {
        Assert.Equal(1, await Manager.PublishNewAsync([new CustomerEvent("c0", "signed_up", [], T0) { Id = "s0" }]));
        EngineHost.Eventually(() => Push.Messages.Count == 1 && Store.GetByCustomerAsync("c0").AsTask().Result is [{ IsEnded: true }], "c0's push sent");
        return
        [
            new CustomerEvent("c1", "signed_up", [], T0) { Id = "s1" },
            new CustomerEvent("c0", FeedbackEvents.Clicked, [], T0.AddMinutes(1), Push.Messages.Single().MessageId) { Id = "k0" },
        ];
    }

    private async Task AssertMadeOnceAsync()
    {
        EngineHost.Eventually(() => Push.Messages.Count == 2 && Store.GetByCustomerAsync("c1").AsTask().Result is [{ IsEnded: true }], "c1's entry made and its push sent");
        Assert.Single(await Store.GetByCustomerAsync("c1"));
        Assert.Equal(1, Assert.Single(await Store.GetByCustomerAsync("c0")).Clicks);
        var statistics = await Manager.GetStatisticsAsync("welcome");
        Assert.Equal((2L, 1L), (statistics.Get("hello", StatisticCounter.Sent), statistics.Get("hello", StatisticCounter.Clicked)));
    }

    // The call fails as a lost reply: the store made everything, but the engine never got the entry it leased to itself,
    // which another claim takes once that lease expires (as for any enrollment leased to an engine that went away).
    private async Task FailOnceAsync(CustomerEvent[] events)
    {
        Failing.Arm();
        await Assert.ThrowsAsync<TimeoutException>(() => Manager.PublishNewAsync(events).AsTask());
        _time.Advance(new JourneysOptions().LeaseDuration + TimeSpan.FromSeconds(1));
        _services.GetRequiredService<IJourneyEngineSignal>().NotifyWork();
    }

    [Fact]
    public async Task A_retry_of_a_publish_that_failed_after_its_events_were_appended_leaves_the_entry_and_the_click_made_once()
    {
        await StartAsync();
        var events = await CallToRetryAsync();

        await FailOnceAsync(events);

        // The failed call's store step made everything or nothing, so the retry finds both ids and handles neither.
        Assert.Equal(0, await Manager.PublishNewAsync(events));
        await AssertMadeOnceAsync();
        Assert.Equal(0, await Manager.PublishNewAsync(events));
        await AssertMadeOnceAsync();
    }

    [Fact]
    public async Task Two_retries_at_once_of_a_publish_that_failed_after_its_events_were_appended_make_nothing_twice()
    {
        await StartAsync();
        var events = await CallToRetryAsync();

        await FailOnceAsync(events);

        var retries = await Task.WhenAll(Task.Run(() => Manager.PublishNewAsync(events).AsTask()), Task.Run(() => Manager.PublishNewAsync(events).AsTask()));
        Assert.Equal([0, 0], retries);
        await AssertMadeOnceAsync();
    }

    /// <summary>
    /// Once armed, the next publish reaches the store, which appends its events, and then fails as a lost reply does: the
    /// store's one-step publish, or, for a store without it, the append (the entries and clicks come in later calls).
    /// </summary>
    private sealed class FailingAfterAppend(IEnrollmentStore inner) : DelegatingEnrollmentStore(inner)
    {
        private int _armed;

        public void Arm() => Volatile.Write(ref _armed, 1);

        public override async ValueTask<PublishedEvents?> PublishEventsAsync(
            IReadOnlyList<CustomerEvent> events, DateTimeOffset now, DateTimeOffset idsSince, IReadOnlyList<EventConsequence> consequences, EnrollmentLease? lease, CancellationToken cancellationToken = default)
        {
            var published = await InnerStore.PublishEventsAsync(events, now, idsSince, consequences, lease, cancellationToken);
            FailIfArmed();
            return published;
        }

        public override async ValueTask<IReadOnlyList<long>> AppendNewEventsAsync(IReadOnlyList<CustomerEvent> events, DateTimeOffset now, DateTimeOffset idsSince, CancellationToken cancellationToken = default)
        {
            var sequences = await InnerStore.AppendNewEventsAsync(events, now, idsSince, cancellationToken);
            FailIfArmed();
            return sequences;
        }

        private void FailIfArmed()
        {
            if (Interlocked.Exchange(ref _armed, 0) == 1)
            {
                throw new TimeoutException("The store's reply was lost (test).");
            }
        }
    }
}
