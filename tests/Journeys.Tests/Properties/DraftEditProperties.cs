using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Journeys.Building;

namespace Journeys.Tests.Properties;

/// <summary>A generated draft edit; ids are picked at replay time from the journey as it is then.</summary>
/// <param name="Kind">0 add, 1 replace, 2 remove, 3 set start.</param>
/// <param name="NodeKind">Which kind of node an add or replace writes.</param>
/// <param name="Picks">Numbers that pick node ids (existing or new) for the node and its edges.</param>
public sealed record DraftEdit(int Kind, int NodeKind, ImmutableArray<int> Picks)
{
    public JourneyDefinition Apply(JourneyDefinition journey)
    {
        var ids = journey.Nodes.Select(n => n.Id).ToArray();
        var pick = 0;
        string Id(bool allowNew = true)
        {
            var k = Picks[pick++ % Picks.Length];
            return ids.Length > 0 && (!allowNew || k % 4 != 0) ? ids[k % ids.Length] : $"new-{k % 5}";
        }

        string? Target() => Picks[pick++ % Picks.Length] % 5 == 0 ? null : Id();

        JourneyNode Node(string id) => NodeKind switch
        {
            0 => new SendNode(id, Channel.Push, new CampaignReference("c", []), Target()),
            1 => new FilterNode(id, [new FilterBranch(Condition.Eq("vip", true), Target())], Target()),
            2 => new WaitForEventNode(id, "click", TimeSpan.FromHours(1), Target(), Target(), CorrelatedNodeId: Picks[0] % 3 == 0 ? Id() : null),
            3 => new RandomSplitNode(id, [new RandomPath(1, Target()), new RandomPath(2, Target())]),
            4 => new DelayNode(id, new DurationDelay(TimeSpan.FromMinutes(5)), Target()),
            5 => new WebhookNode(id, "https://h.example.com", [], TimeSpan.FromSeconds(1), 0, Target(), Target()),
            _ => new ExitNode(id, "x"),
        };

        return Kind switch
        {
            0 => journey.AddNode(Node(Id())),
            1 => journey.ReplaceNode(Node(Id())),
            2 => journey.RemoveNode(Id()),
            _ => journey.WithStartNode(Id()),
        };
    }
}

public static class DraftEditGenerators
{
    public static Arbitrary<BuilderProgram> Programs() => BuilderProgramGenerators.Programs();

    public static Arbitrary<DraftEdit[]> Edits() =>
        (from kind in Gen.Choose(0, 3)
         from nodeKind in Gen.Choose(0, 6)
         from picks in Gen.Choose(0, 1000).ArrayOf(6)
         select new DraftEdit(kind, nodeKind, [.. picks]))
        .ArrayOf().ToArbitrary();
}

public sealed class DraftEditProperties
{
    [Property(MaxTest = 300, Arbitrary = [typeof(DraftEditGenerators)])]
    public void Draft_edits_keep_the_graph_consistent_or_refuse(BuilderProgram program, DraftEdit[] edits)
    {
        var (journey, _) = program.Replay();
        foreach (var edit in edits)
        {
            JourneyDefinition next;
            try
            {
                next = edit.Apply(journey);
            }
            catch (JourneyEditException ex)
            {
                // A refusal names the journey and explains itself; the draft stays as it was.
                Assert.Equal(journey.Id, ex.JourneyId);
                Assert.False(string.IsNullOrWhiteSpace(ex.Message));
                continue;
            }

            AssertConsistent(next);
            journey = next;
        }
    }

    internal static void AssertConsistent(JourneyDefinition journey)
    {
        Assert.Equal(JourneyStatus.Draft, journey.Status);
        var ids = journey.Nodes.Select(n => n.Id).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(journey.Nodes.Count, ids.Count);
        if (journey.Nodes.IsEmpty)
        {
            Assert.Equal(string.Empty, journey.StartNodeId);
        }
        else
        {
            Assert.Contains(journey.StartNodeId, ids);
        }

        foreach (var node in journey.Nodes)
        {
            foreach (var edge in node.GetEdges())
            {
                Assert.True(edge.Target is null || ids.Contains(edge.Target), $"{node.Id}.{edge.Name} -> {edge.Target}");
            }

            if (node is WaitForEventNode { CorrelatedNodeId: { } correlated })
            {
                Assert.Contains(correlated, ids);
            }
        }
    }
}
