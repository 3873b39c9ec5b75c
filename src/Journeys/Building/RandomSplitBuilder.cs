using Journeys.Model;

namespace Journeys.Building;

/// <summary>Configures the weighted paths of a random split node.</summary>
public sealed class RandomSplitBuilder
{
    private readonly BranchCollector _branches;
    private int _count;

    internal RandomSplitBuilder(BuilderState state, string nodeId) => _branches = new BranchCollector(state, nodeId);

    /// <summary>Adds a path with a positive weight; its share is weight / sum of weights.</summary>
    /// <param name="weight">A positive, finite weight, such as 50.</param>
    /// <param name="path">The path; when <see langword="null"/> or left open it joins the path after the split (a control group).</param>
    /// <returns>This builder.</returns>
    public RandomSplitBuilder Path(double weight, Action<PathBuilder>? path = null)
    {
        if (!double.IsFinite(weight) || weight <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(weight), weight, $"Random split '{_branches.NodeId}': a path's weight must be a positive finite number.");
        }

        _branches.ThrowIfCompleted();
        var index = _count++;
        _branches.State.Update(_branches.NodeId, node =>
        {
            var split = (RandomSplitNode)node;
            return split with { Paths = split.Paths.AsImmutableArray().Add(new RandomPath(weight, null)) };
        });
        _branches.Run(new OpenEnd(_branches.NodeId, EdgeKind.Path, index), path);
        return this;
    }

    internal List<OpenEnd> Complete()
    {
        if (_count < 2)
        {
            throw new InvalidOperationException($"Random split '{_branches.NodeId}' needs at least two paths; it has {_count}.");
        }

        return _branches.Complete();
    }
}
