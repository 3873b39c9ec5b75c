using Journeys.Model;

namespace Journeys.Conditions;

/// <summary><c>isnull</c> (<see cref="Polarity.Is"/>) or <c>isnotnull</c> (<see cref="Polarity.IsNot"/>).</summary>
/// <typeparam name="TPolarity">Whether the test is negated.</typeparam>
internal sealed class FieldIsNull<TPolarity>(int slot) : ConditionEvaluator
    where TPolarity : struct, IPolarity
{
    public override bool Evaluate(ReadOnlySpan<FieldValue> fields, in EvaluationContext context) =>
        TPolarity.Apply(fields[slot].IsNull);
}
