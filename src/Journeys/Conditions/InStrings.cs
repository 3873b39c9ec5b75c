using System.Collections.Frozen;
using Journeys.Model;

namespace Journeys.Conditions;

/// <summary><c>in</c> on a string field: it equals one of the values, ignoring case (ordinal).</summary>
internal sealed class InStrings(int slot, FrozenSet<string> values) : ConditionEvaluator
{
    public override bool Evaluate(ReadOnlySpan<FieldValue> fields, in EvaluationContext context)
    {
        ref readonly var value = ref fields[slot];
        return value.Type == FieldType.String && values.Contains(value.AsString());
    }
}
