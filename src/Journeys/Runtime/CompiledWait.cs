using System.Collections.Immutable;
using Journeys.Conditions;
using Journeys.Messaging;
using Journeys.Model;

namespace Journeys.Runtime;

/// <summary>A compiled wait-for-event node.</summary>
internal sealed class CompiledWait(
    string id, int index, string eventName, TimeSpan timeout, int onEvent, int onTimeout, string? correlatedNodeId, Condition? propertyCondition,
    ImmutableArray<Condition> branchConditions, ImmutableArray<int> branchTargets, bool correlatedNodeRepeats = false)
    : CompiledNode(id, index)
{
    public string EventName { get; } = eventName;

    public TimeSpan Timeout { get; } = timeout;

    public int OnEvent { get; } = onEvent;

    public int OnTimeout { get; } = onTimeout;

    public string? CorrelatedNodeId { get; } = correlatedNodeId;

    /// <summary>
    /// True when <see cref="CorrelatedNodeId"/>'s node lies on a loop, so one enrollment can send from it more than once:
    /// a click on an earlier round's message, which an earlier wait may have taken already, must not end this wait, so
    /// <see cref="Storage.WorkItem.EarlierFeedback"/> is not consulted for it.
    /// </summary>
    public bool CorrelatedNodeRepeats { get; } = correlatedNodeRepeats;

    public Condition? PropertyCondition { get; } = propertyCondition;

    /// <summary>The event branches' conditions in order (empty: a counting event goes to <see cref="OnEvent"/>).</summary>
    public ImmutableArray<Condition> BranchConditions { get; } = branchConditions;

    /// <summary>The event branches' target node indexes (-1 completes), parallel to <see cref="BranchConditions"/>.</summary>
    public ImmutableArray<int> BranchTargets { get; } = branchTargets;
}
