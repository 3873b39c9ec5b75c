namespace Journeys.Model;

/// <summary>Sets (or, with <see cref="FieldValue.Null"/>, clears) a customer field.</summary>
/// <param name="Id">The node id.</param>
/// <param name="Field">The customer field.</param>
/// <param name="Value">The new value.</param>
/// <param name="Next">The next node, or <see langword="null"/> to complete.</param>
public sealed record UpdateCustomerNode(string Id, string Field, FieldValue Value, string? Next) : JourneyNode(Id)
{
    /// <inheritdoc />
    public override EquatableArray<NodeEdge> GetEdges() => [new("next", Next, false)];
}
