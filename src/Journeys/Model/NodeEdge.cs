namespace Journeys.Model;

/// <summary>An outgoing edge of a node.</summary>
/// <param name="Name">The edge's name within its node, such as <c>next</c>, <c>else</c>, <c>branches[0]</c> or <c>onTimeout</c>.</param>
/// <param name="Target">The target node id, or <see langword="null"/> when the edge is not set.</param>
/// <param name="Required">True when the edge must be set; an unset optional edge completes the enrollment.</param>
public readonly record struct NodeEdge(string Name, string? Target, bool Required);
