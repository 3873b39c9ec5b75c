using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Storage;
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
