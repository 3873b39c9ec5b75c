using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Journeys.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Tests.Runtime;

/// <summary>
/// The engine waits for an instant, not a duration: a fake clock advanced while a wait sets up its timer (the timer then
/// counts from the advanced time) must not make the wait miss the instant, however small the advance.
/// </summary>
public sealed class FakeClockWaitTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_due_instant_the_clock_reaches_while_the_pump_sets_its_timer_ends_the_wait_at_once()
    {
        var time = new JumpingClock(T0);
        var push = new RecordingChannelSender();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddJourneys(j => j.AddSender(Channel.Push, push).AddCampaigns(new Campaign("hello", Channel.Push, "Hello")));
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<ICustomerStore>().UpsertAsync([new Customer("c1")]);
        await using var running = await EngineHost.RunHostedAsync(provider);
        var manager = provider.GetRequiredService<IJourneyManager>();
        await manager.CreateAsync(JourneyBuilder.Create("j", "J").EnterFromList(["c1"])
            .Steps(p => p.Delay(TimeSpan.FromSeconds(1), id: "wait").Send(Channel.Push, "hello", id: "hello")).Build());
        await manager.ActivateAsync("j");
        EngineHost.Eventually(
            () => manager.GetStatisticsAsync("j").AsTask().GetAwaiter().GetResult().Get("wait", StatisticCounter.Entered) == 1,
            "the enrollment waiting for its timer");

        // 2 ms short of the timer; then the clock reaches it exactly while the pump sets its 2 ms timer (the only wait
        // that short: the other loops wait for seconds or more).
        time.Advance(TimeSpan.FromSeconds(1) - TimeSpan.FromMilliseconds(2));
        time.JumpWhenATimerIsSetFor(TimeSpan.FromMilliseconds(2));
        provider.GetRequiredService<JourneyEngine>().NotifyWork();

        EngineHost.Eventually(() => time.Jumped, "the pump to set its timer");
        EngineHost.Eventually(() => push.Messages.Count == 1, "the push after the timer, with no further advance");
    }

    [Fact]
    public async Task A_message_lease_that_expires_between_the_dispatchers_claim_and_its_next_look_is_claimed_without_a_further_advance()
    {
        // 23:00 in Madrid: the push is held until 08:00 local (06:00 UTC) and goes back to the store. Another owner then
        // holds it (a dispatcher that died) until 07:00 UTC. The dispatcher claims at 21:00 UTC (nothing: not its lease,
        // not due), and the clock passes that lease's expiry just after, before the dispatcher reckons how long to wait
        // (the next due message leaves leased ones out, so only its MaxIdle backstop brings it back). The backstop must
        // count from the claim: counted from the later clock reading, it would never end on a clock that does not move
        // again, and on a real clock it looks up to MaxIdle late.
        var night = new DateTimeOffset(2026, 5, 4, 21, 0, 0, TimeSpan.Zero);
        var eight = new DateTimeOffset(2026, 5, 5, 6, 0, 0, TimeSpan.Zero);
        var time = new FakeTimeProvider(night);
        var push = new RecordingChannelSender();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddSingleton(sp => new HookedOutbox(sp.GetRequiredService<InMemoryEngineStore>()));
        services.AddSingleton<IOutboxStore>(sp => sp.GetRequiredService<HookedOutbox>());
        services.AddJourneys(j => j.AddSender(Channel.Push, push).AddCampaigns(new Campaign("hello", Channel.Push, "Hello")).Configure(o =>
        {
            o.SendPolicy = new SendPolicyOptions { QuietHoursStart = new TimeOnly(22, 0), QuietHoursEnd = new TimeOnly(8, 0) };
            o.LeaseDuration = TimeSpan.FromDays(1);
        }));
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<ICustomerStore>().UpsertAsync([new Customer("c1", new Dictionary<string, FieldValue>(), "Europe/Madrid")]);
        await using var running = await EngineHost.RunHostedAsync(provider);
        var manager = provider.GetRequiredService<IJourneyManager>();
        await manager.CreateAsync(JourneyBuilder.Create("j", "J").EnterOnEvent("go").Steps(p => p.Send(Channel.Push, "hello", id: "push")).Build());
        await manager.ActivateAsync("j");
        await manager.PublishAsync([new CustomerEvent("c1", "go", [], night)]);
        var outbox = provider.GetRequiredService<HookedOutbox>();
        var held = new List<OutboxMessage>();
        EngineHost.Eventually(() => SendPolicyScenarioTests.HeldCount(outbox, eight, held, TimeSpan.FromHours(1), "other") == 1, "the push held until 08:00 local, then taken by another owner");

        outbox.AfterEngineClaim.Action = () => time.SetUtcNow(eight.AddHours(1));
        provider.GetRequiredService<JourneyEngine>().NotifyOutbox();

        EngineHost.Eventually(() => outbox.AfterEngineClaim.Action is null, "the dispatcher's claim");
        EngineHost.Eventually(() => push.Messages.Count == 1, "the push, once the other owner's lease expired, with no further advance");
    }

    [Fact]
    public async Task An_enrollment_lease_that_expires_between_the_pumps_claim_and_its_next_look_is_claimed_without_a_further_advance()
    {
        // The pump's side of the same backstop: an enrollment held by another owner (a host that died) until 09:10; the
        // pump claims at 09:00 (nothing), and the clock reaches 09:10 just after.
        var time = new FakeTimeProvider(T0);
        var push = new RecordingChannelSender();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddSingleton(sp => new HookedEnrollments(sp.GetRequiredService<InMemoryEngineStore>()));
        services.AddSingleton<IEnrollmentStore>(sp => sp.GetRequiredService<HookedEnrollments>());
        services.AddJourneys(j => j.AddSender(Channel.Push, push).AddCampaigns(new Campaign("hello", Channel.Push, "Hello")));
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<ICustomerStore>().UpsertAsync([new Customer("c0"), new Customer("c1")]);
        await using var running = await EngineHost.RunHostedAsync(provider);
        var manager = provider.GetRequiredService<IJourneyManager>();
        var journey = JourneyBuilder.Create("j", "J").EnterOnEvent("go").Steps(p => p.Send(Channel.Push, "hello", id: "push")).Build();
        await manager.CreateAsync(journey);
        await manager.ActivateAsync("j");

        // A first customer through the journey: the pump has then looked, and the wake-ups of the activation and of this
        // entry are used up (one left pending would end the pump's next wait at once and hide what is tested here).
        await manager.PublishAsync([new CustomerEvent("c0", "go", [], T0)]);
        EngineHost.Eventually(() => push.Messages.Count == 1, "the first customer's push");

        // Created straight in the store (the engine is not told), then leased to the dead owner.
        var store = provider.GetRequiredService<InMemoryEngineStore>();
        await store.EnrollAsync([new EnrollmentRequest(Guid.NewGuid(), "j", 1, "c1", "push", T0, journey.EntryRules, [])]);
        Assert.Single(await store.ClaimAsync("dead", T0, 10, TimeSpan.FromMinutes(10)));

        var hooked = provider.GetRequiredService<HookedEnrollments>();
        hooked.AfterEngineClaim.Action = () => time.SetUtcNow(T0.AddMinutes(10));
        provider.GetRequiredService<JourneyEngine>().NotifyWork();

        EngineHost.Eventually(() => hooked.AfterEngineClaim.Action is null, "the pump's claim");
        EngineHost.Eventually(() => push.Messages.Count == 2, "c1's push, once the dead owner's lease expired, with no further advance");
    }

    /// <summary>An enrollment store that runs a hook once, just after the next claim of an owner other than "dead".</summary>
    private sealed class HookedEnrollments(IEnrollmentStore inner) : DelegatingEnrollmentStore(inner)
    {
        public OneShotHook AfterEngineClaim { get; } = new();

        public override async ValueTask<IReadOnlyList<WorkItem>> ClaimAsync(string owner, DateTimeOffset now, int maxItems, TimeSpan lease, CancellationToken cancellationToken = default)
        {
            var claimed = await InnerStore.ClaimAsync(owner, now, maxItems, lease, cancellationToken);
            if (owner != "dead")
            {
                AfterEngineClaim.Fire();
            }

            return claimed;
        }
    }

    /// <summary>An outbox that runs a hook once, just after the next claim of an owner other than the test's.</summary>
    private sealed class HookedOutbox(IOutboxStore inner) : DelegatingOutboxStore(inner)
    {
        public OneShotHook AfterEngineClaim { get; } = new();

        public override async ValueTask<IReadOnlyList<OutboxMessage>> ClaimAsync(string owner, DateTimeOffset now, int maxItems, TimeSpan lease, CancellationToken cancellationToken = default)
        {
            var claimed = await InnerStore.ClaimAsync(owner, now, maxItems, lease, cancellationToken);
            if (owner != "other")
            {
                AfterEngineClaim.Fire();
            }

            return claimed;
        }
    }

    /// <summary>An action run once, by the first <see cref="Fire"/> after it is set; <see cref="Action"/> is null again once it ran.</summary>
    private sealed class OneShotHook
    {
        private Action? _action;

        public Action? Action
        {
            get => Volatile.Read(ref _action);
            set => Volatile.Write(ref _action, value);
        }

        public void Fire() => Interlocked.Exchange(ref _action, null)?.Invoke();
    }

    /// <summary>A fake clock that advances by a timer's due time just before that timer is set up, once.</summary>
    private sealed class JumpingClock(DateTimeOffset start) : FakeTimeProvider(start)
    {
        private long _dueTicks = -1;
        private int _jumped;

        public bool Jumped => Volatile.Read(ref _jumped) == 1;

        public void JumpWhenATimerIsSetFor(TimeSpan dueTime) => Volatile.Write(ref _dueTicks, dueTime.Ticks);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            if (dueTime.Ticks == Volatile.Read(ref _dueTicks) && Interlocked.Exchange(ref _dueTicks, -1) == dueTime.Ticks)
            {
                Advance(dueTime);
                Volatile.Write(ref _jumped, 1);
            }

            return base.CreateTimer(callback, state, dueTime, period);
        }
    }
}
