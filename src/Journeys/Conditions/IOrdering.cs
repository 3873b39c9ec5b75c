using System.Numerics;
using Journeys.Model;

namespace Journeys.Conditions;

/// <summary>
/// A comparison operator as a type, so that a generic evaluator is specialised per operator by the JIT (or by Native
/// AOT) and evaluating it has no switch on the operator.
/// </summary>
internal interface IOrdering
{
    /// <summary>The result when the field is null or holds a value of another type: true only for <c>neq</c>.</summary>
    static abstract bool WhenMissing { get; }

    /// <summary>Applies the operator to a field value and the operand.</summary>
    /// <typeparam name="T">The compared type.</typeparam>
    /// <param name="value">The field value.</param>
    /// <param name="operand">The operand.</param>
    static abstract bool Holds<T>(T value, T operand)
        where T : IComparisonOperators<T, T, bool>;
}
