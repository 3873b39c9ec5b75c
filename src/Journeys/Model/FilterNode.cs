namespace Journeys.Model;

/// <summary>Routes a customer by ordered branches; the first branch whose condition matches wins, else <see cref="Else"/>.</summary>
/// <param name="Id">The node id.</param>
/// <param name="Branches">The ordered branches.</param>
/// <param name="Else">Where customers who match no branch go (required).</param>
public sealed record FilterNode(string Id, EquatableArray<FilterBranch> Branches, string? Else) : JourneyNode(Id)
{
    /// <inheritdoc />
    public override EquatableArray<NodeEdge> GetEdges()
    {
        var edges = new NodeEdge[Branches.Count + 1];
        for (var i = 0; i < Branches.Count; i++)
        {
            edges[i] = new($"branches[{i}]", Branches[i]?.Next, false);
        }

        edges[^1] = new("else", Else, true);
        return edges;
    }
}
