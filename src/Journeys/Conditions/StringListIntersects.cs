using System.Collections.Frozen;
using Journeys.Model;

namespace Journeys.Conditions;

/// <summary><c>in</c> on a string list field: one of its items equals one of the values, ignoring case (ordinal).</summary>
internal sealed class StringListIntersects(int slot, FrozenSet<string> values) : ConditionEvaluator
{
    public override bool Evaluate(ReadOnlySpan<FieldValue> fields, in EvaluationContext context)
    {
        ref readonly var value = ref fields[slot];
        if (value.Type != FieldType.StringList)
        {
            return false;
        }

        foreach (var item in value.AsStringList().AsImmutableArray())
        {
            if (values.Contains(item))
            {
                return true;
            }
        }

        return false;
    }
}
