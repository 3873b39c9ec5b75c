namespace Journeys.Model;

/// <summary>A goal: when the customer emits this event, their enrollment ends as converted, wherever it is.</summary>
/// <param name="EventName">The goal event, such as <c>purchase</c>.</param>
/// <param name="PropertyCondition">When set, a condition on the event's properties.</param>
public sealed record GoalEvent(string EventName, Condition? PropertyCondition = null);
