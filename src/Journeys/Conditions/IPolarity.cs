namespace Journeys.Conditions;

/// <summary>
/// Whether an equality-like evaluator (<c>eq</c>, <c>contains</c>, <c>in</c>) is used as is or negated (<c>neq</c>),
/// as a type, so that the negation costs nothing at evaluation. A null field does not match, so a negated one is true.
/// </summary>
internal interface IPolarity
{
    /// <summary>The result for a match (or no match) of the underlying test.</summary>
    /// <param name="matched">Whether the underlying test matched; false when the field is null or of another type.</param>
    static abstract bool Apply(bool matched);
}
