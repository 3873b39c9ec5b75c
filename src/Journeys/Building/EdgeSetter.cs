using System.Collections.Immutable;
using Journeys.Model;

namespace Journeys.Building;

/// <summary>Returns a copy of a node with one edge set.</summary>
internal static class EdgeSetter
{
    public static JourneyNode SetEdge(JourneyNode node, EdgeKind edge, int index, string target) => (node, edge) switch
    {
        (SendNode n, EdgeKind.Next) => n with { Next = target },
        (DelayNode n, EdgeKind.Next) => n with { Next = target },
        (UpdateCustomerNode n, EdgeKind.Next) => n with { Next = target },
        (FilterNode n, EdgeKind.Branch) => n with { Branches = n.Branches.AsImmutableArray().SetItem(index, n.Branches[index] with { Next = target }) },
        (FilterNode n, EdgeKind.Else) => n with { Else = target },
        (WaitForEventNode n, EdgeKind.OnEvent) => n with { OnEvent = target },
        (WaitForEventNode n, EdgeKind.Branch) => n with { Branches = n.Branches.AsImmutableArray().SetItem(index, n.Branches[index] with { Target = target }) },
        (WaitForEventNode n, EdgeKind.OnTimeout) => n with { OnTimeout = target },
        (RandomSplitNode n, EdgeKind.Path) => n with { Paths = n.Paths.AsImmutableArray().SetItem(index, n.Paths[index] with { Next = target }) },
        (RetargetingNode n, EdgeKind.OnConverted) => n with { OnConverted = target },
        (RetargetingNode n, EdgeKind.OnExhausted) => n with { OnExhausted = target },
        (WebhookNode n, EdgeKind.OnSuccess) => n with { OnSuccess = target },
        (WebhookNode n, EdgeKind.OnFailure) => n with { OnFailure = target },
        _ => throw new InvalidOperationException($"Node '{node.Id}' ({node.GetType().Name}) has no edge {edge}."),
    };
}
