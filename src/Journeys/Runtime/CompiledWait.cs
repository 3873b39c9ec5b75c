using System.Collections.Immutable;
using Journeys.Conditions;
using Journeys.Messaging;
using Journeys.Model;

namespace Journeys.Runtime;

/// <summary>A compiled wait-for-event node.</summary>
internal sealed class CompiledWait(
    string id, int index, string eventName, TimeSpan timeout, int onEvent, int onTimeout, string? correlatedNodeId, Condition? propertyCondition)
    : CompiledNode(id, index)
{
    public string EventName { get; } = eventName;

    public TimeSpan Timeout { get; } = timeout;

    public int OnEvent { get; } = onEvent;

    public int OnTimeout { get; } = onTimeout;

    public string? CorrelatedNodeId { get; } = correlatedNodeId;

    public Condition? PropertyCondition { get; } = propertyCondition;
}
