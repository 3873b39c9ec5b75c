using Journeys.Tests.Building;
using Journeys.Validation;
using static Journeys.Tests.Validation.ValidationTestData;

namespace Journeys.Tests.Validation;

public sealed class JourneyValidatorGraphTests
{
    private static JourneyDefinition Chain(params JourneyNode[] nodes) => ValidJourney() with
    {
        Nodes = nodes,
        StartNodeId = nodes.Length > 0 ? nodes[0].Id : "start",
    };

    [Fact]
    public void The_reference_journey_validates_clean()
    {
        var result = Validate(ValidJourney());

        Assert.Empty(result.Diagnostics);
        Assert.True(result.IsValid);
        Assert.Equal("cart", result.JourneyId);
    }

    [Fact]
    public void The_builder_sample_journey_validates_clean()
    {
        var result = JourneyValidator.Validate(SampleJourneys.AbandonedCart(), SampleJourneys.Schema, SampleJourneys.Campaigns);

        Assert.True(result.IsValid, result.ToString());
        Assert.Empty(result.Diagnostics);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("has space")]
    [InlineData("slash/no")]
    public void Invalid_node_ids_are_reported(string id)
    {
        var journey = Chain(new SendNode("a", Channel.Sms, new CampaignReference("plain-sms", []), id), new ExitNode(id, "done"));

        var diagnostic = Single(Validate(journey), DiagnosticCodes.InvalidNodeId);

        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal("nodes[#1]", diagnostic.Path);
    }

    [Fact]
    public void A_node_id_longer_than_128_characters_is_reported()
    {
        var id = new string('x', 129);
        var journey = Chain(new SendNode("a", Channel.Sms, new CampaignReference("plain-sms", []), id), new ExitNode(id, "done"));

        var diagnostic = Only(Validate(journey), DiagnosticCodes.InvalidNodeId);

        Assert.Contains("129", diagnostic.Message, StringComparison.Ordinal);
        Assert.Equal(id, diagnostic.NodeId);
    }

    [Fact]
    public void Node_ids_may_use_letters_digits_dash_underscore_dot_and_colon()
    {
        var journey = Chain(new SendNode("a-b_c.d:1", Channel.Sms, new CampaignReference("plain-sms", []), null));

        Assert.Empty(Validate(journey).Diagnostics);
    }

    [Fact]
    public void Duplicate_node_ids_are_reported_on_the_later_node()
    {
        var journey = Chain(
            new SendNode("a", Channel.Sms, new CampaignReference("plain-sms", []), "b"),
            new ExitNode("b", "done"),
            new ExitNode("b", "again"));

        var diagnostic = Only(Validate(journey), DiagnosticCodes.DuplicateNodeId);

        Assert.Equal("b", diagnostic.NodeId);
        Assert.Contains("position 2", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Node_ids_are_compared_ordinally()
    {
        var journey = Chain(
            new SendNode("a", Channel.Sms, new CampaignReference("plain-sms", []), "A"),
            new ExitNode("A", "done"));

        Assert.Empty(Validate(journey).Diagnostics);
    }

    [Fact]
    public void A_journey_without_nodes_has_no_start()
    {
        var journey = ValidJourney() with { Nodes = EquatableArray<JourneyNode>.Empty, StartNodeId = "check" };

        var diagnostic = Only(Validate(journey), DiagnosticCodes.MissingStartNode);
        Assert.Equal("nodes", diagnostic.Path);
    }

    [Fact]
    public void A_default_node_array_is_treated_as_no_nodes()
    {
        var journey = ValidJourney() with { Nodes = default };

        Only(Validate(journey), DiagnosticCodes.MissingStartNode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void A_missing_start_node_id_is_reported(string? start)
    {
        var journey = ValidJourney() with { StartNodeId = start! };

        var diagnostic = Only(Validate(journey), DiagnosticCodes.MissingStartNode);
        Assert.Equal("startNodeId", diagnostic.Path);
    }

    [Fact]
    public void An_unknown_start_node_id_is_reported_without_flagging_every_node_unreachable()
    {
        var journey = ValidJourney() with { StartNodeId = "nope" };

        var diagnostic = Only(Validate(journey), DiagnosticCodes.UnknownStartNode);
        Assert.Contains("\"nope\"", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nodes_no_path_leads_to_are_unreachable()
    {
        var journey = ValidJourney();
        journey = journey with { Nodes = journey.Nodes.Append(new ExitNode("orphan", "never")).Append(new ExitNode("orphan-2", "never")).ToEquatableArray() };

        var result = Validate(journey);

        Assert.Equal(["orphan", "orphan-2"], result.Diagnostics.Select(d => d.NodeId));
        Assert.All(result.Diagnostics, d => Assert.Equal(DiagnosticCodes.UnreachableNode, d.Code));
        Assert.False(result.IsValid);
    }

    [Fact]
    public void A_node_reachable_only_from_an_unreachable_node_is_unreachable_too()
    {
        var journey = Chain(
            new ExitNode("start", "done"),
            new SendNode("island", Channel.Sms, new CampaignReference("plain-sms", []), "island-end"),
            new ExitNode("island-end", "done"));

        var result = Validate(journey);

        Assert.Equal(["island", "island-end"], result.Diagnostics.Select(d => d.NodeId));
    }

    [Fact]
    public void Dangling_edges_name_the_node_and_the_edge()
    {
        var filter = new FilterNode("check", [new FilterBranch(Condition.Eq("vip", true), "send-vip"), new FilterBranch(Condition.Eq("vip", false), "ghost")], "wait-1h");

        var diagnostic = OnlyFor(filter, DiagnosticCodes.DanglingEdge);

        Assert.Equal("check", diagnostic.NodeId);
        Assert.Equal("nodes[check].branches[1]", diagnostic.Path);
        Assert.Contains("branches[1]", diagnostic.Message, StringComparison.Ordinal);
        Assert.Contains("\"ghost\"", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dangling_timeout_edge_is_reported()
    {
        var wait = Node<WaitForEventNode>("wait-click") with { OnTimeout = "nowhere" };
        var result = Validate(With(wait));

        // The split is no longer reachable either.
        var diagnostic = Single(result, DiagnosticCodes.DanglingEdge);
        Assert.Equal("nodes[wait-click].onTimeout", diagnostic.Path);
    }

    [Fact]
    public void Missing_required_edges_are_reported_for_each_kind()
    {
        var journey = Chain(
            new FilterNode("filter", [new FilterBranch(Condition.Eq("vip", true), "wait")], null),
            new WaitForEventNode("wait", "click", TimeSpan.FromDays(1), "retarget", null),
            new RetargetingNode("retarget", "purchase", TimeSpan.FromDays(1), [], "hook", null),
            new WebhookNode("hook", "https://example.com/x", [], TimeSpan.FromSeconds(5), 0, null, null));

        var result = Validate(journey);

        Assert.Equal(
            ["nodes[filter].else", "nodes[wait].onTimeout", "nodes[retarget].onExhausted", "nodes[hook].onFailure"],
            result.Diagnostics.Select(d => d.Path));
        Assert.All(result.Diagnostics, d => Assert.Equal(DiagnosticCodes.MissingEdge, d.Code));
    }

    [Fact]
    public void Unset_optional_edges_are_fine()
    {
        var journey = Chain(
            new RandomSplitNode("split", [new RandomPath(1, "send"), new RandomPath(1, null)]),
            new SendNode("send", Channel.Sms, new CampaignReference("plain-sms", []), null));

        Assert.Empty(Validate(journey).Diagnostics);
    }

    [Fact]
    public void A_loop_without_a_wait_is_reported_once_naming_its_nodes()
    {
        var journey = Chain(
            new FilterNode("a", [new FilterBranch(Condition.Eq("vip", true), "b")], "end"),
            new SendNode("b", Channel.Sms, new CampaignReference("plain-sms", []), "c"),
            new UpdateCustomerNode("c", "vip", false, "a"),
            new ExitNode("end", "done"));

        var diagnostic = Only(Validate(journey), DiagnosticCodes.CycleWithoutWait);

        Assert.Equal("a", diagnostic.NodeId);
        Assert.Contains("\"a\", \"b\", \"c\"", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_node_that_leads_to_itself_is_an_instant_loop()
    {
        var journey = Chain(new SendNode("a", Channel.Sms, new CampaignReference("plain-sms", []), "a"));

        var diagnostic = Only(Validate(journey), DiagnosticCodes.CycleWithoutWait);
        Assert.Equal("a", diagnostic.NodeId);
    }

    [Fact]
    public void A_loop_through_a_delay_is_fine()
    {
        var journey = Chain(
            new SendNode("a", Channel.Sms, new CampaignReference("plain-sms", []), "pause"),
            new DelayNode("pause", new DurationDelay(TimeSpan.FromDays(1)), "a"));

        Assert.Empty(Validate(journey).Diagnostics);
    }

    [Fact]
    public void An_instant_inner_loop_is_found_even_when_a_wait_is_elsewhere_in_the_same_component()
    {
        // a -> b -> a has no wait; a -> pause -> a has one. The whole graph is one component.
        var journey = Chain(
            new FilterNode("a", [new FilterBranch(Condition.Eq("vip", true), "b")], "pause"),
            new SendNode("b", Channel.Sms, new CampaignReference("plain-sms", []), "a"),
            new DelayNode("pause", new DurationDelay(TimeSpan.FromDays(1)), "a"));

        var diagnostic = Only(Validate(journey), DiagnosticCodes.CycleWithoutWait);
        Assert.Contains("\"a\", \"b\"", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_separate_instant_loops_are_reported_separately()
    {
        var journey = Chain(
            new FilterNode("a", [new FilterBranch(Condition.Eq("vip", true), "b")], "c"),
            new SendNode("b", Channel.Sms, new CampaignReference("plain-sms", []), "a"),
            new SendNode("c", Channel.Sms, new CampaignReference("plain-sms", []), "d"),
            new SendNode("d", Channel.Sms, new CampaignReference("plain-sms", []), "c"));

        var result = Validate(journey);

        Assert.Equal(2, result.Diagnostics.Count(d => d.Code == DiagnosticCodes.CycleWithoutWait));
    }

    [Fact]
    public void Null_nodes_are_reported_and_do_not_stop_validation()
    {
        var journey = Chain(new SendNode("a", Channel.Sms, new CampaignReference("plain-sms", []), null), null!, new ExitNode("orphan", "x"));

        var result = Validate(journey);

        Assert.Equal([DiagnosticCodes.NullNode, DiagnosticCodes.UnreachableNode], result.Diagnostics.Select(d => d.Code));
        Assert.Equal("nodes[#1]", result.Diagnostics[0].Path);
    }

    [Fact]
    public void A_node_with_a_null_id_is_reported_once()
    {
        var journey = Chain(new SendNode("a", Channel.Sms, new CampaignReference("plain-sms", []), null), new ExitNode(null!, "x"));

        var diagnostic = Only(Validate(journey), DiagnosticCodes.InvalidNodeId);
        Assert.Null(diagnostic.NodeId);
        Assert.Contains("position 2", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_long_chain_and_a_long_loop_of_ten_thousand_nodes_do_not_overflow_the_stack()
    {
        const int Count = 10_000;
        var nodes = new JourneyNode[Count];
        for (var i = 0; i < Count; i++)
        {
            nodes[i] = new SendNode($"n{i}", Channel.Sms, new CampaignReference("plain-sms", []), i + 1 < Count ? $"n{i + 1}" : null);
        }

        Assert.Empty(Validate(Chain(nodes)).Diagnostics);

        nodes[^1] = new SendNode($"n{Count - 1}", Channel.Sms, new CampaignReference("plain-sms", []), "n0");
        var diagnostic = Only(Validate(Chain(nodes)), DiagnosticCodes.CycleWithoutWait);
        Assert.Contains("9990 more", diagnostic.Message, StringComparison.Ordinal);
    }
}
