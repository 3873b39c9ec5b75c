using Journeys.Model;

namespace Journeys.Conditions;

/// <summary><c>eq</c> or <c>neq</c> on a string field, ignoring case (ordinal).</summary>
/// <typeparam name="TPolarity">Whether the test is negated.</typeparam>
internal sealed class StringEquality<TPolarity>(int slot, string operand) : ConditionEvaluator
    where TPolarity : struct, IPolarity
{
    public override bool Evaluate(ReadOnlySpan<FieldValue> fields, in EvaluationContext context)
    {
        ref readonly var value = ref fields[slot];
        return TPolarity.Apply(value.Type == FieldType.String && string.Equals(value.AsString(), operand, StringComparison.OrdinalIgnoreCase));
    }
}
