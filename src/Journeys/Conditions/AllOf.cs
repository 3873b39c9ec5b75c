using Journeys.Model;

namespace Journeys.Conditions;

/// <summary><c>all</c>: every inner condition holds; stops at the first that does not.</summary>
internal sealed class AllOf(ConditionEvaluator[] conditions) : ConditionEvaluator
{
    public override bool Evaluate(ReadOnlySpan<FieldValue> fields, in EvaluationContext context)
    {
        foreach (var condition in conditions)
        {
            if (!condition.Evaluate(fields, in context))
            {
                return false;
            }
        }

        return true;
    }
}
