using Journeys.Building;
using Journeys.Validation;

namespace Journeys.Tests.Building;

public sealed class JourneyBuilderTests
{
    [Fact]
    public void Abandoned_cart_journey_has_the_expected_graph()
    {
        var journey = SampleJourneys.AbandonedCart();

        Assert.Equal("abandoned-cart", journey.Id);
        Assert.Equal(JourneyStatus.Draft, journey.Status);
        Assert.Equal(1, journey.Version);
        Assert.Equal(new EventEntry("cart_abandoned"), journey.Entry);
        Assert.Equal(new EntryRules(ReEntryMode.AfterCooldown, TimeSpan.FromDays(7)), journey.EntryRules);
        Assert.Equal(new ExitRules([new GoalEvent("purchase")]), journey.ExitRules);
        Assert.Equal("wait-1h", journey.StartNodeId);
        Assert.Equal(
            ["wait-1h", "is-vip", "vip-whatsapp", "cart-push", "wait-click", "email-or-sms", "cart-email", "cart-sms", "notify-crm", "crm-failed"],
            journey.Nodes.Select(n => n.Id));

        Assert.Equal(new DelayNode("wait-1h", new DurationDelay(TimeSpan.FromHours(1)), "is-vip"), journey.FindNode("wait-1h"));
        var filter = Assert.IsType<FilterNode>(journey.FindNode("is-vip"));
        Assert.Equal(new FilterBranch(Condition.Eq("vip", true), "vip-whatsapp"), Assert.Single(filter.Branches));
        Assert.Equal("cart-push", filter.Else);

        // Every branch that stays open joins the webhook that follows the filter.
        Assert.Equal("notify-crm", ((SendNode)journey.FindNode("vip-whatsapp")!).Next);
        Assert.Equal("wait-click", ((SendNode)journey.FindNode("cart-push")!).Next);
        var wait = Assert.IsType<WaitForEventNode>(journey.FindNode("wait-click"));
        Assert.Equal(("click", TimeSpan.FromDays(1), "cart-push"), (wait.EventName, wait.Timeout, wait.CorrelatedNodeId));
        Assert.Equal(("notify-crm", "email-or-sms"), (wait.OnEvent, wait.OnTimeout));
        var split = Assert.IsType<RandomSplitNode>(journey.FindNode("email-or-sms"));
        Assert.Equal([new RandomPath(50, "cart-email"), new RandomPath(50, "cart-sms")], split.Paths);
        Assert.Equal("notify-crm", ((SendNode)journey.FindNode("cart-email")!).Next);
        Assert.Equal("notify-crm", ((SendNode)journey.FindNode("cart-sms")!).Next);

        var webhook = Assert.IsType<WebhookNode>(journey.FindNode("notify-crm"));
        Assert.Equal(["email", "firstName"], webhook.Fields);
        Assert.Null(webhook.OnSuccess);
        Assert.Equal("crm-failed", webhook.OnFailure);
        Assert.Equal(new ExitNode("crm-failed", "crm-unreachable"), journey.FindNode("crm-failed"));
        Assert.Equal(
            new CampaignReference("vip-offer", [new VariableBinding("name", "firstName", "friend")]),
            ((SendNode)journey.FindNode("vip-whatsapp")!).Campaign);
    }

    [Fact]
    public void Generated_ids_are_deterministic_per_kind_and_skip_taken_ids()
    {
        static JourneyDefinition Build() => JourneyBuilder.Create("j", "J")
            .EnterAllCustomers()
            .Steps(p => p
                .Send(Channel.Push, "a", id: "send-2")
                .Send(Channel.Push, "b")
                .Send(Channel.Push, "c")
                .Delay(TimeSpan.FromMinutes(5))
                .Exit("done"))
            .Build();

        var first = Build();
        Assert.Equal(["send-2", "send-1", "send-3", "delay-1", "exit-1"], first.Nodes.Select(n => n.Id));
        Assert.Equal(first, Build());
    }

    [Fact]
    public void Explicit_duplicate_id_is_refused_where_it_is_added()
    {
        var builder = JourneyBuilder.Create("j", "J").EnterAllCustomers();
        var ex = Assert.Throws<ArgumentException>(() =>
            builder.Steps(p => p.Send(Channel.Push, "a", id: "x").Send(Channel.Push, "b", id: "x")));
        Assert.Contains("'x'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Builder_is_one_shot()
    {
        var builder = JourneyBuilder.Create("j", "J").EnterAllCustomers().Steps(p => p.Send(Channel.Push, "a"));
        builder.Build();

        var ex = Assert.Throws<InvalidOperationException>(builder.Build);
        Assert.Contains("already built", ex.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => builder.ConvertOn("purchase"));
        Assert.Throws<InvalidOperationException>(() => builder.WithVersion(2));
    }

    [Fact]
    public void A_path_builder_captured_outside_its_lambda_is_refused()
    {
        PathBuilder? captured = null;
        var builder = JourneyBuilder.Create("j", "J").EnterAllCustomers()
            .Steps(p => p.Filter(f => f.When(Condition.IsNull("email"), b => captured = b.Exit("no-email")).Otherwise(o => o.Send(Channel.Email, "hello"))));

        Assert.NotNull(captured);
        var ex = Assert.Throws<InvalidOperationException>(() => captured!.Send(Channel.Push, "late"));
        Assert.Contains("inside its lambda", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nothing_can_follow_an_exit_or_a_goto()
    {
        var builder = JourneyBuilder.Create("j", "J").EnterAllCustomers();
        var ex = Assert.Throws<InvalidOperationException>(() => builder.Steps(p => p.Exit("bye").Send(Channel.Push, "a")));
        Assert.Contains("already ended", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Goto_joins_paths_and_makes_loops()
    {
        var journey = JourneyBuilder.Create("loop", "Loop").EnterAllCustomers()
            .Steps(p => p
                .Send(Channel.Push, "nudge", id: "nudge")
                .WaitForEvent("open", TimeSpan.FromDays(2), w => w.OnTimeout(t => t.GoTo("nudge")), id: "wait-open")
                .Exit("opened", id: "opened"))
            .Build();

        var wait = (WaitForEventNode)journey.FindNode("wait-open")!;
        Assert.Equal(("opened", "nudge"), (wait.OnEvent, wait.OnTimeout));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Arguments_are_checked_as_they_are_given(int minutes)
    {
        var builder = JourneyBuilder.Create("j", "J").EnterAllCustomers();
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.Steps(p => p.Delay(TimeSpan.FromMinutes(minutes))));
    }

    [Fact]
    public void Bad_arguments_get_clear_errors()
    {
        Assert.Throws<ArgumentException>(() => JourneyBuilder.Create("bad id!", "x"));
        Assert.Throws<ArgumentException>(() => JourneyBuilder.Create("j", " "));
        Assert.Throws<ArgumentException>(() => JourneyBuilder.Create("j", "J").WithTimeZone("Mars/Olympus_Mons"));
        Assert.Throws<ArgumentException>(() => JourneyBuilder.Create("j", "J").EnterFromList([], acceptsAdditions: false));
        Assert.Throws<ArgumentOutOfRangeException>(() => JourneyBuilder.Create("j", "J").LimitEntries(0));
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Throws<ArgumentOutOfRangeException>(() => JourneyBuilder.Create("j", "J").EntryWindow(now, now));

        var webhookEx = Assert.Throws<ArgumentException>(() =>
            JourneyBuilder.Create("j", "J").EnterAllCustomers().Steps(p => p.Webhook("ftp://files.example.com/hook")));
        Assert.Contains("https", webhookEx.Message, StringComparison.Ordinal);

        Assert.Throws<ArgumentOutOfRangeException>(() =>
            JourneyBuilder.Create("j", "J").EnterAllCustomers().Steps(p => p.RandomSplit(s => s.Path(0))));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            JourneyBuilder.Create("j", "J").EnterAllCustomers().Steps(p => p.Retargeting("purchase", TimeSpan.FromDays(1), r => r
                .Remind(TimeSpan.FromHours(2), Channel.Push, "r1")
                .Remind(TimeSpan.FromHours(1), Channel.Push, "r2"))));
        Assert.Throws<ArgumentException>(() =>
            JourneyBuilder.Create("j", "J").EnterAllCustomers().Steps(p => p.Send(Channel.Push, "c", v => v.Bind("a", "x").Bind("a", "y"))));
    }

    [Fact]
    public void Build_needs_an_audience_and_steps()
    {
        var noEntry = Assert.Throws<InvalidOperationException>(() => JourneyBuilder.Create("j", "J").Steps(p => p.Exit("x")).Build());
        Assert.Contains("audience", noEntry.Message, StringComparison.Ordinal);
        var noSteps = Assert.Throws<InvalidOperationException>(() => JourneyBuilder.Create("j", "J").EnterAllCustomers().Build());
        Assert.Contains("no nodes", noSteps.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => JourneyBuilder.Create("j", "J").EnterAllCustomers().EnterOnEvent("x"));
    }

    [Fact]
    public void Branching_nodes_refuse_incomplete_or_repeated_configuration()
    {
        Assert.Throws<InvalidOperationException>(() =>
            JourneyBuilder.Create("j", "J").EnterAllCustomers().Steps(p => p.Filter(_ => { })));
        Assert.Throws<InvalidOperationException>(() =>
            JourneyBuilder.Create("j", "J").EnterAllCustomers().Steps(p => p.RandomSplit(s => s.Path(1))));
        Assert.Throws<InvalidOperationException>(() =>
            JourneyBuilder.Create("j", "J").EnterAllCustomers().Steps(p =>
                p.WaitForEvent("click", TimeSpan.FromHours(1), w => w.OnTimeout(t => t.Exit("a")).OnTimeout(t => t.Exit("b")))));
        Assert.Throws<InvalidOperationException>(() =>
            JourneyBuilder.Create("j", "J").EnterAllCustomers().Steps(p =>
                p.Filter(f => f.Otherwise(o => o.Exit("x")).When(Condition.IsNull("email")))));
    }

    [Fact]
    public void Every_kind_of_node_entry_and_delay_can_be_written()
    {
        var at = new DateTimeOffset(2026, 12, 24, 18, 0, 0, TimeSpan.FromHours(1));
        var journey = JourneyBuilder.Create("everything", "Everything")
            .WithVersion(3)
            .WithTimeZone("Europe/Madrid")
            .EnterWhen(Condition.All(Condition.Gte("age", 18), Condition.Anniversary("birthDate")))
            .ReEnterAfterExit()
            .LimitEntries(1000)
            .EntryWindow(at.AddDays(-30), at)
            .ConvertOn("purchase", Condition.Gt("amount", 10))
            .Steps(p => p
                .DelayUntil(at)
                .DelayUntilTimeOfDay(new TimeOnly(9, 0))
                .DelayUntilField("birthDate", TimeSpan.FromDays(-3))
                .UpdateCustomer("tags", FieldValue.FromStringList(["in-journey"]))
                .Retargeting("purchase", TimeSpan.FromDays(3), r => r
                    .Remind(TimeSpan.FromHours(4), Channel.Push, "r1")
                    .Remind(TimeSpan.FromDays(1), Channel.Email, "r2", v => v.Bind("name", "firstName"))
                    .OnConverted(c => c.Exit("bought"))
                    .OnExhausted(x => x.Exit("gave-up"))))
            .Build();

        Assert.Equal(3, journey.Version);
        Assert.Equal("Europe/Madrid", journey.TimeZoneId);
        Assert.Equal(new EntryRules(ReEntryMode.AfterExit, null, 1000, at.AddDays(-30), at), journey.EntryRules);
        Assert.Equal(["delay-1", "delay-2", "delay-3", "update-1", "retarget-1", "exit-1", "exit-2"], journey.Nodes.Select(n => n.Id));
        var retargeting = (RetargetingNode)journey.FindNode("retarget-1")!;
        Assert.Equal(2, retargeting.Reminders.Count);
        Assert.Equal(("exit-1", "exit-2"), (retargeting.OnConverted, retargeting.OnExhausted));
        Assert.Equal(new UntilFieldDelay("birthDate", TimeSpan.FromDays(-3)), ((DelayNode)journey.FindNode("delay-3")!).Delay);
    }

    [Fact]
    public void Build_refuses_a_graph_with_every_problem_listed()
    {
        var builder = JourneyBuilder.Create("broken", "Broken").EnterAllCustomers()
            .Steps(p => p
                .Send(Channel.Push, "a", id: "a")
                .Filter(
                    f => f.When(Condition.IsNull("email"), b => b.GoTo("a")),
                    id: "f"));

        var ex = Assert.Throws<JourneyValidationException>(builder.Build);

        // The filter's else path is left open at the end of the journey, and a -> f -> a loops without waiting.
        Assert.Contains(ex.Diagnostics, d => d.Code == DiagnosticCodes.MissingEdge && d.NodeId == "f");
        Assert.Contains(ex.Diagnostics, d => d.Code == DiagnosticCodes.CycleWithoutWait);
        Assert.Contains("else", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_refuses_goto_to_an_unknown_node_and_correlation_to_a_non_send_node()
    {
        var dangling = Assert.Throws<JourneyValidationException>(() => JourneyBuilder.Create("j", "J").EnterAllCustomers()
            .Steps(p => p.Send(Channel.Push, "a").GoTo("nowhere")).Build());
        Assert.Contains(dangling.Diagnostics, d => d.Code == DiagnosticCodes.DanglingEdge && d.Message.Contains("nowhere", StringComparison.Ordinal));

        var correlation = Assert.Throws<JourneyValidationException>(() => JourneyBuilder.Create("j", "J").EnterAllCustomers()
            .Steps(p => p.Delay(TimeSpan.FromHours(1), id: "d").WaitForEvent("click", TimeSpan.FromHours(1), w => w.CorrelatedTo("d")).Exit("x")).Build());
        Assert.Contains(correlation.Diagnostics, d => d.Code == DiagnosticCodes.InvalidCorrelation);
    }

    [Fact]
    public void A_loop_through_a_wait_is_fine_but_the_schema_and_campaigns_are_checked_only_by_the_validator()
    {
        var journey = JourneyBuilder.Create("j", "J").EnterAllCustomers()
            .Steps(p => p
                .Send(Channel.Push, "no-such-campaign", v => v.Bind("x", "no-such-field"), id: "s")
                .WaitForEvent("open", TimeSpan.FromDays(1), w => w.OnTimeout(t => t.GoTo("s")))
                .Exit("opened"))
            .Build();

        var result = JourneyValidator.Validate(journey, SampleJourneys.Schema, SampleJourneys.Campaigns);
        Assert.Contains(result.Diagnostics, d => d.Code == DiagnosticCodes.UnknownCampaign && d.NodeId == "s");
        Assert.Contains(result.Diagnostics, d => d.Code == DiagnosticCodes.UnknownField && d.NodeId == "s");
    }

    [Fact]
    public void The_sample_journey_validates_clean()
    {
        var result = JourneyValidator.Validate(SampleJourneys.AbandonedCart(), SampleJourneys.Schema, SampleJourneys.Campaigns);
        Assert.True(result.Diagnostics.IsEmpty, result.ToString());
    }
}
