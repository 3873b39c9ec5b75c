using System.Collections.Frozen;
using Journeys.Model;

namespace Journeys.Conditions;

/// <summary><c>in</c> on a number, date-time or boolean field: it equals one of the values.</summary>
/// <typeparam name="TReader">Reads the field's type.</typeparam>
/// <typeparam name="T">The compared type.</typeparam>
internal sealed class InScalars<TReader, T>(int slot, FrozenSet<T> values) : ConditionEvaluator
    where TReader : struct, IFieldReader<T>
    where T : notnull
{
    public override bool Evaluate(ReadOnlySpan<FieldValue> fields, in EvaluationContext context) =>
        TReader.TryRead(in fields[slot], out var value) && values.Contains(value);
}
