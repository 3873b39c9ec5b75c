namespace Journeys.Model;

/// <summary>
/// "Push events": waits until the customer emits an event, optionally one that refers to the message a given
/// send node sent (a click on that push) and/or whose properties match a condition (an SMS link URL containing a text).
/// </summary>
/// <param name="Id">The node id.</param>
/// <param name="EventName">The awaited event, such as <c>click</c>.</param>
/// <param name="Timeout">How long to wait.</param>
/// <param name="OnEvent">Where the customer goes when the event comes, or <see langword="null"/> to complete.</param>
/// <param name="OnTimeout">Where the customer goes when it does not come in time (required).</param>
/// <param name="CorrelatedNodeId">When set, only an event about the message this send node sent to the customer counts.</param>
/// <param name="PropertyCondition">When set, only an event whose properties match counts.</param>
public sealed record WaitForEventNode(
    string Id,
    string EventName,
    TimeSpan Timeout,
    string? OnEvent,
    string? OnTimeout,
    string? CorrelatedNodeId = null,
    Condition? PropertyCondition = null) : JourneyNode(Id)
{
    /// <inheritdoc />
    public override EquatableArray<NodeEdge> GetEdges() => [new("onEvent", OnEvent, false), new("onTimeout", OnTimeout, true)];
}
