using Journeys.Model;

namespace Journeys.Conditions;

/// <summary>
/// A node of a compiled condition: a small immutable object specialised for one operator on one field type, with its
/// operand already extracted. <see cref="ConditionCompiler"/> builds the tree; evaluating it allocates nothing.
/// </summary>
internal abstract class ConditionEvaluator
{
    /// <summary>Evaluates the condition for one customer.</summary>
    /// <param name="fields">The customer's field values by schema slot, schema defaults already applied.</param>
    /// <param name="context">The current instant and the time zone.</param>
    public abstract bool Evaluate(ReadOnlySpan<FieldValue> fields, in EvaluationContext context);
}
