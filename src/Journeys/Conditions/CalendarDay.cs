namespace Journeys.Conditions;

/// <summary>A calendar date split into the parts date conditions compare, computed once per target date.</summary>
/// <param name="Year">The year.</param>
/// <param name="Month">The month, 1 to 12.</param>
/// <param name="Day">The day of the month.</param>
/// <param name="DayNumber">Days since 0001-01-01, so that dates compare as integers.</param>
internal readonly record struct CalendarDay(int Year, int Month, int Day, int DayNumber)
{
    /// <summary>The calendar date of a <see cref="DateTime"/> (its kind is ignored: the date as written).</summary>
    /// <param name="dateTime">The date and time.</param>
    public static CalendarDay Of(DateTime dateTime)
    {
        dateTime.Deconstruct(out int year, out int month, out int day);
        return new CalendarDay(year, month, day, (int)(dateTime.Ticks / TimeSpan.TicksPerDay));
    }
}
