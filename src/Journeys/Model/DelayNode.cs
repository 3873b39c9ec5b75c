namespace Journeys.Model;

/// <summary>Holds the customer for a while: see <see cref="DelaySpec"/> for the kinds of delay.</summary>
/// <param name="Id">The node id.</param>
/// <param name="Delay">How long or until when.</param>
/// <param name="Next">The next node, or <see langword="null"/> to complete.</param>
public sealed record DelayNode(string Id, DelaySpec Delay, string? Next) : JourneyNode(Id)
{
    /// <inheritdoc />
    public override EquatableArray<NodeEdge> GetEdges() => [new("next", Next, false)];
}
