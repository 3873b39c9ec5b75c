using System.Numerics;
using Journeys.Model;

namespace Journeys.Conditions;

/// <summary>Compares a number (as a double) or a date-time (as UTC ticks) field with a constant operand.</summary>
/// <typeparam name="TReader">Reads the field's type.</typeparam>
/// <typeparam name="T">The compared type.</typeparam>
/// <typeparam name="TOrder">The operator.</typeparam>
internal sealed class ScalarComparison<TReader, T, TOrder>(int slot, T operand) : ConditionEvaluator
    where TReader : struct, IFieldReader<T>
    where T : IComparisonOperators<T, T, bool>
    where TOrder : struct, IOrdering
{
    public override bool Evaluate(ReadOnlySpan<FieldValue> fields, in EvaluationContext context) =>
        TReader.TryRead(in fields[slot], out var value) ? TOrder.Holds(value, operand) : TOrder.WhenMissing;
}
