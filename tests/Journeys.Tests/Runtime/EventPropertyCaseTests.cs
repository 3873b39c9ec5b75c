using System.Collections.Immutable;
using Journeys.Building;
using Journeys.Runtime;
using Journeys.Storage;

namespace Journeys.Tests.Runtime;

/// <summary>
/// Event property names are matched whatever their case everywhere (the stores give properties back so, and the events
/// endpoint builds them so): also an event entry's condition, evaluated on the event as a .NET caller built it.
/// </summary>
public sealed class EventPropertyCaseTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);
    private EngineHost _host = null!;

    public async Task InitializeAsync() => _host = await EngineHost.StartAsync(T0);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task An_event_entry_condition_matches_a_property_name_in_another_case_as_a_wait_does()
    {
        await _host.Manager.CreateAsync(JourneyBuilder.Create("gold", "Gold")
            .EnterOnEvent("upgraded", Condition.Eq("Plan", "gold"))
            .Steps(p => p
                .WaitForEvent("paid", TimeSpan.FromDays(1), w => w
                    .Where(Condition.Eq("Plan", "gold"))
                    .OnEvent(e => e.Exit("paid", id: "paid"))
                    .OnTimeout(t => t.Exit("unpaid", id: "unpaid")), id: "wait"))
            .Build());
        await _host.Manager.ActivateAsync("gold");

        // Built with the default (case-sensitive) comparer, as most .NET callers do.
        var lowerCase = ImmutableDictionary<string, FieldValue>.Empty.Add("plan", "gold");
        await _host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "upgraded", lowerCase, T0)]);
        EngineHost.Eventually(() => _host.Count("gold", "wait", StatisticCounter.Entered) == 1, "the entry");

        await _host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "paid", lowerCase, T0.AddMinutes(1))]);
        EngineHost.Eventually(() => _host.Count("gold", "paid", StatisticCounter.Entered) == 1, "the wait to match");
    }

    [Fact]
    public async Task An_event_with_two_property_names_differing_only_by_case_is_refused_before_anything_is_written()
    {
        var properties = ImmutableDictionary<string, FieldValue>.Empty.Add("plan", "gold").Add("Plan", "silver");

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => _host.Manager.PublishAsync([
            new CustomerEvent("c1@example.com", "ok", [], T0),
            new CustomerEvent("c1@example.com", "upgraded", properties, T0)]).AsTask());

        Assert.Contains("index 1", refused.Message, StringComparison.Ordinal);
        // Named in the dictionary's order, which string hashing makes differ from one process to the next.
        Assert.True(
            refused.Message.Contains("'plan' and 'Plan'", StringComparison.Ordinal) || refused.Message.Contains("'Plan' and 'plan'", StringComparison.Ordinal),
            refused.Message);
    }
}
