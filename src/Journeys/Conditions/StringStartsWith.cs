using Journeys.Model;

namespace Journeys.Conditions;

/// <summary><c>startswith</c> on a string field, ignoring case (ordinal).</summary>
internal sealed class StringStartsWith(int slot, string operand) : ConditionEvaluator
{
    public override bool Evaluate(ReadOnlySpan<FieldValue> fields, in EvaluationContext context)
    {
        ref readonly var value = ref fields[slot];
        return value.Type == FieldType.String && value.AsString().StartsWith(operand, StringComparison.OrdinalIgnoreCase);
    }
}
