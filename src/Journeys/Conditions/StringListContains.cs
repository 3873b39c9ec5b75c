using Journeys.Model;

namespace Journeys.Conditions;

/// <summary>
/// <c>eq</c>/<c>contains</c> (<see cref="Polarity.Is"/>) or <c>neq</c> (<see cref="Polarity.IsNot"/>) on a string list
/// field: the list has an item equal to the operand, ignoring case (ordinal).
/// </summary>
/// <typeparam name="TPolarity">Whether the test is negated.</typeparam>
internal sealed class StringListContains<TPolarity>(int slot, string item) : ConditionEvaluator
    where TPolarity : struct, IPolarity
{
    public override bool Evaluate(ReadOnlySpan<FieldValue> fields, in EvaluationContext context)
    {
        ref readonly var value = ref fields[slot];
        if (value.Type != FieldType.StringList)
        {
            return TPolarity.Apply(false);
        }

        foreach (var candidate in value.AsStringList().AsImmutableArray())
        {
            if (string.Equals(candidate, item, StringComparison.OrdinalIgnoreCase))
            {
                return TPolarity.Apply(true);
            }
        }

        return TPolarity.Apply(false);
    }
}
