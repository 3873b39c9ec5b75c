namespace Journeys.Conditions;

/// <summary>The time arithmetic shared by both evaluators, so that they agree at the edges of the calendar.</summary>
internal static class ConditionTime
{
    private const long MaxTicks = 3_155_378_975_999_999_999; // DateTime.MaxValue.Ticks

    /// <summary>
    /// <paramref name="utcTicks"/> plus <paramref name="offsetTicks"/>, saturating at the first and last representable instants
    /// instead of throwing: "now + 10 000 years" is simply later than every stored date.
    /// </summary>
    /// <param name="utcTicks">An instant as UTC ticks.</param>
    /// <param name="offsetTicks">The offset in ticks (negative for the past).</param>
    public static long AddSaturating(long utcTicks, long offsetTicks)
    {
        if (offsetTicks >= 0)
        {
            return offsetTicks > MaxTicks - utcTicks ? MaxTicks : utcTicks + offsetTicks;
        }

        return offsetTicks < -utcTicks ? 0 : utcTicks + offsetTicks;
    }

    /// <summary>
    /// The calendar date in <paramref name="zone"/> at an instant: the one conversion a calendar date condition makes.
    /// <see cref="TimeZoneInfo.ConvertTimeFromUtc"/> applies the offset in force at that instant (daylight saving included)
    /// and clamps at the ends of the calendar instead of throwing.
    /// </summary>
    /// <param name="utcTicks">The instant as UTC ticks.</param>
    /// <param name="zone">The time zone.</param>
    public static CalendarDay LocalDay(long utcTicks, TimeZoneInfo zone) =>
        CalendarDay.Of(TimeZoneInfo.ConvertTimeFromUtc(new DateTime(utcTicks, DateTimeKind.Utc), zone));

    /// <summary>
    /// The calendar date in <paramref name="zone"/> that a date condition compares with, <paramref name="offsetTicks"/> from
    /// now: the offset's whole days are calendar days added to the date in the zone (a day from 23:30 on the night the
    /// clocks change is tomorrow, not the day after it or today again), and the rest of it is elapsed time, read with the UTC
    /// offset in force at that instant. Held at the first or last representable date instead of overflowing.
    /// </summary>
    /// <param name="nowUtcTicks">Now as UTC ticks.</param>
    /// <param name="offsetTicks">The offset in ticks (negative for the past).</param>
    /// <param name="zone">The time zone.</param>
    public static CalendarDay TargetDay(long nowUtcTicks, long offsetTicks, TimeZoneInfo zone) =>
        AddDays(LocalDay(AddSaturating(nowUtcTicks, offsetTicks % TimeSpan.TicksPerDay), zone), offsetTicks / TimeSpan.TicksPerDay);

    /// <summary><paramref name="day"/> plus <paramref name="days"/> calendar days, held at the first or last representable date.</summary>
    /// <param name="day">The date.</param>
    /// <param name="days">The days to add (negative for the past).</param>
    public static CalendarDay AddDays(in CalendarDay day, long days)
    {
        if (days == 0)
        {
            return day;
        }

        var number = Math.Clamp(day.DayNumber + days, 0, MaxTicks / TimeSpan.TicksPerDay);
        return CalendarDay.Of(new DateTime(number * TimeSpan.TicksPerDay, DateTimeKind.Unspecified));
    }

    /// <summary>
    /// The calendar date of a date-time field value, read in UTC: date-only values such as birthdays are stored as
    /// midnight UTC, and reading them in a zone west of UTC would move them to the day before.
    /// </summary>
    /// <param name="utcTicks">The field value as UTC ticks.</param>
    public static CalendarDay FieldDay(long utcTicks) => CalendarDay.Of(new DateTime(utcTicks, DateTimeKind.Utc));

    /// <summary>
    /// The (month, day) key of an anniversary compared in <paramref name="targetYear"/>: <c>month * 32 + day</c>,
    /// with February 29 read as February 28 when the target year is not a leap year.
    /// </summary>
    /// <param name="month">The month.</param>
    /// <param name="day">The day.</param>
    /// <param name="targetYear">The year of the date it is compared with.</param>
    public static int AnniversaryKey(int month, int day, int targetYear) =>
        month == 2 && day == 29 && !DateTime.IsLeapYear(targetYear) ? (2 * 32) + 28 : (month * 32) + day;
}
