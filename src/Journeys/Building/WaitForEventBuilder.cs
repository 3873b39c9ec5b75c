using Journeys.Model;

namespace Journeys.Building;

/// <summary>Configures a wait-for-event node: which event counts, and where customers go on the event or on timeout.</summary>
public sealed class WaitForEventBuilder
{
    private readonly BranchCollector _branches;
    private int _eventBranches;

    internal WaitForEventBuilder(BuilderState state, string nodeId) => _branches = new BranchCollector(state, nodeId);

    /// <summary>Only an event about the message that the given send node sent to the customer counts (a click on that push).</summary>
    /// <param name="sendNodeId">The id of a send node of this journey (checked when the journey is built).</param>
    /// <returns>This builder.</returns>
    public WaitForEventBuilder CorrelatedTo(string sendNodeId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sendNodeId);
        _branches.ThrowIfCompleted();
        _branches.State.Update(_branches.NodeId, n => ((WaitForEventNode)n) with { CorrelatedNodeId = sendNodeId });
        return this;
    }

    /// <summary>Only an event whose properties match counts (e.g. an SMS link click whose <c>url</c> contains a text).</summary>
    /// <param name="propertyCondition">The condition on event properties.</param>
    /// <returns>This builder.</returns>
    public WaitForEventBuilder Where(Condition propertyCondition)
    {
        ArgumentNullException.ThrowIfNull(propertyCondition);
        _branches.ThrowIfCompleted();
        _branches.State.Update(_branches.NodeId, n => ((WaitForEventNode)n) with { PropertyCondition = propertyCondition });
        return this;
    }

    /// <summary>
    /// Adds an event branch: an awaited event whose properties match <paramref name="propertyCondition"/> (and no earlier
    /// branch) sends the customer down <paramref name="then"/>; an event matching no branch keeps the customer waiting
    /// (e.g. one path per SMS link: <c>When(Condition.Contains("url", "/offer"), ...)</c>). Not combined with <see cref="OnEvent"/>.
    /// </summary>
    /// <param name="propertyCondition">The condition on the event's properties.</param>
    /// <param name="then">The branch's path; when <see langword="null"/> or left open it joins the path after the wait.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="InvalidOperationException"><see cref="OnEvent"/> was already called.</exception>
    public WaitForEventBuilder When(Condition propertyCondition, Action<PathBuilder>? then = null)
    {
        ArgumentNullException.ThrowIfNull(propertyCondition);
        _branches.ThrowIfCompleted();
        if (_branches.IsConfigured(EdgeKind.OnEvent))
        {
            throw new InvalidOperationException($"Wait '{_branches.NodeId}': OnEvent(...) and When(...) branches cannot be combined; give each event path with When(...).");
        }

        var index = _eventBranches++;
        _branches.State.Update(_branches.NodeId, node =>
        {
            var wait = (WaitForEventNode)node;
            return wait with { Branches = wait.Branches.AsImmutableArray().Add(new EventBranch(propertyCondition, null)) };
        });
        _branches.Run(new OpenEnd(_branches.NodeId, EdgeKind.Branch, index), then);
        return this;
    }

    /// <summary>The path of customers whose event came in time. Without it they continue on the path after the wait.</summary>
    /// <param name="path">The path.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="InvalidOperationException">Event branches were added with <see cref="When"/>.</exception>
    public WaitForEventBuilder OnEvent(Action<PathBuilder> path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (_eventBranches > 0)
        {
            throw new InvalidOperationException($"Wait '{_branches.NodeId}': OnEvent(...) and When(...) branches cannot be combined; give each event path with When(...).");
        }

        _branches.Claim(EdgeKind.OnEvent, nameof(OnEvent));
        _branches.Run(new OpenEnd(_branches.NodeId, EdgeKind.OnEvent), path);
        return this;
    }

    /// <summary>The path of customers whose event did not come in time. Without it they continue on the path after the wait.</summary>
    /// <param name="path">The path.</param>
    /// <returns>This builder.</returns>
    public WaitForEventBuilder OnTimeout(Action<PathBuilder> path)
    {
        ArgumentNullException.ThrowIfNull(path);
        _branches.Claim(EdgeKind.OnTimeout, nameof(OnTimeout));
        _branches.Run(new OpenEnd(_branches.NodeId, EdgeKind.OnTimeout), path);
        return this;
    }

    internal List<OpenEnd> Complete() => _eventBranches > 0
        ? _branches.Complete(EdgeKind.OnTimeout)
        : _branches.Complete(EdgeKind.OnEvent, EdgeKind.OnTimeout);
}
