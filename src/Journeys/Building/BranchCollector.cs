using Journeys.Model;

namespace Journeys.Building;

/// <summary>
/// What every branching node's builder shares: runs each branch's lambda on a child <see cref="PathBuilder"/>,
/// collects the edges left open (they join the outer path), and refuses use once the node is configured.
/// </summary>
internal sealed class BranchCollector
{
    private readonly List<OpenEnd> _openEnds = [];
    private readonly HashSet<EdgeKind> _configured = [];
    private bool _completed;

    public BranchCollector(BuilderState state, string nodeId)
    {
        State = state;
        NodeId = nodeId;
    }

    public BuilderState State { get; }

    public string NodeId { get; }

    public void ThrowIfCompleted()
    {
        State.ThrowIfBuilt();
        if (_completed)
        {
            throw new InvalidOperationException(
                $"Node '{NodeId}' of journey '{State.JourneyId}' is already configured; configure it inside its lambda only.");
        }
    }

    /// <summary>Marks a single-use edge (else, onTimeout, ...) configured, refusing a second configuration.</summary>
    public void Claim(EdgeKind edge, string method)
    {
        ThrowIfCompleted();
        if (!_configured.Add(edge))
        {
            throw new InvalidOperationException($"Node '{NodeId}': {method} was already called; each path is given once.");
        }
    }

    public bool IsConfigured(EdgeKind edge) => _configured.Contains(edge);

    /// <summary>Runs a branch starting at <paramref name="start"/>; its open ends are kept for the outer path.</summary>
    public void Run(OpenEnd start, Action<PathBuilder>? path)
    {
        ThrowIfCompleted();
        if (path is null)
        {
            _openEnds.Add(start);
            return;
        }

        var child = new PathBuilder(State, [start]);
        path(child);
        child.Sealed = true;
        _openEnds.AddRange(child.OpenEnds);
    }

    /// <summary>Adds the edges never configured as open, and seals the builder.</summary>
    public List<OpenEnd> Complete(params ReadOnlySpan<EdgeKind> defaultOpen)
    {
        ThrowIfCompleted();
        foreach (var edge in defaultOpen)
        {
            if (!_configured.Contains(edge))
            {
                _openEnds.Add(new OpenEnd(NodeId, edge));
            }
        }

        _completed = true;
        return _openEnds;
    }
}
