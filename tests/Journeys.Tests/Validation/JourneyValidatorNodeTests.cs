using Journeys.Validation;
using static Journeys.Tests.Validation.ValidationTestData;

namespace Journeys.Tests.Validation;

public sealed class JourneyValidatorNodeTests
{
    private static SendNode SendVip => Node<SendNode>("send-vip");

    private static RetargetingNode Cart => Node<RetargetingNode>("cart");

    private static WebhookNode Hook => Node<WebhookNode>("hook");

    private static WaitForEventNode WaitClick => Node<WaitForEventNode>("wait-click");

    [Fact]
    public void An_unknown_campaign_names_node_and_campaign()
    {
        var diagnostic = OnlyFor(SendVip with { Campaign = new CampaignReference("spring-sale", [new VariableBinding("name", "firstName")]) }, DiagnosticCodes.UnknownCampaign);

        Assert.Equal("send-vip", diagnostic.NodeId);
        Assert.Equal("nodes[send-vip].campaign.campaignId", diagnostic.Path);
        Assert.Contains("'spring-sale'", diagnostic.Message, StringComparison.Ordinal);
        Assert.Contains("Send node \"send-vip\"", diagnostic.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    public void An_empty_campaign_id_is_reported(string? campaignId)
    {
        OnlyFor(SendVip with { Campaign = new CampaignReference(campaignId!, [new VariableBinding("name", "firstName")]) }, DiagnosticCodes.MissingCampaign);
    }

    [Fact]
    public void A_null_campaign_reference_is_reported()
    {
        OnlyFor(SendVip with { Campaign = null! }, DiagnosticCodes.MissingCampaign);
    }

    [Fact]
    public void A_campaign_made_for_another_channel_is_a_channel_mismatch()
    {
        var diagnostic = OnlyFor(SendVip with { Channel = Channel.Email }, DiagnosticCodes.ChannelMismatch);

        Assert.Contains("email", diagnostic.Message, StringComparison.Ordinal);
        Assert.Contains("push", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_default_channel_is_reported_as_missing()
    {
        OnlyFor(SendVip with { Channel = default }, DiagnosticCodes.MissingChannel);
    }

    [Fact]
    public void A_template_variable_without_a_binding_is_unbound()
    {
        var diagnostic = OnlyFor(SendVip with { Campaign = new CampaignReference("welcome", []) }, DiagnosticCodes.UnboundVariable);

        Assert.Contains("{{name}}", diagnostic.Message, StringComparison.Ordinal);
        Assert.Contains("'welcome'", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_binding_to_a_field_outside_the_schema_is_an_unknown_field()
    {
        var diagnostic = OnlyFor(SendVip with { Campaign = new CampaignReference("welcome", [new VariableBinding("name", "nickname")]) }, DiagnosticCodes.UnknownField);

        Assert.Equal("nodes[send-vip].campaign.variables[0].field", diagnostic.Path);
        Assert.Contains("'nickname'", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Binding_field_names_are_matched_case_insensitively_like_the_schema()
    {
        Assert.Empty(Validate(With(SendVip with { Campaign = new CampaignReference("welcome", [new VariableBinding("name", "FIRSTNAME")]) })).Diagnostics);
    }

    [Fact]
    public void A_binding_for_a_variable_the_template_lacks_is_a_warning()
    {
        var send = SendVip with { Campaign = new CampaignReference("welcome", [new VariableBinding("name", "firstName"), new VariableBinding("city", "email")]) };

        var result = Validate(With(send));

        var diagnostic = Only(result, DiagnosticCodes.UnusedBinding);
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        Assert.True(result.IsValid);
    }

    [Fact]
    public void A_variable_bound_twice_is_reported()
    {
        OnlyFor(SendVip with { Campaign = new CampaignReference("welcome", [new VariableBinding("name", "firstName"), new VariableBinding("name", "email")]) }, DiagnosticCodes.DuplicateBinding);
    }

    [Fact]
    public void Null_and_empty_bindings_are_reported()
    {
        var send = SendVip with { Campaign = new CampaignReference("welcome", [new VariableBinding("name", "firstName"), null!, new VariableBinding("", "email"), new VariableBinding("name2", "")]) };

        var result = Validate(With(send));

        Assert.Equal(
            [DiagnosticCodes.NullItem, DiagnosticCodes.InvalidBinding, DiagnosticCodes.UnusedBinding, DiagnosticCodes.MissingFieldName],
            result.Diagnostics.Select(d => d.Code));
    }

    [Fact]
    public void Reminders_are_checked_like_send_nodes()
    {
        var node = Cart with
        {
            Reminders =
            [
                new RetargetingReminder(TimeSpan.FromDays(1), Channel.Push, new CampaignReference("reminder", [new VariableBinding("name", "firstName")])),
                new RetargetingReminder(TimeSpan.FromDays(2), Channel.Sms, new CampaignReference("gone", [])),
            ],
        };

        var result = Validate(With(node));

        Assert.Equal(
            [DiagnosticCodes.ChannelMismatch, DiagnosticCodes.UnboundVariable, DiagnosticCodes.UnknownCampaign],
            result.Diagnostics.Select(d => d.Code));
        Assert.All(result.Diagnostics, d => Assert.Equal("cart", d.NodeId));
        Assert.Equal("nodes[cart].reminders[0].channel", result.Diagnostics[0].Path);
        Assert.Contains("reminder 1", result.Diagnostics[0].Message, StringComparison.Ordinal);
        Assert.Contains("{{email}}", result.Diagnostics[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reminder_schedule_must_be_positive_inside_the_window_and_increasing()
    {
        static RetargetingReminder Reminder(double days) => new(TimeSpan.FromDays(days), Channel.Sms, new CampaignReference("plain-sms", []));

        var result = Validate(With(Cart with { Reminders = [Reminder(0), Reminder(2), Reminder(1), Reminder(3)] }));

        Assert.Equal(
            [
                (DiagnosticCodes.InvalidDuration, "nodes[cart].reminders[0].after"),
                (DiagnosticCodes.InvalidReminderSchedule, "nodes[cart].reminders[2].after"),
                (DiagnosticCodes.InvalidReminderSchedule, "nodes[cart].reminders[3].after"),
            ],
            result.Diagnostics.Select(d => (d.Code, d.Path)));
    }

    [Fact]
    public void Retargeting_window_and_conversion_event_are_required()
    {
        var result = Validate(With(Cart with { Window = TimeSpan.Zero, ConversionEvent = " ", Reminders = [] }));

        Assert.Equal([DiagnosticCodes.MissingEventName, DiagnosticCodes.InvalidDuration], result.Diagnostics.Select(d => d.Code));
    }

    [Fact]
    public void A_random_split_without_paths_is_an_error()
    {
        // The retargeting node behind the split becomes unreachable too.
        var diagnostic = Single(Validate(With(new RandomSplitNode("split", []))), DiagnosticCodes.MissingPaths);
        Assert.Equal("split", diagnostic.NodeId);
    }

    [Fact]
    public void A_random_split_with_one_path_is_a_warning()
    {
        var result = Validate(With(new RandomSplitNode("split", [new RandomPath(1, "cart")])));

        Assert.Equal(DiagnosticSeverity.Warning, Only(result, DiagnosticCodes.SinglePath).Severity);
        Assert.True(result.IsValid);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Weights_must_be_positive_and_finite(double weight)
    {
        var diagnostic = OnlyFor(new RandomSplitNode("split", [new RandomPath(50, "cart"), new RandomPath(weight, null)]), DiagnosticCodes.InvalidWeight);

        Assert.Equal("nodes[split].paths[1].weight", diagnostic.Path);
    }

    [Fact]
    public void A_null_random_path_is_reported()
    {
        OnlyFor(new RandomSplitNode("split", [new RandomPath(50, "cart"), null!]), DiagnosticCodes.NullItem);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-60)]
    public void A_delay_must_be_longer_than_zero(int seconds)
    {
        var diagnostic = OnlyFor(new DelayNode("wait-1h", new DurationDelay(TimeSpan.FromSeconds(seconds)), "until-renewal"), DiagnosticCodes.InvalidDuration);

        Assert.Equal("wait-1h", diagnostic.NodeId);
        Assert.Contains(seconds == 0 ? "waits 0 seconds" : "waits -1 minute", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Durations_in_messages_read_as_days_hours_and_minutes()
    {
        var diagnostic = OnlyFor(Cart with { Window = TimeSpan.FromHours(26.5), Reminders = [new(TimeSpan.FromDays(2), Channel.Sms, new CampaignReference("plain-sms", []))] }, DiagnosticCodes.InvalidReminderSchedule);

        Assert.Contains("sent 2 days after arrival, which is not within the 1 day 2 hours 30 minutes conversion window", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_delay_without_a_spec_is_reported()
    {
        OnlyFor(new DelayNode("wait-1h", null!, "until-renewal"), DiagnosticCodes.MissingDelay);
    }

    [Fact]
    public void A_delay_until_a_field_needs_a_known_date_time_field()
    {
        OnlyFor(new DelayNode("until-renewal", new UntilFieldDelay("contractEnd", TimeSpan.Zero), "at-nine"), DiagnosticCodes.UnknownField);
        var mismatch = OnlyFor(new DelayNode("until-renewal", new UntilFieldDelay("age", TimeSpan.Zero), "at-nine"), DiagnosticCodes.TypeMismatch);
        Assert.Contains("Number", mismatch.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Delays_until_a_date_or_a_time_of_day_are_fine()
    {
        Assert.Empty(Validate(With(new DelayNode("at-nine", new UntilDateDelay(Start), "hook"))).Diagnostics);
        Assert.Empty(Validate(With(new DelayNode("at-nine", new UntilTimeOfDayDelay(TimeOnly.MinValue), "hook"))).Diagnostics);
    }

    [Fact]
    public void A_wait_needs_an_event_name_and_a_positive_timeout()
    {
        var result = Validate(With(WaitClick with { EventName = "", Timeout = TimeSpan.Zero }));

        Assert.Equal([DiagnosticCodes.MissingEventName, DiagnosticCodes.InvalidDuration], result.Diagnostics.Select(d => d.Code));
    }

    [Theory]
    [InlineData("nowhere")]
    [InlineData("split")]
    [InlineData("")]
    public void A_wait_can_only_be_correlated_to_a_send_node_of_the_journey(string correlated)
    {
        var diagnostic = OnlyFor(WaitClick with { CorrelatedNodeId = correlated }, DiagnosticCodes.InvalidCorrelation);

        Assert.Equal("nodes[wait-click].correlatedNodeId", diagnostic.Path);
    }

    [Fact]
    public void A_wait_without_correlation_is_fine()
    {
        Assert.Empty(Validate(With(WaitClick with { CorrelatedNodeId = null, PropertyCondition = null })).Diagnostics);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("http://crm.example.com/hook")]
    [InlineData("ftp://crm.example.com/hook")]
    [InlineData("/hooks/cart")]
    [InlineData("crm.example.com/hook")]
    [InlineData("https://")]
    public void A_webhook_url_must_be_absolute_https(string? url)
    {
        var diagnostic = OnlyFor(Hook with { Url = url! }, DiagnosticCodes.InvalidWebhookUrl);

        Assert.Equal("nodes[hook].url", diagnostic.Path);
    }

    [Fact]
    public void Plain_http_validates_only_for_a_host_the_application_allow_lists()
    {
        var journey = With(Hook with { Url = "http://127.0.0.1:8080/hook" });
        var options = new JourneyValidationOptions(allowHttpWebhooks: false, httpWebhookHosts: ["127.0.0.1", "CRM.internal"]);

        Assert.True(JourneyValidator.Validate(journey, Schema, Campaigns, options).IsValid);
        Assert.True(JourneyValidator.Validate(With(Hook with { Url = "http://crm.internal/hook" }), Schema, Campaigns, options).IsValid);

        var other = JourneyValidator.Validate(With(Hook with { Url = "http://crm.example.com/hook" }), Schema, Campaigns, options);
        var diagnostic = Assert.Single(other.Diagnostics);
        Assert.Equal(DiagnosticCodes.InvalidWebhookUrl, diagnostic.Code);
        Assert.Contains("AllowedHttpHosts", diagnostic.Message, StringComparison.Ordinal);
        Assert.Contains("'crm.example.com'", diagnostic.Message, StringComparison.Ordinal);

        // The default settings (and the three-argument overload) stay strict.
        Assert.False(JourneyValidator.Validate(journey, Schema, Campaigns).IsValid);
        Assert.False(JourneyValidator.Validate(journey, Schema, Campaigns, null).IsValid);
        Assert.True(JourneyValidator.Validate(journey, Schema, Campaigns, new JourneyValidationOptions(true, [])).IsValid);
    }

    [Fact]
    public void Webhook_fields_must_be_in_the_schema()
    {
        var result = Validate(With(Hook with { Fields = ["email", "password", null!] }));

        Assert.Equal([DiagnosticCodes.UnknownField, DiagnosticCodes.NullItem], result.Diagnostics.Select(d => d.Code));
        Assert.Contains("'password'", result.Diagnostics[0].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(11)]
    public void Webhook_retries_must_be_between_zero_and_ten(int retries)
    {
        OnlyFor(Hook with { MaxRetries = retries }, DiagnosticCodes.InvalidRetries);
    }

    [Fact]
    public void Webhook_timeout_must_be_positive()
    {
        OnlyFor(Hook with { Timeout = TimeSpan.Zero }, DiagnosticCodes.InvalidDuration);
    }

    [Theory]
    [InlineData(9)]
    [InlineData(24 * 60 * 60 * 1000 + 1)]
    [InlineData(2L * 24 * 60 * 60 * 1000)]
    public void Webhook_timeout_outside_ten_milliseconds_to_a_day_is_refused_as_the_call_could_not_be_made(long milliseconds)
    {
        // The call's timeout strategy (Polly) accepts 10 ms to 24 h only, as WebhookOptions.Timeout does.
        var diagnostic = OnlyFor(Hook with { Timeout = TimeSpan.FromMilliseconds(milliseconds) }, DiagnosticCodes.InvalidDuration);
        Assert.Contains("10 ms", diagnostic.Message, StringComparison.Ordinal);
        Assert.EndsWith(".timeout", diagnostic.Path, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(24 * 60 * 60 * 1000)]
    public void Webhook_timeouts_of_ten_milliseconds_and_of_a_day_are_accepted(long milliseconds)
    {
        Assert.Empty(Validate(With(Hook with { Timeout = TimeSpan.FromMilliseconds(milliseconds) })).Diagnostics);
    }

    [Fact]
    public void An_update_must_name_a_known_field()
    {
        OnlyFor(new UpdateCustomerNode("update", "loyalty", true, "bye"), DiagnosticCodes.UnknownField);
        OnlyFor(new UpdateCustomerNode("update", "", true, "bye"), DiagnosticCodes.MissingFieldName);
    }

    [Fact]
    public void An_update_value_must_have_the_field_type_or_be_null()
    {
        var diagnostic = OnlyFor(new UpdateCustomerNode("update", "vip", "yes", "bye"), DiagnosticCodes.TypeMismatch);
        Assert.Contains("Boolean", diagnostic.Message, StringComparison.Ordinal);

        Assert.Empty(Validate(With(new UpdateCustomerNode("update", "vip", FieldValue.Null, "bye"))).Diagnostics);
        Assert.Empty(Validate(With(new UpdateCustomerNode("update", "tags", FieldValue.FromStringList(["a"]), "bye"))).Diagnostics);
    }

    [Fact]
    public void An_exit_without_a_reason_is_a_warning()
    {
        var result = Validate(With(new ExitNode("bye", " ")));

        Assert.Equal(DiagnosticSeverity.Warning, Only(result, DiagnosticCodes.MissingExitReason).Severity);
    }

    [Fact]
    public void A_filter_without_branches_is_a_warning()
    {
        var result = Validate(With(new FilterNode("check", [], "wait-1h")));

        // The send-vip path is now unreachable: only the warning is about the filter itself.
        Assert.Equal(DiagnosticSeverity.Warning, Single(result, DiagnosticCodes.NoBranches).Severity);
    }

    [Fact]
    public void Null_filter_branches_and_conditions_are_reported()
    {
        var filter = new FilterNode("check", [new FilterBranch(Condition.Eq("vip", true), "send-vip"), null!, new FilterBranch(null!, "hook")], "wait-1h");

        var result = Validate(With(filter));

        Assert.Equal([DiagnosticCodes.NullItem, DiagnosticCodes.MissingCondition], result.Diagnostics.Select(d => d.Code));
        Assert.Equal(["nodes[check].branches[1]", "nodes[check].branches[2].condition"], result.Diagnostics.Select(d => d.Path));
    }
}
