namespace Journeys.Model;

/// <summary>
/// A node ("journey state") of a journey graph. Its <see cref="Id"/> is a stable string that an HTTP client
/// uses to address it. Optional edges (<see cref="NodeEdge.Required"/> false) may be <see langword="null"/>:
/// the enrollment then completes there. Fallback edges (filter else, wait timeout, webhook failure,
/// retargeting exhausted) are required so that every customer's path is decided explicitly.
/// </summary>
public abstract record JourneyNode
{
    private protected JourneyNode(string id) => Id = id;

    /// <summary>The node's id, unique in its journey.</summary>
    public string Id { get; init; }

    /// <summary>The node's outgoing edges, in a fixed order, each with its name and target node id.</summary>
    public abstract EquatableArray<NodeEdge> GetEdges();
}
