using Journeys.Building;
using Journeys.Runtime;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Tests.Runtime;

/// <summary>
/// Entry scenarios: what an event entry's new enrollment sees of the events published with the one that enrolled it,
/// and the entry window at activation (an activation after the window's end is refused; EntryWindowIntakeTests has
/// activations before its start).
/// </summary>
public sealed class EntryScenarioTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);
    private EngineHost _host = null!;

    public async Task InitializeAsync() => _host = await EngineHost.StartAsync(T0);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static JourneyDefinition Onboarding() => JourneyBuilder.Create("onboarding", "Onboarding")
        .EnterOnEvent("signed_up")
        .ConvertOn("purchase")
        .Steps(p => p
            .WaitForEvent("opened_app", TimeSpan.FromDays(1), w => w
                .OnEvent(o => o.Exit("opened", id: "opened"))
                .OnTimeout(t => t.Send(Channel.Email, "welcome", v => v.Bind("name", "firstName", "there"), id: "nudge")), id: "wait-open"))
        .Build();

    [Fact]
    public async Task A_cooldown_too_long_to_end_before_the_last_representable_instant_refuses_re_entry_instead_of_failing()
    {
        // Validation takes any positive cooldown; TimeSpan.MaxValue is "never again, but counted as a cooldown".
        await _host.Manager.CreateAsync(JourneyBuilder.Create("forever", "Forever").EnterFromList(["c1@example.com"])
            .ReEnterAfterCooldown(TimeSpan.MaxValue)
            .Steps(p => p.Exit("done", id: "done"))
            .Build());
        await _host.Manager.ActivateAsync("forever");
        EngineHost.Eventually(() => _host.Count("forever", "done", StatisticCounter.Exited) == 1, "c1 went through once");

        var again = await _host.Manager.EnrollAsync("forever", ["c1@example.com"]);

        Assert.Equal(EnrollmentOutcomeKind.ReEntryRefused, Assert.Single(again).Kind);
    }

    [Fact]
    public async Task A_goal_published_after_the_entering_event_in_the_same_call_converts_the_new_enrollment()
    {
        await _host.Manager.CreateAsync(Onboarding());
        await _host.Manager.ActivateAsync("onboarding");

        // A client that sends its events in batches: the customer signed up, then bought, then (another customer) signed up.
        await _host.Manager.PublishAsync(
        [
            new CustomerEvent("c1@example.com", "signed_up", [], T0),
            new CustomerEvent("c1@example.com", "purchase", [], T0.AddSeconds(1)),
            new CustomerEvent("c2@example.com", "signed_up", [], T0.AddSeconds(2)),
        ]);

        EngineHost.Eventually(() => _host.Count("onboarding", null, StatisticCounter.Converted) == 1, "c1 converted by the purchase after its sign-up");
        var store = _host.Services.GetRequiredService<IEnrollmentStore>();
        var c2 = Assert.Single(await store.GetByCustomerAsync("c2@example.com"));
        Assert.False(c2.IsEnded);
        var c1 = Assert.Single(await store.GetByCustomerAsync("c1@example.com"));
        Assert.Equal(EnrollmentStatus.Converted, c1.Status);
    }

    [Fact]
    public async Task An_awaited_event_published_after_the_entering_event_in_the_same_call_is_seen_by_the_first_wait()
    {
        await _host.Manager.CreateAsync(Onboarding());
        await _host.Manager.ActivateAsync("onboarding");

        await _host.Manager.PublishAsync(
        [
            new CustomerEvent("c1@example.com", "signed_up", [], T0),
            new CustomerEvent("c1@example.com", "opened_app", [], T0.AddSeconds(1)),
        ]);

        EngineHost.Eventually(() => _host.Count("onboarding", "opened", StatisticCounter.Exited) == 1, "c1 took the on-event edge");
        _host.Advance(TimeSpan.FromDays(2));
        Assert.Empty(_host.Email.Messages);
    }

    [Fact]
    public async Task Events_published_before_the_entering_event_in_the_same_call_are_not_seen_by_the_new_enrollment()
    {
        await _host.Manager.CreateAsync(Onboarding());
        await _host.Manager.ActivateAsync("onboarding");

        await _host.Manager.PublishAsync(
        [
            new CustomerEvent("c1@example.com", "purchase", [], T0),
            new CustomerEvent("c1@example.com", "opened_app", [], T0.AddSeconds(1)),
            new CustomerEvent("c1@example.com", "signed_up", [], T0.AddSeconds(2)),
        ]);

        EngineHost.Eventually(() => _host.Count("onboarding", "wait-open", StatisticCounter.Entered) == 1, "c1 waiting");
        _host.Advance(TimeSpan.FromDays(1));
        EngineHost.Eventually(() => _host.Email.Messages.Count == 1, "the nudge after the wait timed out");
        Assert.Equal(0, _host.Count("onboarding", null, StatisticCounter.Converted));
    }

    [Fact]
    public async Task An_event_entry_condition_reads_dates_in_the_customers_time_zone_else_the_journeys_as_goals_and_waits_do()
    {
        // At 12:00 UTC on 4 May it is already 02:00 on 5 May in Kiritimati (UTC+14), and still 4 May in UTC, the journey's zone.
        _host.Advance(TimeSpan.FromHours(3));
        await _host.Services.GetRequiredService<ICustomerStore>().UpsertAsync(
        [
            new Customer("east@example.com", null, "Pacific/Kiritimati"),
            new Customer("utc@example.com"),
        ]);
        await _host.Manager.CreateAsync(JourneyBuilder.Create("paid-today", "Paid today")
            .EnterOnEvent("paid", Condition.Date("paidOn", ComparisonOperator.Eq, TimeSpan.Zero, DatePart.Date))
            .Steps(p => p.Send(Channel.Push, "tips", id: "tips"))
            .Build());
        await _host.Manager.ActivateAsync("paid-today");

        // Both paid on 5 May (a date-only value: midnight UTC), today for the customer in Kiritimati only.
        var fifth = new DateTimeOffset(2026, 5, 5, 0, 0, 0, TimeSpan.Zero);
        var paid = ImmutableDictionary<string, FieldValue>.Empty.Add("paidOn", fifth);
        var now = _host.Time.GetUtcNow();
        await _host.Manager.PublishAsync([new CustomerEvent("east@example.com", "paid", paid, now), new CustomerEvent("utc@example.com", "paid", paid, now)]);

        EngineHost.Eventually(() => _host.Push.Messages.Count == 1, "the push of the customer for whom 5 May is today");
        Assert.Equal("east@example.com", Assert.Single(_host.Push.Messages).CustomerId);
        Assert.Equal(1, _host.Count("paid-today", null, StatisticCounter.Entered));
    }

    private static JourneyDefinition Everyone(DateTimeOffset? start, DateTimeOffset? end) => JourneyBuilder.Create("everyone", "Everyone").EnterAllCustomers()
        .EntryWindow(start, end)
        .Steps(p => p.Send(Channel.Push, "tips", id: "tips"))
        .Build();

    [Fact]
    public async Task A_journey_whose_window_has_ended_is_not_activated()
    {
        await _host.Manager.CreateAsync(Everyone(T0.AddDays(-2), T0) with { Entry = new EventEntry("signed_up") });

        var ex = await Assert.ThrowsAsync<JourneyLifecycleException>(async () => await _host.Manager.ActivateAsync("everyone"));

        Assert.Contains("its entry window ended at 2026-05-04T09:00:00.0000000+00:00", ex.Message, StringComparison.Ordinal);
        Assert.Equal(("everyone", JourneyLifecycleRefusal.EntryWindowEnded), (ex.JourneyId, ex.Reason));
        Assert.Equal(JourneyStatus.Draft, (await _host.Manager.GetAsync("everyone"))!.Journey.Status);
    }

    [Fact]
    public async Task An_event_journey_may_be_activated_before_its_window_and_enrolls_from_the_start_on_the_hosts_clock()
    {
        await _host.Manager.CreateAsync(Everyone(T0.AddHours(1), T0.AddDays(1)) with { Entry = new EventEntry("signed_up") });
        await _host.Manager.ActivateAsync("everyone");

        // Stamped inside the window, published before it opens: the entry is checked on the host's clock.
        await _host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "signed_up", [], T0.AddHours(2))]);
        _host.Advance(TimeSpan.FromHours(1));
        await _host.Manager.PublishAsync([new CustomerEvent("c2@example.com", "signed_up", [], T0)]);

        EngineHost.Eventually(() => _host.Push.Messages.Count == 1, "c2's push");
        Assert.Equal("c2@example.com", Assert.Single(_host.Push.Messages).CustomerId);
        Assert.Equal(1, _host.Count("everyone", null, StatisticCounter.Entered));
    }
}
