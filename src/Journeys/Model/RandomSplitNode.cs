namespace Journeys.Model;

/// <summary>
/// Sends each customer down one weighted path. The choice is sticky: a hash of (journey, customer, node), so a
/// customer who re-enters takes the same path and experiments stay measurable.
/// </summary>
/// <param name="Id">The node id.</param>
/// <param name="Paths">The weighted paths.</param>
public sealed record RandomSplitNode(string Id, EquatableArray<RandomPath> Paths) : JourneyNode(Id)
{
    /// <inheritdoc />
    public override EquatableArray<NodeEdge> GetEdges()
    {
        var edges = new NodeEdge[Paths.Count];
        for (var i = 0; i < Paths.Count; i++)
        {
            edges[i] = new($"paths[{i}]", Paths[i]?.Next, false);
        }

        return edges;
    }
}
