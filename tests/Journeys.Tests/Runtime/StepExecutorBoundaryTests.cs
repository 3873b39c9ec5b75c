using Journeys.Building;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Tests.Building;

namespace Journeys.Tests.Runtime;

/// <summary>
/// The executor at the edges of its time windows. A wait, a retargeting window and a delay are half-open: an event
/// that happens exactly when a timer falls due comes after it (the timer is handled first), one tick earlier it comes
/// before it. This holds whatever order the run sees them in (a claim hands over the timer and the events together).
/// </summary>
public sealed class StepExecutorBoundaryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);

    private static readonly CampaignCatalog Campaigns = CampaignCatalog.Create(
        new Campaign("p", Channel.Push, "Hello"),
        new Campaign("r1", Channel.Push, "Still there?"));

    private static ExecutorHarness Start(JourneyDefinition journey)
    {
        var run = new ExecutorHarness(journey, SampleJourneys.Schema, Campaigns, new Customer("ana@example.com"), T0);
        run.Run(T0);
        return run;
    }

    private static JourneyDefinition ClickOrTimeout() => JourneyBuilder.Create("j", "J").EnterAllCustomers()
        .Steps(p => p
            .Send(Channel.Push, "p", id: "push")
            .WaitForEvent("click", TimeSpan.FromHours(1), w => w.CorrelatedTo("push")
                .OnEvent(e => e.Exit("clicked", id: "clicked"))
                .OnTimeout(t => t.Exit("timed-out", id: "timed-out")), id: "wait"))
        .Build();

    [Theory]
    [InlineData(-1, "clicked")]
    [InlineData(0, "timed-out")]
    public void A_click_exactly_at_the_timeout_comes_after_it_and_one_tick_earlier_before_it(long ticks, string expected)
    {
        var run = Start(ClickOrTimeout());
        Assert.Equal(("wait", T0.AddHours(1)), (run.State.CurrentNodeId, run.State.WakeAt));

        run.Publish("click", T0.AddHours(1).AddTicks(ticks), run.Outbox.Single().Message.MessageId);
        run.Run(T0.AddHours(1).AddMinutes(5));

        Assert.Equal((EnrollmentStatus.Exited, expected), (run.State.Status, run.State.CurrentNodeId));
    }

    [Theory]
    [InlineData(-1, "bought", 1)]
    [InlineData(0, "gave-up", 0)]
    public void A_conversion_exactly_at_the_end_of_the_retargeting_window_is_too_late_and_one_tick_earlier_converts(long ticks, string expected, int converted)
    {
        var journey = JourneyBuilder.Create("j", "J").EnterAllCustomers()
            .Steps(p => p.Retargeting("purchase", TimeSpan.FromDays(1), r => r
                .Remind(TimeSpan.FromHours(4), Channel.Push, "r1")
                .OnConverted(c => c.Exit("bought", id: "bought"))
                .OnExhausted(x => x.Exit("gave-up", id: "gave-up")), id: "rt"))
            .Build();
        var run = Start(journey);
        run.Run(T0.AddHours(4));
        Assert.Equal(["r1"], run.SentCampaigns);

        run.Publish("purchase", T0.AddDays(1).AddTicks(ticks));
        run.Run(T0.AddDays(1).AddMinutes(5));

        Assert.Equal(expected, run.State.CurrentNodeId);
        Assert.Equal(converted, run.Count("rt", StatisticCounter.Converted));
    }

    [Fact]
    public void A_goal_exactly_when_a_delay_ends_converts_at_the_next_node_and_one_tick_earlier_at_the_delay()
    {
        var journey = JourneyBuilder.Create("j", "J").EnterAllCustomers().ConvertOn("purchase")
            .Steps(p => p.Delay(TimeSpan.FromHours(1), id: "hour").Delay(TimeSpan.FromDays(1), id: "day"))
            .Build();

        var atTheEnd = Start(journey);
        atTheEnd.Publish("purchase", T0.AddHours(1));
        atTheEnd.Run(T0.AddHours(2));
        var before = Start(journey);
        before.Publish("purchase", T0.AddHours(1).AddTicks(-1));
        before.Run(T0.AddHours(2));

        Assert.Equal((EnrollmentStatus.Converted, "day"), (atTheEnd.State.Status, atTheEnd.State.CurrentNodeId));
        Assert.Equal((EnrollmentStatus.Converted, "hour"), (before.State.Status, before.State.CurrentNodeId));
        Assert.Equal((1, 0), (atTheEnd.Count("day", StatisticCounter.Converted), atTheEnd.Count("hour", StatisticCounter.Converted)));
    }

    public static TheoryData<string> EndlessWaits => ["delay", "wait", "retargeting"];

    [Theory]
    [MemberData(nameof(EndlessWaits))]
    public void A_wait_that_ends_past_the_last_representable_instant_waits_until_then_instead_of_failing_the_enrollment(string kind)
    {
        // Durations up to TimeSpan.MaxValue (about 29,000 years) pass the JSON reader and validation; added to now they
        // overflow DateTimeOffset, which failed every enrollment that reached the node ("engine error").
        var forever = TimeSpan.MaxValue;
        var journey = JourneyBuilder.Create("j", "J").EnterAllCustomers()
            .Steps(p => _ = kind switch
            {
                "delay" => p.Delay(forever, id: "n"),
                "wait" => p.WaitForEvent("click", forever, w => w.OnEvent(e => e.Exit("clicked", id: "clicked")).OnTimeout(t => t.Exit("never", id: "never")), id: "n"),
                _ => p.Retargeting("purchase", forever, r => r
                    .Remind(TimeSpan.FromHours(4), Channel.Push, "r1")
                    .OnConverted(c => c.Exit("bought", id: "bought"))
                    .OnExhausted(x => x.Exit("gave-up", id: "gave-up")), id: "n"),
            })
            .Build();

        var run = Start(journey);
        if (kind == "retargeting")
        {
            Assert.Equal(T0.AddHours(4), run.State.WakeAt);
            run.Run(T0.AddHours(4));
            Assert.Equal(["r1"], run.SentCampaigns);
        }

        Assert.Equal((EnrollmentStatus.Waiting, "n", DateTimeOffset.MaxValue), (run.State.Status, run.State.CurrentNodeId, run.State.WakeAt));
        Assert.Equal(0, run.Count(null, StatisticCounter.Failed));
    }

    [Fact]
    public void An_enrollment_that_ends_at_a_node_leaves_it_so_entered_minus_left_is_who_is_still_there()
    {
        // StatisticCounter.Left: "enrollments that left the node (moving on or ending)". An exit node, a goal reached
        // while waiting and a failure at a node end the enrollment there; each counted Entered but never Left, so the
        // node showed them as still there for ever (the Mermaid diagram's "waiting" = entered - left).
        var journey = JourneyBuilder.Create("j", "J").EnterAllCustomers().ConvertOn("purchase")
            .Steps(p => p.Delay(TimeSpan.FromHours(1), id: "hour").Exit("done", id: "bye"))
            .Build();

        var exited = Start(journey);
        exited.Run(T0.AddHours(1));
        Assert.Equal(EnrollmentStatus.Exited, exited.State.Status);
        Assert.Equal((1L, 1L, 1L), (exited.Count("bye", StatisticCounter.Entered), exited.Count("bye", StatisticCounter.Left), exited.Count("bye", StatisticCounter.Exited)));

        var converted = Start(journey);
        converted.Publish("purchase", T0.AddMinutes(5));
        converted.Run(T0.AddMinutes(5));
        Assert.Equal(EnrollmentStatus.Converted, converted.State.Status);
        Assert.Equal((1L, 1L), (converted.Count("hour", StatisticCounter.Entered), converted.Count("hour", StatisticCounter.Left)));

        // Ended while it waited at a node (its version failed to run): it leaves that node too.
        var failed = Start(journey);
        var item = new WorkItem(failed.State, [], T0.AddMinutes(1));
        var checkpoint = StepExecutor.Fail(failed.Journey, item, "engine error: test", T0.AddMinutes(5));
        Assert.Equal(1, checkpoint.Statistics.Count(d => d is { NodeId: "hour", Counter: StatisticCounter.Left }));

        // A goal reached before the first step converts at the start node without entering it: nothing to leave.
        var early = new ExecutorHarness(journey, SampleJourneys.Schema, Campaigns, new Customer("ana@example.com"), T0);
        early.Publish("purchase", T0);
        early.Run(T0);
        Assert.Equal(EnrollmentStatus.Converted, early.State.Status);
        Assert.Equal((0L, 0L), (early.Count("hour", StatisticCounter.Entered), early.Count("hour", StatisticCounter.Left)));
    }
}
