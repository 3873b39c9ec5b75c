using Journeys.Model;

namespace Journeys.Conditions;

/// <summary><c>not</c>: the inner condition does not hold.</summary>
internal sealed class NotOf(ConditionEvaluator condition) : ConditionEvaluator
{
    /// <summary>The negated condition (so that compiling <c>not not x</c> gives <c>x</c>).</summary>
    public ConditionEvaluator Inner => condition;

    public override bool Evaluate(ReadOnlySpan<FieldValue> fields, in EvaluationContext context) =>
        !condition.Evaluate(fields, in context);
}
