namespace Journeys.Model;

/// <summary>Which part of a date-time a <see cref="DateCondition"/> compares, in the customer's time zone.</summary>
public enum DatePart
{
    /// <summary>The whole instant.</summary>
    Instant = 0,

    /// <summary>The calendar date (year, month, day).</summary>
    Date = 1,

    /// <summary>Month and day only, ignoring the year: an anniversary or a birthday.</summary>
    DayAndMonth = 2,

    /// <summary>The month only.</summary>
    Month = 3,

    /// <summary>The year only.</summary>
    Year = 4,
}
