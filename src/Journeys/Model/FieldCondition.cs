namespace Journeys.Model;

/// <summary>Compares one field with an operand: <c>eq neq lt gt lte gte isnull isnotnull contains startswith</c>.</summary>
/// <param name="Field">The field name (or event property name).</param>
/// <param name="Operator">The comparison.</param>
/// <param name="Value">The operand (ignored by <see cref="ComparisonOperator.IsNull"/> and <see cref="ComparisonOperator.IsNotNull"/>).</param>
public sealed record FieldCondition(string Field, ComparisonOperator Operator, FieldValue Value) : Condition;
