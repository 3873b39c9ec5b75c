using System.Collections.Immutable;
using Journeys.Model;

namespace Journeys.Building;

/// <summary>
/// The shared, mutable state behind one <see cref="JourneyBuilder"/> and all its path builders: the nodes added so
/// far (edges filled in as later nodes are appended), the id counters, and whether the builder is spent.
/// </summary>
internal sealed class BuilderState
{
    private readonly List<JourneyNode> _nodes = [];
    private readonly Dictionary<string, int> _indexById = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _counters = new(StringComparer.Ordinal);

    public BuilderState(string journeyId) => JourneyId = journeyId;

    public string JourneyId { get; }

    public string? StartNodeId { get; private set; }

    public bool IsBuilt { get; private set; }

    public ImmutableArray<JourneyNode> Nodes => [.. _nodes];

    public bool Contains(string nodeId) => _indexById.ContainsKey(nodeId);

    public JourneyNode? Find(string nodeId) => _indexById.TryGetValue(nodeId, out var index) ? _nodes[index] : null;

    public void ThrowIfBuilt()
    {
        if (IsBuilt)
        {
            throw new InvalidOperationException(
                $"The builder of journey '{JourneyId}' has already built its journey; builders are one-shot, create a new one.");
        }
    }

    public void MarkBuilt() => IsBuilt = true;

    /// <summary>Takes the explicit id (checked) or generates <c>{prefix}-{n}</c>, the first n not yet used.</summary>
    public string ReserveId(string? explicitId, string prefix, string paramName = "id")
    {
        if (explicitId is not null)
        {
            if (!NodeIdRules.IsValid(explicitId))
            {
                throw new ArgumentException(
                    $"Node id {IdText.Quote(explicitId)} is invalid: use 1 to {NodeIdRules.MaxLength} letters, digits, '-', '_', '.' or ':'.", paramName);
            }

            if (Contains(explicitId))
            {
                throw new ArgumentException($"Journey '{JourneyId}' already has a node with id '{explicitId}'; node ids must be unique.", paramName);
            }

            return explicitId;
        }

        _counters.TryGetValue(prefix, out var n);
        string id;
        do
        {
            n++;
            id = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{prefix}-{n}");
        }
        while (Contains(id));

        _counters[prefix] = n;
        return id;
    }

    public void Add(JourneyNode node)
    {
        _indexById.Add(node.Id, _nodes.Count);
        _nodes.Add(node);
    }

    public void Update(string nodeId, Func<JourneyNode, JourneyNode> change)
    {
        var index = _indexById[nodeId];
        _nodes[index] = change(_nodes[index]);
    }

    /// <summary>Points an open edge at <paramref name="target"/>.</summary>
    public void Connect(OpenEnd end, string target)
    {
        if (end.NodeId is null)
        {
            StartNodeId = target;
            return;
        }

        var index = _indexById[end.NodeId];
        _nodes[index] = EdgeSetter.SetEdge(_nodes[index], end.Edge, end.Index, target);
    }
}
