namespace Journeys.Model;

/// <summary>Ends the enrollment with a reason (counted in statistics).</summary>
/// <param name="Id">The node id.</param>
/// <param name="Reason">Why the customer leaves, such as <c>not-interested</c>.</param>
public sealed record ExitNode(string Id, string Reason) : JourneyNode(Id)
{
    /// <inheritdoc />
    public override EquatableArray<NodeEdge> GetEdges() => EquatableArray<NodeEdge>.Empty;
}
