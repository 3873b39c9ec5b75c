namespace Journeys.Model;

/// <summary>True when the field equals one of the values (for a string list field: contains one of them).</summary>
/// <param name="Field">The field name (or event property name).</param>
/// <param name="Values">The candidate values.</param>
public sealed record InCondition(string Field, EquatableArray<FieldValue> Values) : Condition;
