using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Tests.Runtime;

/// <summary>
/// Event ids (a host that retries a publish whose first attempt landed gets each event handled once; a publish that
/// failed once its events were appended is completed by the retry: its entry and click exist once, never twice, also
/// when two retries come at once) and concurrent publishes (an event another call appends between an entering event's
/// append and its entry reaches the new enrollment).
/// </summary>
public sealed class EventIdScenarioTests : IAsyncDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(T0);
    private readonly ServiceProvider _services;
    private IAsyncDisposable? _running;

    public EventIdScenarioTests()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddSingleton<InMemoryCustomerStore>();
        services.AddSingleton<ICustomerStore>(sp => sp.GetRequiredService<InMemoryCustomerStore>());
        services.AddSingleton(sp => new InMemoryEngineStore(sp.GetRequiredService<InMemoryCustomerStore>()));
        services.AddSingleton(sp => new HookedEnrollments(sp.GetRequiredService<InMemoryEngineStore>()));
        services.AddSingleton<IEnrollmentStore>(sp => sp.GetRequiredService<HookedEnrollments>());
        services.AddJourneys(j => j
            .AddSender(Channel.Push, Push)
            .AddCampaigns(new Campaign("hello", Channel.Push, "Hello"))
            .Configure(o => o.ShardCount = 2));
        _services = services.BuildServiceProvider();
    }

    private RecordingChannelSender Push { get; } = new();

    private IJourneyManager Manager => _services.GetRequiredService<IJourneyManager>();

    private InMemoryEngineStore Store => _services.GetRequiredService<InMemoryEngineStore>();

    public async ValueTask DisposeAsync()
    {
        if (_running is not null)
        {
            await _running.DisposeAsync();
        }

        await _services.DisposeAsync();
    }

    private async Task StartAsync(JourneyDefinition journey)
    {
        _running = await EngineHost.RunHostedAsync(_services);
        await Manager.CreateAsync(journey);
        await Manager.ActivateAsync(journey.Id);
    }

    // Sends at once and ends: a customer who signs up again may enter again (after exit).
    private static JourneyDefinition Welcome() => JourneyBuilder.Create("welcome", "Welcome")
        .EnterOnEvent("signed_up")
        .ReEnterAfterExit()
        .Steps(p => p.Send(Channel.Push, "hello", id: "hello"))
        .Build();

    // Waits a day for the purchase (its goal) before it sends.
    private static JourneyDefinition Onboarding() => JourneyBuilder.Create("onboarding", "Onboarding")
        .EnterOnEvent("signed_up")
        .ConvertOn("purchase")
        .Steps(p => p
            .Delay(TimeSpan.FromDays(1), id: "wait")
            .Send(Channel.Push, "hello", id: "hello"))
        .Build();

    private static CustomerEvent SignUp(string customerId, string? id, DateTimeOffset time) => new(customerId, "signed_up", [], time) { Id = id };

    private async Task<Enrollment[]> EnrollmentsAsync(string customerId) => [.. await Store.GetByCustomerAsync(customerId)];

    [Fact]
    public async Task A_retried_publish_with_the_same_id_is_acknowledged_and_enters_once_while_a_new_id_enters_again()
    {
        await StartAsync(Welcome());

        Assert.Equal(1, await Manager.PublishNewAsync([SignUp("c1", "evt-1", T0)]));
        EngineHost.Eventually(() => EnrollmentsAsync("c1").Result is [{ IsEnded: true }], "the first entry ended");

        // The host's retry after a timeout: same event, same id. Acknowledged (no error), not handled.
        Assert.Equal(0, await Manager.PublishNewAsync([SignUp("c1", "evt-1", T0)]));
        await Manager.PublishAsync([SignUp("c1", "evt-1", T0)]);

        // Without ids each publish is handled (re-entry after exit): a new id enters again, so the retries above would have.
        Assert.Equal(1, await Manager.PublishNewAsync([SignUp("c1", "evt-2", T0.AddSeconds(1))]));
        EngineHost.Eventually(() => EnrollmentsAsync("c1").Result is [{ IsEnded: true }, { IsEnded: true }], "the second entry ended");
        EngineHost.Eventually(() => Push.Messages.Count == 2, "both entries' messages sent");
        Assert.Equal(2, (await EnrollmentsAsync("c1")).Length);
    }

    [Fact]
    public async Task An_id_is_remembered_for_the_window_and_per_customer()
    {
        await StartAsync(Welcome());

        // Twice in one call and for another customer: the repeat in the call is the retry; the other customer's is new.
        Assert.Equal(2, await Manager.PublishNewAsync([SignUp("c1", "evt-1", T0), SignUp("c1", "evt-1", T0), SignUp("c2", "evt-1", T0)]));
        EngineHost.Eventually(() => EnrollmentsAsync("c1").Result is [{ IsEnded: true }] && EnrollmentsAsync("c2").Result is [{ IsEnded: true }], "both entries ended");

        _time.Advance(TimeSpan.FromHours(23));
        Assert.Equal(0, await Manager.PublishNewAsync([SignUp("c1", "evt-1", T0)]));

        // Past the default window of a day the id is forgotten: the same id is a new event.
        _time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        Assert.Equal(1, await Manager.PublishNewAsync([SignUp("c1", "evt-1", T0)]));
        EngineHost.Eventually(() => EnrollmentsAsync("c1").Result.Length == 2, "the id entered again after the window");
    }

    [Fact]
    public async Task A_goal_another_call_appends_between_an_entering_event_and_its_entry_converts_the_new_enrollment()
    {
        await StartAsync(Onboarding());
        var hooked = _services.GetRequiredService<HookedEnrollments>();

        // Call A's sign-up is appended; before A makes the entry, call B (the same customer's purchase) is published
        // whole. The purchase comes after the sign-up in the customer's events, so the new enrollment must convert.
        hooked.BeforeEnroll = () => Manager.PublishAsync([new CustomerEvent("c1", "purchase", [], T0.AddSeconds(1))]).AsTask();
        await Manager.PublishAsync([SignUp("c1", null, T0)]);

        EngineHost.Eventually(() => EnrollmentsAsync("c1").Result is [{ Status: EnrollmentStatus.Converted }], "c1 converted by the purchase");
    }

    [Fact]
    public async Task A_blank_or_too_long_id_refuses_the_whole_call_before_anything_is_appended()
    {
        await StartAsync(Welcome());

        await Assert.ThrowsAsync<ArgumentException>(() => Manager.PublishAsync([SignUp("c1", null, T0), SignUp("c1", " ", T0)]).AsTask());
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Manager.PublishNewAsync([SignUp("c1", "ok", T0), SignUp("c1", new string('x', 201), T0)]).AsTask());

        // Nothing of either call was appended: both ids are new now.
        Assert.Equal(2, await Manager.PublishNewAsync([SignUp("c1", " x", T0), SignUp("c1", "ok", T0)]));
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

        // The push's result is recorded after the sender returns: its Sent count may follow the message by a moment.
        EngineHost.Eventually(() => Manager.GetStatisticsAsync("welcome").AsTask().Result.Get("hello", StatisticCounter.Sent) >= 2, "c1's push counted as sent");
        Assert.Single(await Store.GetByCustomerAsync("c1"));
        Assert.Equal(1, Assert.Single(await Store.GetByCustomerAsync("c0")).Clicks);
        var statistics = await Manager.GetStatisticsAsync("welcome");
        Assert.Equal((2L, 1L), (statistics.Get("hello", StatisticCounter.Sent), statistics.Get("hello", StatisticCounter.Clicked)));
    }

    // The call fails as a lost reply: the store made everything, but the engine never got the entry it leased to itself,
    // which another claim takes once that lease expires (as for any enrollment leased to an engine that went away).
    private async Task FailOnceAsync(CustomerEvent[] events)
    {
        _services.GetRequiredService<HookedEnrollments>().FailAfterAppend();
        await Assert.ThrowsAsync<TimeoutException>(() => Manager.PublishNewAsync(events).AsTask());
        _time.Advance(new JourneysOptions().LeaseDuration + TimeSpan.FromSeconds(1));
        _services.GetRequiredService<IJourneyEngineSignal>().NotifyWork();
    }

    [Fact]
    public async Task A_retry_of_a_publish_that_failed_after_its_events_were_appended_leaves_the_entry_and_the_click_made_once()
    {
        await StartAsync(Welcome());
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
        await StartAsync(Welcome());
        var events = await CallToRetryAsync();

        await FailOnceAsync(events);

        var retries = await Task.WhenAll(Task.Run(() => Manager.PublishNewAsync(events).AsTask()), Task.Run(() => Manager.PublishNewAsync(events).AsTask()));
        Assert.Equal([0, 0], retries);
        await AssertMadeOnceAsync();
    }

    /// <summary>Runs a hook once, just before the next enroll call reaches the store.</summary>
    private sealed class HookedEnrollments(IEnrollmentStore inner) : DelegatingEnrollmentStore(inner)
    {
        private Func<Task>? _before;
        private int _failAfterAppend;

        public Func<Task> BeforeEnroll { set => _before = value; }

        public override async ValueTask<IReadOnlyList<EnrollmentOutcome>> EnrollAsync(IReadOnlyList<EnrollmentRequest> requests, CancellationToken cancellationToken = default)
        {
            await RunBeforeAsync();
            return await InnerStore.EnrollAsync(requests, cancellationToken);
        }

        public override async ValueTask<LeasedEnrollments> EnrollLeasedAsync(IReadOnlyList<EnrollmentRequest> requests, EnrollmentLease lease, CancellationToken cancellationToken = default)
        {
            await RunBeforeAsync();
            return await InnerStore.EnrollLeasedAsync(requests, lease, cancellationToken);
        }

        /// <summary>
        /// Arms a failure of the next publish once the store has appended its events, as a lost reply: after the
        /// store's one-step publish, or, for a store without it, after the append (the entries and clicks come later).
        /// </summary>
        public void FailAfterAppend() => Volatile.Write(ref _failAfterAppend, 1);

        // With a hook set, the race needs an entry made in a call of its own after the append: the step-wise path of a
        // store without the one-step publish (this library's stores make the entry in the append's step, where no other
        // call comes between).
        public override async ValueTask<PublishedEvents?> PublishEventsAsync(
            IReadOnlyList<CustomerEvent> events, DateTimeOffset now, DateTimeOffset idsSince, IReadOnlyList<EventConsequence> consequences, EnrollmentLease? lease, CancellationToken cancellationToken = default)
        {
            if (Volatile.Read(ref _before) is not null)
            {
                return null;
            }

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
            if (Interlocked.Exchange(ref _failAfterAppend, 0) == 1)
            {
                throw new TimeoutException("The store's reply was lost (test).");
            }
        }

        private Task RunBeforeAsync() => Interlocked.Exchange(ref _before, null) is { } run ? run() : Task.CompletedTask;
    }
}
