namespace Journeys.Model;

/// <summary>Customers whose fields match the condition enter: those who match at activation and those who come to match later.</summary>
/// <param name="Condition">The condition on customer fields.</param>
public sealed record FilterEntry(Condition Condition) : JourneyEntry;
