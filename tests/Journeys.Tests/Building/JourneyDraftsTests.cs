using Journeys.Building;

namespace Journeys.Tests.Building;

public sealed class JourneyDraftsTests
{
    private static JourneyDefinition Draft() => JourneyBuilder.Create("d", "Draft").EnterAllCustomers()
        .Steps(p => p.Send(Channel.Push, "hello", id: "hello").Exit("done", id: "done"))
        .Build();

    [Fact]
    public void Add_replace_and_remove_return_new_drafts_and_leave_the_original_alone()
    {
        var original = Draft();

        var added = original.AddNode(new DelayNode("pause", new DurationDelay(TimeSpan.FromHours(1)), "done"));
        var replaced = added.ReplaceNode(new SendNode("hello", Channel.Push, new CampaignReference("hello", []), "pause"));
        Assert.Equal(["hello", "done", "pause"], replaced.Nodes.Select(n => n.Id));
        Assert.Equal("pause", ((SendNode)replaced.FindNode("hello")!).Next);

        var back = replaced.ReplaceNode(new SendNode("hello", Channel.Push, new CampaignReference("hello", []), "done")).RemoveNode("pause");
        Assert.Equal(original, back);
        Assert.Equal(["hello", "done"], original.Nodes.Select(n => n.Id));
    }

    [Fact]
    public void The_first_node_of_an_empty_draft_becomes_the_start()
    {
        var empty = Draft().ReplaceNode(new SendNode("hello", Channel.Push, new CampaignReference("hello", []), null))
            .RemoveNode("done").RemoveNode("hello");
        Assert.True(empty.Nodes.IsEmpty);

        var one = empty.AddNode(new ExitNode("only", "x"));
        Assert.Equal("only", one.StartNodeId);
    }

    [Fact]
    public void Edits_that_would_break_the_graph_are_refused_with_the_node_named()
    {
        var draft = Draft();

        var duplicate = Assert.Throws<JourneyEditException>(() => draft.AddNode(new ExitNode("done", "again")));
        Assert.Equal("done", duplicate.NodeId);

        var dangling = Assert.Throws<JourneyEditException>(() => draft.AddNode(new DelayNode("p", new DurationDelay(TimeSpan.FromHours(1)), "nowhere")));
        Assert.Contains("'nowhere'", dangling.Message, StringComparison.Ordinal);
        Assert.Contains("'next'", dangling.Message, StringComparison.Ordinal);

        var referenced = Assert.Throws<JourneyEditException>(() => draft.RemoveNode("done"));
        Assert.Contains("'hello' (next)", referenced.Message, StringComparison.Ordinal);

        Assert.Throws<JourneyEditException>(() => draft.ReplaceNode(new ExitNode("ghost", "x")));
        Assert.Throws<JourneyEditException>(() => draft.RemoveNode("ghost"));
        Assert.Throws<JourneyEditException>(() => draft.AddNode(new ExitNode("bad id", "x")));

        var start = Assert.Throws<JourneyEditException>(() =>
            draft.ReplaceNode(new SendNode("hello", Channel.Push, new CampaignReference("hello", []), null)).RemoveNode("hello"));
        Assert.Contains("start node", start.Message, StringComparison.Ordinal);

        var correlated = draft.AddNode(new WaitForEventNode("w", "click", TimeSpan.FromHours(1), null, "done", CorrelatedNodeId: "hello"));
        var stillCorrelated = Assert.Throws<JourneyEditException>(() =>
            correlated.ReplaceNode(new SendNode("hello", Channel.Push, new CampaignReference("hello", []), "w")).WithStartNode("w").RemoveNode("hello"));
        Assert.Contains("correlated", stillCorrelated.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(JourneyStatus.Active)]
    [InlineData(JourneyStatus.Stopped)]
    [InlineData(JourneyStatus.Archived)]
    public void A_journey_that_is_not_a_draft_cannot_be_edited_but_can_be_cloned_or_versioned(JourneyStatus status)
    {
        var live = Draft() with { Status = status, Version = 4 };

        var ex = Assert.Throws<JourneyEditException>(() => live.AddNode(new ExitNode("x", "x")));
        Assert.Contains("Clone it or create its next version", ex.Message, StringComparison.Ordinal);
        Assert.Throws<JourneyEditException>(() => live.RemoveNode("done"));
        Assert.Throws<JourneyEditException>(() => live.ReplaceNode(new ExitNode("done", "y")));

        var clone = live.Clone("d-copy", "Draft copy");
        Assert.Equal(("d-copy", "Draft copy", 1, JourneyStatus.Draft), (clone.Id, clone.Name, clone.Version, clone.Status));
        Assert.Equal(live.Nodes, clone.Nodes);
        Assert.Equal(JourneyStatus.Draft, clone.AddNode(new ExitNode("x", "x")).Status);

        var next = live.CreateNextVersion();
        Assert.Equal(("d", 5, JourneyStatus.Draft), (next.Id, next.Version, next.Status));
    }

    [Fact]
    public void Editing_a_validated_journey_makes_it_a_draft_again()
    {
        var validated = Draft() with { Status = JourneyStatus.Validated };
        Assert.Equal(JourneyStatus.Draft, validated.AddNode(new ExitNode("x", "x")).Status);
    }
}
