using System.Collections.Immutable;
using Journeys.Building;
using Journeys.Runtime;
using Journeys.Storage;

namespace Journeys.Tests.Runtime;

/// <summary>
/// A date condition on an event's properties is judged at the event's own time, wherever it is read (an event entry, a
/// wait, an event branch, a goal), not at the moment the engine happens to handle the event: an event that arrives late
/// (a device that was offline, a host that was behind) means what it meant when it happened.
/// </summary>
public sealed class EventTimeConditionTests : IAsyncLifetime
{
    // Monday 2026-05-04 09:00 UTC; the engine's customers have no time zone, the journeys' is UTC.
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset LateEvening = T0.AddHours(14); // 23:00 the same day
    private EngineHost _host = null!;

    public async Task InitializeAsync() => _host = await EngineHost.StartAsync(T0);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    // "Ordered today": the order's date is the event's own date.
    private static Condition OrderedToday => Condition.Date("orderedAt", ComparisonOperator.Eq, TimeSpan.Zero, DatePart.Date);

    private static CustomerEvent Purchase(string customerId, DateTimeOffset at) =>
        new(customerId, "purchase", ImmutableDictionary<string, FieldValue>.Empty.Add("orderedAt", at), at);

    private async Task StartAsync(JourneyDefinition journey)
    {
        await _host.Manager.CreateAsync(journey);
        await _host.Manager.ActivateAsync(journey.Id);
        await _host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "signed_up", [], T0)]);
        EngineHost.Eventually(() => _host.Count(journey.Id, "wait", StatisticCounter.Entered) == 1, "waiting");
    }

    [Fact]
    public async Task A_wait_condition_on_an_event_that_arrives_after_midnight_is_judged_at_the_events_time()
    {
        await StartAsync(JourneyBuilder.Create("wait-today", "Wait")
            .EnterOnEvent("signed_up")
            .Steps(p => p.WaitForEvent("purchase", TimeSpan.FromDays(3), w => w
                .Where(OrderedToday)
                .OnEvent(e => e.Exit("bought", id: "bought"))
                .OnTimeout(t => t.Exit("no purchase", id: "none")), id: "wait"))
            .Build());

        _host.Advance(TimeSpan.FromHours(15.5)); // 00:30 the next day: the 23:00 purchase arrives late
        await _host.Manager.PublishAsync([Purchase("c1@example.com", LateEvening)]);

        EngineHost.Eventually(() => _host.Count("wait-today", "bought", StatisticCounter.Entered) == 1, () =>
            $"bought {_host.Count("wait-today", "bought", StatisticCounter.Entered)}, still waiting");
    }

    [Fact]
    public async Task An_event_branch_condition_is_judged_at_the_events_time()
    {
        await StartAsync(JourneyBuilder.Create("branch-today", "Branch")
            .EnterOnEvent("signed_up")
            .Steps(p => p.WaitForEvent("purchase", TimeSpan.FromDays(3), w => w
                .When(OrderedToday, b => b.Exit("bought today", id: "today"))
                .When(Condition.IsNotNull("orderedAt"), b => b.Exit("bought", id: "other"))
                .OnTimeout(t => t.Exit("no purchase", id: "none")), id: "wait"))
            .Build());

        _host.Advance(TimeSpan.FromHours(15.5));
        await _host.Manager.PublishAsync([Purchase("c1@example.com", LateEvening)]);

        EngineHost.Eventually(() => _host.Count("branch-today", "today", StatisticCounter.Entered) + _host.Count("branch-today", "other", StatisticCounter.Entered) == 1, "a branch taken");
        Assert.Equal(1, _host.Count("branch-today", "today", StatisticCounter.Entered));
    }

    [Fact]
    public async Task A_goal_condition_is_judged_at_the_events_time()
    {
        await StartAsync(JourneyBuilder.Create("goal-today", "Goal")
            .EnterOnEvent("signed_up")
            .ConvertOn("purchase", OrderedToday)
            .Steps(p => p.WaitForEvent("never", TimeSpan.FromDays(3), w => w
                .OnTimeout(t => t.Exit("timed out", id: "none")), id: "wait"))
            .Build());

        _host.Advance(TimeSpan.FromHours(15.5));
        await _host.Manager.PublishAsync([Purchase("c1@example.com", LateEvening)]);

        EngineHost.Eventually(() => _host.Count("goal-today", null, StatisticCounter.Converted) == 1, () =>
            $"converted {_host.Count("goal-today", null, StatisticCounter.Converted)}");
    }
}
