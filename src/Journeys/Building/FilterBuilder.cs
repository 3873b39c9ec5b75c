using Journeys.Model;

namespace Journeys.Building;

/// <summary>Configures the branches of a filter node. The first branch whose condition matches wins.</summary>
public sealed class FilterBuilder
{
    private readonly BranchCollector _branches;
    private int _count;

    internal FilterBuilder(BuilderState state, string nodeId) => _branches = new BranchCollector(state, nodeId);

    /// <summary>Adds a branch: customers who match <paramref name="condition"/> (and no earlier branch) take <paramref name="then"/>.</summary>
    /// <param name="condition">The condition on customer fields.</param>
    /// <param name="then">The branch's path; when <see langword="null"/> or left open it joins the path after the filter.</param>
    /// <returns>This builder.</returns>
    public FilterBuilder When(Condition condition, Action<PathBuilder>? then = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        _branches.ThrowIfCompleted();
        if (_branches.IsConfigured(EdgeKind.Else))
        {
            throw new InvalidOperationException($"Filter '{_branches.NodeId}': add every When(...) before Otherwise(...).");
        }

        var index = _count++;
        _branches.State.Update(_branches.NodeId, node =>
        {
            var filter = (FilterNode)node;
            return filter with { Branches = filter.Branches.AsImmutableArray().Add(new FilterBranch(condition, null)) };
        });
        _branches.Run(new OpenEnd(_branches.NodeId, EdgeKind.Branch, index), then);
        return this;
    }

    /// <summary>The path of customers who match no branch. Without it they continue on the path after the filter.</summary>
    /// <param name="path">The else path.</param>
    /// <returns>This builder.</returns>
    public FilterBuilder Otherwise(Action<PathBuilder> path)
    {
        ArgumentNullException.ThrowIfNull(path);
        _branches.Claim(EdgeKind.Else, nameof(Otherwise));
        _branches.Run(new OpenEnd(_branches.NodeId, EdgeKind.Else), path);
        return this;
    }

    internal List<OpenEnd> Complete()
    {
        if (_count == 0)
        {
            throw new InvalidOperationException($"Filter '{_branches.NodeId}' has no branch: add at least one When(condition, ...).");
        }

        return _branches.Complete(EdgeKind.Else);
    }
}
