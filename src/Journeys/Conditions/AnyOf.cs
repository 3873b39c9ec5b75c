using Journeys.Model;

namespace Journeys.Conditions;

/// <summary><c>any</c>: at least one inner condition holds; stops at the first that does.</summary>
internal sealed class AnyOf(ConditionEvaluator[] conditions) : ConditionEvaluator
{
    public override bool Evaluate(ReadOnlySpan<FieldValue> fields, in EvaluationContext context)
    {
        foreach (var condition in conditions)
        {
            if (condition.Evaluate(fields, in context))
            {
                return true;
            }
        }

        return false;
    }
}
