namespace Journeys.Model;

/// <summary>True when the inner condition is false.</summary>
/// <param name="Condition">The inner condition.</param>
public sealed record NotCondition(Condition Condition) : Condition;
