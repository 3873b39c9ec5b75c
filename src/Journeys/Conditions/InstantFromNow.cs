using Journeys.Model;

namespace Journeys.Conditions;

/// <summary>A <see cref="DateCondition"/> on <see cref="DatePart.Instant"/>: the field's instant against now plus the offset.</summary>
/// <typeparam name="TOrder">The operator.</typeparam>
internal sealed class InstantFromNow<TOrder>(int slot, long offsetTicks) : ConditionEvaluator
    where TOrder : struct, IOrdering
{
    public override bool Evaluate(ReadOnlySpan<FieldValue> fields, in EvaluationContext context) =>
        FieldReaders.Instant.TryRead(in fields[slot], out var ticks)
            ? TOrder.Holds(ticks, ConditionTime.AddSaturating(context.NowUtcTicks, offsetTicks))
            : TOrder.WhenMissing;
}
