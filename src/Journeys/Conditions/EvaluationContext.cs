namespace Journeys.Conditions;

/// <summary>
/// What a compiled condition needs besides the customer's fields: the current instant and the time zone that date
/// conditions use (the customer's zone, else the journey's). Build one per (instant, zone) and reuse it for every
/// customer of that zone: the constructor converts "now" to the local date once, so a date condition with an offset of
/// whole days (a birthday today, or in a week) makes no conversion, and one with another offset makes exactly one.
/// </summary>
internal readonly struct EvaluationContext
{
    /// <summary>Creates a context.</summary>
    /// <param name="now">The current instant, from the engine's <see cref="TimeProvider"/>.</param>
    /// <param name="zone">The customer's time zone, else the journey's.</param>
    public EvaluationContext(DateTimeOffset now, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        Now = now;
        Zone = zone;
        NowUtcTicks = now.UtcTicks;
        Today = ConditionTime.LocalDay(NowUtcTicks, zone);
    }

    /// <summary>The current instant.</summary>
    public DateTimeOffset Now { get; }

    /// <summary>The time zone in which "today" and "now + offset" are read as calendar dates.</summary>
    public TimeZoneInfo Zone { get; }

    /// <summary>The current instant as UTC ticks.</summary>
    public long NowUtcTicks { get; }

    /// <summary>Today's date in <see cref="Zone"/>.</summary>
    public CalendarDay Today { get; }

    /// <summary>
    /// The date in <see cref="Zone"/> of now plus <paramref name="offsetTicks"/>: its whole days are calendar days from
    /// the date in the zone, the rest elapsed time (<see cref="ConditionTime.TargetDay"/>; at most one time zone conversion).
    /// </summary>
    /// <param name="offsetTicks">The offset from now, in ticks.</param>
    public CalendarDay LocalDayAt(long offsetTicks) =>
        offsetTicks == 0 ? Today
            : offsetTicks % TimeSpan.TicksPerDay == 0 ? ConditionTime.AddDays(Today, offsetTicks / TimeSpan.TicksPerDay)
            : ConditionTime.TargetDay(NowUtcTicks, offsetTicks, Zone);
}
