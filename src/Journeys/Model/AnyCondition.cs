namespace Journeys.Model;

/// <summary>True when at least one inner condition is true (false when empty).</summary>
/// <param name="Conditions">The inner conditions.</param>
public sealed record AnyCondition(EquatableArray<Condition> Conditions) : Condition;
