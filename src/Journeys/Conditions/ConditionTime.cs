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
