namespace Journeys.Model;

/// <summary>
/// "Push events": waits until the customer emits an event, optionally one that refers to the message a given
/// send node sent (a click on that push) and/or whose properties match a condition (an SMS link URL containing a text).
/// </summary>
/// <remarks>
/// <para>
/// An event counts when its name is <see cref="EventName"/>, it is about the message of <see cref="CorrelatedNodeId"/>
/// (when set) and its properties match <see cref="PropertyCondition"/> (when set).
/// </para>
/// <para>
/// Without <see cref="Branches"/>, a counting event sends the customer to <see cref="OnEvent"/>. With branches, the
/// first branch (in order) whose condition matches the event's properties decides where the customer goes; an event
/// that matches no branch does not count and the customer keeps waiting (until another event or the timeout).
/// <see cref="OnEvent"/> is not used with branches and must then be unset (validation reports it otherwise).
/// </para>
/// </remarks>
/// <param name="Id">The node id.</param>
/// <param name="EventName">The awaited event, such as <c>click</c>.</param>
/// <param name="Timeout">How long to wait.</param>
/// <param name="OnEvent">Where the customer goes when the event comes, or <see langword="null"/> to complete (not used with <paramref name="Branches"/>).</param>
/// <param name="OnTimeout">Where the customer goes when it does not come in time (required).</param>
/// <param name="CorrelatedNodeId">When set, only an event about the message this send node sent to the customer counts.</param>
/// <param name="PropertyCondition">When set, only an event whose properties match counts.</param>
/// <param name="Branches">When not empty, the ordered per-event destinations (see remarks); empty keeps the single <paramref name="OnEvent"/> edge.</param>
public sealed record WaitForEventNode(
    string Id,
    string EventName,
    TimeSpan Timeout,
    string? OnEvent,
    string? OnTimeout,
    string? CorrelatedNodeId = null,
    Condition? PropertyCondition = null,
    EquatableArray<EventBranch> Branches = default) : JourneyNode(Id)
{
    /// <inheritdoc />
    public override EquatableArray<NodeEdge> GetEdges()
    {
        if (Branches.IsEmpty)
        {
            return [new("onEvent", OnEvent, false), new("onTimeout", OnTimeout, true)];
        }

        // onEvent is listed too so that a stray target set next to branches is still checked (and reported) by validation.
        var edges = new NodeEdge[Branches.Count + 2];
        for (var i = 0; i < Branches.Count; i++)
        {
            edges[i] = new($"branches[{i}]", Branches[i]?.Target, false);
        }

        edges[^2] = new("onEvent", OnEvent, false);
        edges[^1] = new("onTimeout", OnTimeout, true);
        return edges;
    }
}
