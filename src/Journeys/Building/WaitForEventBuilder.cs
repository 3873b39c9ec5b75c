using Journeys.Model;

namespace Journeys.Building;

/// <summary>Configures a wait-for-event node: which event counts, and where customers go on the event or on timeout.</summary>
public sealed class WaitForEventBuilder
{
    private readonly BranchCollector _branches;

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

    /// <summary>The path of customers whose event came in time. Without it they continue on the path after the wait.</summary>
    /// <param name="path">The path.</param>
    /// <returns>This builder.</returns>
    public WaitForEventBuilder OnEvent(Action<PathBuilder> path)
    {
        ArgumentNullException.ThrowIfNull(path);
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

    internal List<OpenEnd> Complete() => _branches.Complete(EdgeKind.OnEvent, EdgeKind.OnTimeout);
}
