using Journeys.Model;

namespace Journeys.Conditions;

/// <summary>
/// A <see cref="DateCondition"/> on a calendar part: the field's date read in UTC against the date of now plus the
/// offset read in the context's zone (whole days as calendar days; no conversion for whole days, one otherwise).
/// </summary>
/// <typeparam name="TPart">The part compared.</typeparam>
/// <typeparam name="TOrder">The operator.</typeparam>
internal sealed class CalendarComparison<TPart, TOrder>(int slot, long offsetTicks) : ConditionEvaluator
    where TPart : struct, ICalendarPart
    where TOrder : struct, IOrdering
{
    public override bool Evaluate(ReadOnlySpan<FieldValue> fields, in EvaluationContext context)
    {
        if (!FieldReaders.Instant.TryRead(in fields[slot], out var ticks))
        {
            return TOrder.WhenMissing;
        }

        var target = context.LocalDayAt(offsetTicks);
        return TOrder.Holds(TPart.FieldKey(ticks, in target), TPart.TargetKey(in target));
    }
}
