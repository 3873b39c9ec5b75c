using Journeys.Conditions;
using Journeys.Building;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Tests.Building;
using Journeys.Tests.Messaging;
using Microsoft.Extensions.Logging;

namespace Journeys.Tests.Runtime;

public sealed class StepExecutorTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);

    private static Customer Ana(bool vip = false, string? firstName = "Ana") => new(
        "ana@example.com",
        new Dictionary<string, FieldValue> { ["firstName"] = firstName, ["email"] = "ana@example.com", ["vip"] = vip });

    private static ExecutorHarness AbandonedCart(Customer customer) =>
        new(SampleJourneys.AbandonedCart(), SampleJourneys.Schema, SampleJourneys.Campaigns, customer, T0);

    [Fact]
    public void Delay_holds_the_customer_until_it_is_due()
    {
        var run = AbandonedCart(Ana());

        run.Run(T0);
        Assert.Equal((EnrollmentStatus.Waiting, "wait-1h", T0.AddHours(1)), (run.State.Status, run.State.CurrentNodeId, run.State.WakeAt));
        Assert.Empty(run.Outbox);

        run.Run(T0.AddMinutes(59));
        Assert.Equal("wait-1h", run.State.CurrentNodeId);
        Assert.Empty(run.Outbox);

        run.Run(T0.AddHours(1));
        Assert.Equal(("wait-click", EnrollmentStatus.Waiting), (run.State.CurrentNodeId, run.State.Status));
        Assert.Equal(["cart-reminder"], run.SentCampaigns);
        Assert.Equal("Ana, you left something in your cart", run.Outbox[0].Message.Body);
    }

    [Fact]
    public void A_run_asked_for_its_state_record_builds_the_same_state_the_change_form_builds_when_read()
    {
        var run = AbandonedCart(Ana());
        var item = new WorkItem(run.State, [], T0.AddMinutes(1));

        var kept = StepExecutor.Execute(run.Journey, item, run.Fields, run.Journey.Zone, T0);
        var built = StepExecutor.Execute(run.Journey, item, run.Fields, run.Journey.Zone, T0, stateRecord: true);
        var failedKept = StepExecutor.Fail(run.Journey, item, "engine error: X", T0);
        var failedBuilt = StepExecutor.Fail(run.Journey, item, "engine error: X", T0, stateRecord: true);

        // The engine on the in-memory store keeps the change (its store copies it); on a durable store the record is built once.
        Assert.True(kept.TryGetChange(out _));
        Assert.False(built.TryGetChange(out _));
        Assert.True(failedKept.TryGetChange(out _));
        Assert.False(failedBuilt.TryGetChange(out _));
        Assert.Equal(kept.State, built.State);
        Assert.Equal((EnrollmentStatus.Waiting, "wait-1h", T0.AddHours(1), 2L), (built.State.Status, built.State.CurrentNodeId, built.State.WakeAt, built.State.ConcurrencyToken));
        Assert.Equal(kept.Statistics, built.Statistics);
        Assert.Equal(failedKept.State, failedBuilt.State);
        Assert.Equal((EnrollmentStatus.Failed, "engine error: X"), (failedBuilt.State.Status, failedBuilt.State.EndReason));
    }

    [Fact]
    public void A_run_of_an_item_in_the_claim_form_reads_its_state_without_building_the_record_and_gives_the_same_checkpoint()
    {
        var run = AbandonedCart(Ana());
        run.Run(T0);
        var state = run.State with { EventCursor = 4, MessagesSent = 1, Clicks = 2, NodeState = 3 };
        var claimed = new WorkItem(ClaimedState.Of(state), [], T0.AddHours(2));
        var given = new WorkItem(state, [], T0.AddHours(2));

        var fromClaim = StepExecutor.Execute(run.Journey, claimed, run.Fields, run.Journey.Zone, T0.AddHours(1));
        var fromRecord = StepExecutor.Execute(run.Journey, given, run.Fields, run.Journey.Zone, T0.AddHours(1));

        Assert.False(claimed.HasEnrollmentRecord, "the executor built the claimed item's Enrollment record");
        Assert.Same(state, fromClaim.Identity);
        Assert.Equal(fromRecord.State, fromClaim.State);
        Assert.Equal(fromRecord.Outbox, fromClaim.Outbox);
        Assert.Equal(fromRecord.CustomerUpdates, fromClaim.CustomerUpdates);
        Assert.Equal(fromRecord.Statistics, fromClaim.Statistics);
        Assert.Equal(state.ConcurrencyToken, fromClaim.ExpectedToken);
        Assert.Equal(["cart-reminder"], fromClaim.Outbox.Select(o => o.Message.CampaignId));
        Assert.Equal((2, 2), (fromClaim.State.Clicks, fromClaim.State.MessagesSent));
        Assert.Equal(state.ConcurrencyToken + 1, fromClaim.State.ConcurrencyToken);
    }

    [Fact]
    public void Runs_on_one_thread_return_only_their_own_results_and_leave_earlier_checkpoints_unchanged()
    {
        var run = AbandonedCart(Ana());

        var first = run.Run(T0);
        var firstStatistics = first.Statistics.ToArray();
        var second = run.Run(T0.AddHours(1));
        var third = run.Run(T0.AddHours(1).AddMinutes(1));

        Assert.Empty(first.Outbox);
        Assert.Equal(firstStatistics, first.Statistics);
        Assert.Equal(["cart-reminder"], second.Outbox.Select(o => o.Message.CampaignId));
        Assert.Empty(third.Outbox);
        Assert.Empty(third.Statistics);
        Assert.DoesNotContain(second.Statistics, d => d.Counter == StatisticCounter.Entered && d.NodeId is null);
        Assert.Equal((EnrollmentStatus.Waiting, "wait-1h"), (first.State.Status, first.State.CurrentNodeId));
    }

    [Fact]
    public void Runs_that_count_the_same_deltas_share_one_array_and_runs_on_other_paths_get_their_own()
    {
        var journey = JourneyCompiler.Compile(SampleJourneys.AbandonedCart(), SampleJourneys.Schema, SampleJourneys.Campaigns);
        EnrollmentCheckpoint RunAt(Customer customer, DateTimeOffset now, int seed)
        {
            var state = new Enrollment(Guid.CreateVersion7(T0.AddTicks(seed)), journey.Id, journey.Version, customer.Id, journey.Definition.StartNodeId, EnrollmentStatus.Waiting, T0.AddHours(1), null, 1, T0, T0, 2)
            {
                WakeEvents = journey.GoalEvents,
                NodeEnteredAt = T0,
            };
            var fields = CustomerSlots.ToArray(customer, journey.Schema);
            return StepExecutor.Execute(journey, new WorkItem(state, [], now.AddMinutes(1)), fields, journey.Zone, now);
        }

        var vip1 = RunAt(Ana(vip: true), T0.AddHours(1), 1);
        var plain1 = RunAt(Ana(vip: false), T0.AddHours(1), 2);
        var vip2 = RunAt(Ana(vip: true), T0.AddHours(1), 3);
        var plain2 = RunAt(Ana(vip: false), T0.AddHours(1), 4);

        // Equal paths share one array; different paths never see each other's deltas.
        Assert.Same(vip1.Statistics, vip2.Statistics);
        Assert.Same(plain1.Statistics, plain2.Statistics);
        Assert.NotSame(vip1.Statistics, plain1.Statistics);
        Assert.Contains(vip1.Statistics, d => d.NodeId == "vip-whatsapp" && d.Counter == StatisticCounter.Entered);
        Assert.DoesNotContain(plain1.Statistics, d => d.NodeId == "vip-whatsapp");
        Assert.Contains(plain2.Statistics, d => d.NodeId == "cart-push" && d.Counter == StatisticCounter.Entered);
        Assert.DoesNotContain(vip2.Statistics, d => d.NodeId == "cart-push");
        Assert.All([vip1, plain1, vip2, plain2], c => Assert.All(c.Statistics, d => Assert.Equal((journey.Id, journey.Version, 1L), (d.JourneyId, d.Version, d.Amount))));
    }

    [Fact]
    public void Filter_sends_vip_customers_down_their_branch_and_open_branches_join_the_next_step()
    {
        var run = AbandonedCart(Ana(vip: true));

        run.Run(T0);
        run.Run(T0.AddHours(1));

        Assert.Equal(["vip-offer", "https://crm.example.com/hooks/cart"], run.SentCampaigns);
        Assert.Equal(StepExecutor.WebhookChannel, run.Outbox.Single(o => o.Message.Channel == StepExecutor.WebhookChannel).Message.Channel);
        Assert.Equal(("notify-crm", StepExecutor.WebhookResultEvent), (run.State.CurrentNodeId, run.State.AwaitedEvent));
    }

    [Fact]
    public void A_click_on_the_correlated_push_takes_the_event_path_and_other_clicks_do_not()
    {
        var run = AbandonedCart(Ana());
        run.Run(T0);
        run.Run(T0.AddHours(1));
        var push = run.Outbox.Single().Message;
        Assert.Equal(StepExecutor.IdempotencyKey(run.Journey, run.State.Id, "cart-push", 3), push.IdempotencyKey);

        run.Publish("click", T0.AddHours(2), messageId: "some-other-message");
        run.Publish("open", T0.AddHours(2), messageId: push.MessageId);
        run.Run(T0.AddHours(2));
        Assert.Equal("wait-click", run.State.CurrentNodeId);

        run.Publish("click", T0.AddHours(3), messageId: push.MessageId);
        run.Run(T0.AddHours(3));
        Assert.Equal("notify-crm", run.State.CurrentNodeId);
        Assert.Equal(1, run.Count("wait-click", StatisticCounter.Left));
        Assert.Equal(0, run.Count("email-or-sms", StatisticCounter.Entered));
    }

    [Fact]
    public void A_timeout_takes_the_timeout_path_even_when_the_click_is_processed_later()
    {
        var run = AbandonedCart(Ana());
        run.Run(T0);
        run.Run(T0.AddHours(1));
        var push = run.Outbox.Single().Message;

        // The click came after the wait had timed out; the engine only sees both now.
        run.Publish("click", T0.AddHours(1).AddDays(1).AddMinutes(5), messageId: push.MessageId);
        run.Run(T0.AddDays(2));

        Assert.Equal(1, run.Count("email-or-sms", StatisticCounter.Entered));
        Assert.Contains(run.SentCampaigns, c => c is "cart-email" or "cart-sms");
    }

    [Fact]
    public void A_goal_event_converts_the_enrollment_wherever_it_waits()
    {
        var run = AbandonedCart(Ana());
        run.Run(T0);
        run.Publish("purchase", T0.AddMinutes(30));
        run.Run(T0.AddMinutes(30));

        Assert.Equal((EnrollmentStatus.Converted, "goal:purchase"), (run.State.Status, run.State.EndReason));
        Assert.Equal(1, run.Count(null, StatisticCounter.Converted));
        Assert.Equal(1, run.Count("wait-1h", StatisticCounter.Converted));
        Assert.Empty(run.Outbox);
        Assert.True(run.State.WakeEvents.IsEmpty);
    }

    [Fact]
    public void A_goal_event_after_a_send_in_the_same_run_withdraws_that_send_and_counts_it_withdrawn_at_its_node()
    {
        // The engine sees the timer (due 10:00) and the purchase (10:05) only at 11:00: the reminder the timer led to
        // never reaches the outbox.
        var run = AbandonedCart(Ana());
        run.Run(T0);
        run.Publish("purchase", T0.AddHours(1).AddMinutes(5));
        var checkpoint = run.Run(T0.AddHours(2));

        Assert.Equal((EnrollmentStatus.Converted, "wait-click"), (run.State.Status, run.State.CurrentNodeId));
        Assert.Empty(checkpoint.Outbox);
        Assert.Equal(1, run.Count("cart-push", StatisticCounter.Entered));
        Assert.Equal(1, run.Count("cart-push", StatisticCounter.Withdrawn));
        Assert.Equal(0, run.State.MessagesSent);
    }

    [Fact]
    public void A_correlated_wait_matches_a_click_that_a_run_woken_by_a_goal_event_which_did_not_convert_passed_over()
    {
        var journey = JourneyBuilder.Create("j", "J").EnterAllCustomers().ConvertOn("purchase", Condition.Gt("amount", 100))
            .Steps(p => p.Send(Channel.Push, "cart-reminder", v => v.Bind("name", "firstName"), id: "push")
                .Delay(TimeSpan.FromHours(1), id: "delay")
                .WaitForEvent("click", TimeSpan.FromDays(1), w => w
                    .CorrelatedTo("push")
                    .OnEvent(c => c.Exit("clicked", id: "clicked"))
                    .OnTimeout(t => t.Exit("ignored", id: "ignored")), id: "wait"))
            .Build();
        var run = new ExecutorHarness(journey, SampleJourneys.Schema, SampleJourneys.Campaigns, Ana(), T0);
        run.Run(T0);
        var push = run.Outbox.Single().Message;

        run.Publish("click", T0.AddMinutes(10), messageId: push.MessageId);
        run.Publish("purchase", T0.AddMinutes(20), properties: ("amount", 5));
        run.Run(T0.AddMinutes(20));
        Assert.Equal((EnrollmentStatus.Waiting, "delay"), (run.State.Status, run.State.CurrentNodeId));

        // The timer's run has no new event: the click comes as the enrollment's earlier feedback.
        run.Run(T0.AddHours(1));
        Assert.Equal((EnrollmentStatus.Exited, "clicked"), (run.State.Status, run.State.CurrentNodeId));
        Assert.Equal(0, run.Count("ignored", StatisticCounter.Entered));
    }

    [Fact]
    public void Earlier_feedback_is_not_handled_again_as_a_new_event()
    {
        // A click that a run passed over comes back as earlier feedback: only a correlated wait looks at it, a
        // retargeting node that converts on any click does not take it as a new one.
        var journey = JourneyBuilder.Create("j", "J").EnterAllCustomers().ConvertOn("purchase", Condition.Gt("amount", 100))
            .Steps(p => p.Send(Channel.Push, "cart-reminder", v => v.Bind("name", "firstName"), id: "push")
                .Delay(TimeSpan.FromHours(1), id: "delay")
                .Retargeting("click", TimeSpan.FromDays(1), r => r
                    .OnConverted(c => c.Exit("converted", id: "converted"))
                    .OnExhausted(x => x.Exit("exhausted", id: "exhausted")), id: "retarget"))
            .Build();
        var run = new ExecutorHarness(journey, SampleJourneys.Schema, SampleJourneys.Campaigns, Ana(), T0);
        run.Run(T0);
        run.Publish("click", T0.AddMinutes(10), messageId: run.Outbox.Single().Message.MessageId);
        run.Publish("purchase", T0.AddMinutes(20), properties: ("amount", 5));
        run.Run(T0.AddMinutes(20));
        Assert.Equal((EnrollmentStatus.Waiting, "delay"), (run.State.Status, run.State.CurrentNodeId));

        run.Run(T0.AddHours(1));
        Assert.Equal((EnrollmentStatus.Waiting, "retarget"), (run.State.Status, run.State.CurrentNodeId));
        Assert.Equal(0, run.Count("retarget", StatisticCounter.Converted));
    }

    [Fact]
    public void A_goal_reached_before_the_first_step_converts_without_sending()
    {
        var journey = JourneyBuilder.Create("j", "J").EnterAllCustomers().ConvertOn("purchase", Condition.Gt("amount", 10))
            .Steps(p => p.Send(Channel.Push, "cart-reminder", v => v.Bind("name", "firstName")))
            .Build();
        var run = new ExecutorHarness(journey, SampleJourneys.Schema, SampleJourneys.Campaigns, Ana(), T0);

        run.Publish("purchase", T0, properties: ("amount", 5));
        run.Publish("purchase", T0, properties: ("amount", 50));
        run.Run(T0);

        Assert.Equal(EnrollmentStatus.Converted, run.State.Status);
        Assert.Empty(run.Outbox);
    }

    [Fact]
    public void A_missing_template_value_without_default_skips_the_send_counts_it_and_moves_on()
    {
        var journey = JourneyBuilder.Create("j", "J").EnterAllCustomers()
            .Steps(p => p.Send(Channel.Push, "cart-reminder", v => v.Bind("name", "firstName"), id: "s").Send(Channel.Sms, "cart-sms"))
            .Build();
        var run = new ExecutorHarness(journey, SampleJourneys.Schema, SampleJourneys.Campaigns, Ana(firstName: null), T0);

        run.Run(T0);

        Assert.Equal(["cart-sms"], run.SentCampaigns);
        Assert.Equal((1, 1), (run.Count("s", StatisticCounter.Failed), run.Count("s", StatisticCounter.NotRendered)));
        Assert.Equal(EnrollmentStatus.Completed, run.State.Status);
        Assert.Equal(1, run.Count(null, StatisticCounter.Completed));
    }

    [Fact]
    public void A_send_skipped_for_a_missing_template_value_is_logged_naming_the_variable_not_the_customer()
    {
        var journey = JourneyBuilder.Create("j", "J").EnterAllCustomers()
            .Steps(p => p.Send(Channel.Push, "cart-reminder", v => v.Bind("name", "firstName"), id: "s"))
            .Build();
        var logger = new ListLogger<StepExecutor>();
        var run = new ExecutorHarness(journey, SampleJourneys.Schema, SampleJourneys.Campaigns, Ana(firstName: null), T0) { Logger = logger };

        run.Run(T0);

        var (level, message) = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Warning, level);
        Assert.Equal("Send of campaign cart-reminder at journey j version 1 node s skipped: template variable 'name' has no value and no default (further skips of this send are logged at Debug, event 11; the notRendered counter counts them all)", message);
        Assert.DoesNotContain(run.Customer.Id, message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_update_is_committed_and_seen_by_the_next_filter_in_the_same_run()
    {
        var journey = JourneyBuilder.Create("j", "J").EnterAllCustomers()
            .Steps(p => p
                .UpdateCustomer("vip", true)
                .Filter(f => f.When(Condition.Eq("vip", true), b => b.Exit("vip", id: "is-vip")).Otherwise(o => o.Exit("not-vip", id: "not-vip"))))
            .Build();
        var run = new ExecutorHarness(journey, SampleJourneys.Schema, SampleJourneys.Campaigns, Ana(vip: false), T0);

        run.Run(T0);

        Assert.Equal([new CustomerFieldUpdate("ana@example.com", "vip", true)], run.Updates);
        Assert.Equal((EnrollmentStatus.Exited, "is-vip", "vip"), (run.State.Status, run.State.CurrentNodeId, run.State.EndReason));
        Assert.Equal(1, run.Count("is-vip", StatisticCounter.Exited));
    }

    [Fact]
    public void Retargeting_sends_reminders_at_their_offsets_until_the_window_ends()
    {
        var campaigns = CampaignCatalog.Create(new Campaign("r1", Channel.Push, "Still there?"), new Campaign("r2", Channel.Email, "Last chance"));
        var journey = JourneyBuilder.Create("j", "J").EnterAllCustomers()
            .Steps(p => p.Retargeting("purchase", TimeSpan.FromDays(3), r => r
                .Remind(TimeSpan.FromHours(4), Channel.Push, "r1")
                .Remind(TimeSpan.FromDays(1), Channel.Email, "r2")
                .OnConverted(c => c.Exit("bought", id: "bought"))
                .OnExhausted(x => x.Exit("gave-up", id: "gave-up")), id: "rt"))
            .Build();

        var exhausted = new ExecutorHarness(journey, SampleJourneys.Schema, campaigns, Ana(), T0);
        exhausted.Run(T0);
        Assert.Equal(T0.AddHours(4), exhausted.State.WakeAt);
        exhausted.Run(T0.AddHours(4));
        Assert.Equal(["r1"], exhausted.SentCampaigns);
        Assert.Equal(T0.AddDays(1), exhausted.State.WakeAt);
        exhausted.Run(T0.AddDays(1));
        Assert.Equal(["r1", "r2"], exhausted.SentCampaigns);
        Assert.Equal(T0.AddDays(3), exhausted.State.WakeAt);
        exhausted.Run(T0.AddDays(3));
        Assert.Equal("gave-up", exhausted.State.CurrentNodeId);
        Assert.Equal(2, exhausted.Outbox.Select(o => o.Message.IdempotencyKey).Distinct().Count());
        var firstReminder = exhausted.Outbox[0].Message;
        Assert.Equal($"{journey.Id}:{journey.Version}:{exhausted.State.Id:N}:rt:1-reminder-1", firstReminder.IdempotencyKey);
        Assert.Equal($"{exhausted.State.Id:N}/rt/1-reminder-1", firstReminder.MessageId);

        var converted = new ExecutorHarness(journey, SampleJourneys.Schema, campaigns, Ana(), T0);
        converted.Run(T0);
        converted.Run(T0.AddHours(4));
        converted.Publish("purchase", T0.AddHours(6));
        converted.Run(T0.AddHours(6));
        Assert.Equal(("bought", EnrollmentStatus.Exited), (converted.State.CurrentNodeId, converted.State.Status));
        Assert.Equal(["r1"], converted.SentCampaigns);
        Assert.Equal(1, converted.Count("rt", StatisticCounter.Converted));
    }

    [Fact]
    public void A_retargeting_node_left_by_its_conversion_event_drops_its_reminder_of_the_same_run_and_names_itself_for_the_commit()
    {
        // The engine sees the 4-hour timer and the purchase at 5 hours only at 6 hours: the reminder the timer led to never
        // reaches the outbox, the commit is told to withdraw the node's earlier ones, and the onConverted path's message
        // (and the welcome of the first run) stay.
        var campaigns = CampaignCatalog.Create(new Campaign("r1", Channel.Push, "Still there?"), new Campaign("r2", Channel.Email, "Thanks"));
        var journey = JourneyBuilder.Create("j", "J").EnterAllCustomers()
            .Steps(p => p.Send(Channel.Email, "r2", id: "welcome").Retargeting("purchase", TimeSpan.FromDays(3), r => r
                .Remind(TimeSpan.FromHours(4), Channel.Push, "r1")
                .OnConverted(c => c.Send(Channel.Email, "r2", id: "thanks").Delay(TimeSpan.FromDays(1), id: "later"))
                .OnExhausted(x => x.Exit("gave-up", id: "gave-up")), id: "rt"))
            .Build();
        var run = new ExecutorHarness(journey, SampleJourneys.Schema, campaigns, Ana(), T0);
        Assert.Empty(run.Run(T0).WithdrawNodeIds);
        run.Publish("purchase", T0.AddHours(5));
        var checkpoint = run.Run(T0.AddHours(6));

        Assert.Equal(["thanks"], checkpoint.Outbox.Select(o => o.Message.NodeId));
        Assert.Equal(["rt"], checkpoint.WithdrawNodeIds);
        Assert.Equal((1, 1, 0), (run.Count("rt", StatisticCounter.Converted), run.Count("rt", StatisticCounter.Withdrawn), run.Count("thanks", StatisticCounter.Withdrawn)));
        Assert.Equal((EnrollmentStatus.Waiting, "later", 2), (run.State.Status, run.State.CurrentNodeId, run.State.MessagesSent));
    }

    [Fact]
    public void Webhook_results_route_to_success_or_failure_and_a_missing_result_fails_after_its_timeout()
    {
        static ExecutorHarness Start()
        {
            var journey = JourneyBuilder.Create("j", "J").EnterAllCustomers()
                .Steps(p => p.Webhook("https://crm.example.com/x", h => h.Fields("email", "vip").Timeout(TimeSpan.FromSeconds(5)).Retries(1)
                    .OnSuccess(s => s.Exit("ok", id: "ok"))
                    .OnFailure(f => f.Exit("ko", id: "ko")), id: "hook"))
                .Build();
            var run = new ExecutorHarness(journey, SampleJourneys.Schema, SampleJourneys.Campaigns, Ana(vip: true), T0);
            run.Run(T0);
            return run;
        }

        var success = Start();
        var call = success.Outbox.Single().Message;
        Assert.Equal(("https://crm.example.com/x", """{"email":"ana@example.com","vip":true}"""), (call.CampaignId, call.Body));
        success.Publish(StepExecutor.WebhookResultEvent, T0.AddSeconds(1), call.MessageId, ("success", true));
        success.Run(T0.AddSeconds(1));
        Assert.Equal("ok", success.State.CurrentNodeId);

        var failure = Start();
        failure.Publish(StepExecutor.WebhookResultEvent, T0.AddSeconds(1), failure.Outbox.Single().Message.MessageId, ("success", false));
        failure.Run(T0.AddSeconds(1));
        Assert.Equal("ko", failure.State.CurrentNodeId);
        Assert.Equal(1, failure.Count("hook", StatisticCounter.Failed));

        var silent = Start();
        silent.Run(T0.AddMinutes(4));
        Assert.Equal("hook", silent.State.CurrentNodeId);
        silent.Run(T0.AddMinutes(6));
        Assert.Equal("ko", silent.State.CurrentNodeId);
    }

    [Fact]
    public void Delays_until_a_date_or_a_customer_field_in_the_past_continue_at_once()
    {
        var schema = SampleJourneys.Schema;
        var journey = JourneyBuilder.Create("j", "J").EnterAllCustomers()
            .Steps(p => p.DelayUntil(T0.AddDays(-1)).DelayUntilField("birthDate", TimeSpan.FromDays(1), id: "field").Exit("done"))
            .Build();
        var past = new Customer("c", new Dictionary<string, FieldValue> { ["birthDate"] = T0.AddDays(-10) });
        var run = new ExecutorHarness(journey, schema, SampleJourneys.Campaigns, past, T0);
        run.Run(T0);
        Assert.Equal(EnrollmentStatus.Exited, run.State.Status);

        var future = new Customer("c", new Dictionary<string, FieldValue> { ["birthDate"] = T0.AddDays(10) });
        var waiting = new ExecutorHarness(journey, schema, SampleJourneys.Campaigns, future, T0);
        waiting.Run(T0);
        Assert.Equal(("field", T0.AddDays(11)), (waiting.State.CurrentNodeId, waiting.State.WakeAt));

        // No date to wait for (the field missing, or another type's value): the customer goes on at once too.
        foreach (var without in new[] { new Customer("c"), new Customer("c", new Dictionary<string, FieldValue> { ["birthDate"] = "soon" }) })
        {
            var none = new ExecutorHarness(journey, schema, SampleJourneys.Campaigns, without, T0);
            none.Run(T0);
            Assert.Equal(EnrollmentStatus.Exited, none.State.Status);
        }
    }

    [Fact]
    public void Random_split_is_sticky_per_customer()
    {
        var journey = JourneyBuilder.Create("split", "Split").EnterAllCustomers()
            .Steps(p => p.RandomSplit(s => s.Path(1, a => a.Exit("a", id: "a")).Path(1, b => b.Exit("b", id: "b"))))
            .Build();

        for (var i = 0; i < 50; i++)
        {
            var customer = new Customer($"customer-{i}");
            var first = new ExecutorHarness(journey, SampleJourneys.Schema, SampleJourneys.Campaigns, customer, T0);
            var second = new ExecutorHarness(journey, SampleJourneys.Schema, SampleJourneys.Campaigns, customer, T0.AddDays(30));
            first.Run(T0);
            second.Run(T0.AddDays(30));
            Assert.Equal(first.State.CurrentNodeId, second.State.CurrentNodeId);
        }
    }
}
