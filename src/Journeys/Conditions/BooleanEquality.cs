using Journeys.Model;

namespace Journeys.Conditions;

/// <summary><c>eq</c> or <c>neq</c> on a boolean field.</summary>
/// <typeparam name="TPolarity">Whether the test is negated.</typeparam>
internal sealed class BooleanEquality<TPolarity>(int slot, bool operand) : ConditionEvaluator
    where TPolarity : struct, IPolarity
{
    public override bool Evaluate(ReadOnlySpan<FieldValue> fields, in EvaluationContext context) =>
        TPolarity.Apply(FieldReaders.Boolean.TryRead(in fields[slot], out var value) && value == operand);
}
