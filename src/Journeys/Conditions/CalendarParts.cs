using Journeys.Model;

namespace Journeys.Conditions;

/// <summary>The <see cref="ICalendarPart"/> implementations.</summary>
internal static class CalendarParts
{
    /// <summary><see cref="DatePart.Date"/>: the day number.</summary>
    internal readonly struct Date : ICalendarPart
    {
        public static int FieldKey(long fieldUtcTicks, in CalendarDay target) => (int)(fieldUtcTicks / TimeSpan.TicksPerDay);

        public static int TargetKey(in CalendarDay target) => target.DayNumber;
    }

    /// <summary><see cref="DatePart.DayAndMonth"/>: <c>month * 32 + day</c>; February 29 counts as the 28th in a non-leap target year.</summary>
    internal readonly struct DayAndMonth : ICalendarPart
    {
        public static int FieldKey(long fieldUtcTicks, in CalendarDay target)
        {
            new DateTime(fieldUtcTicks, DateTimeKind.Utc).Deconstruct(out _, out int month, out int day);
            return ConditionTime.AnniversaryKey(month, day, target.Year);
        }

        public static int TargetKey(in CalendarDay target) => (target.Month * 32) + target.Day;
    }

    /// <summary><see cref="DatePart.Month"/>: the month number.</summary>
    internal readonly struct Month : ICalendarPart
    {
        public static int FieldKey(long fieldUtcTicks, in CalendarDay target) => new DateTime(fieldUtcTicks, DateTimeKind.Utc).Month;

        public static int TargetKey(in CalendarDay target) => target.Month;
    }

    /// <summary><see cref="DatePart.Year"/>: the year.</summary>
    internal readonly struct Year : ICalendarPart
    {
        public static int FieldKey(long fieldUtcTicks, in CalendarDay target) => new DateTime(fieldUtcTicks, DateTimeKind.Utc).Year;

        public static int TargetKey(in CalendarDay target) => target.Year;
    }
}
