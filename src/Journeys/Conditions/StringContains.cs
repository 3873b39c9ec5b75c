using Journeys.Model;

namespace Journeys.Conditions;

/// <summary><c>contains</c> on a string field: the text occurs in it, ignoring case (ordinal).</summary>
internal sealed class StringContains(int slot, string operand) : ConditionEvaluator
{
    public override bool Evaluate(ReadOnlySpan<FieldValue> fields, in EvaluationContext context)
    {
        ref readonly var value = ref fields[slot];
        return value.Type == FieldType.String && value.AsString().Contains(operand, StringComparison.OrdinalIgnoreCase);
    }
}
