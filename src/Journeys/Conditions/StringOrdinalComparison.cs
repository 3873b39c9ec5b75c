using Journeys.Model;

namespace Journeys.Conditions;

/// <summary><c>lt gt lte gte</c> on a string field: ordinal (code unit) order, case-sensitive.</summary>
/// <typeparam name="TOrder">The operator.</typeparam>
internal sealed class StringOrdinalComparison<TOrder>(int slot, string operand) : ConditionEvaluator
    where TOrder : struct, IOrdering
{
    public override bool Evaluate(ReadOnlySpan<FieldValue> fields, in EvaluationContext context)
    {
        ref readonly var value = ref fields[slot];
        return value.Type == FieldType.String
            ? TOrder.Holds(string.CompareOrdinal(value.AsString(), operand), 0)
            : TOrder.WhenMissing;
    }
}
