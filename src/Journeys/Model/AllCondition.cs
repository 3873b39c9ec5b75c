namespace Journeys.Model;

/// <summary>True when every inner condition is true (true when empty).</summary>
/// <param name="Conditions">The inner conditions.</param>
public sealed record AllCondition(EquatableArray<Condition> Conditions) : Condition;
