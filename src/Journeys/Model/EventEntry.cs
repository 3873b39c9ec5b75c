namespace Journeys.Model;

/// <summary>A customer enters when they emit the event (optionally only when its properties match).</summary>
/// <param name="EventName">The event name, such as <c>cart_abandoned</c>.</param>
/// <param name="PropertyCondition">When set, a condition on the event's properties.</param>
public sealed record EventEntry(string EventName, Condition? PropertyCondition = null) : JourneyEntry;
