using Journeys.Model;

namespace Journeys.Conditions;

/// <summary>
/// A calendar <see cref="DatePart"/> as a type: maps the field's date (read in UTC) and the target date (read in the
/// context's zone) to integers whose order is the part's order.
/// </summary>
internal interface ICalendarPart
{
    /// <summary>The key of the field value.</summary>
    /// <param name="fieldUtcTicks">The field value as UTC ticks.</param>
    /// <param name="target">The target date (needed for the year of an anniversary).</param>
    static abstract int FieldKey(long fieldUtcTicks, in CalendarDay target);

    /// <summary>The key of the target date.</summary>
    /// <param name="target">The target date.</param>
    static abstract int TargetKey(in CalendarDay target);
}
