namespace Journeys.Model;

/// <summary>
/// Compares a date-time field with "now plus an offset", on a part of the date in the customer's time zone.
/// For example a birthday today is <c>DayAndMonth eq now+0</c>; "signed up more than 30 days ago" is <c>Instant lt now-30d</c>.
/// </summary>
/// <param name="Field">The date-time field name.</param>
/// <param name="Operator">The comparison: <c>eq neq lt gt lte gte isnull isnotnull</c>.</param>
/// <param name="Offset">
/// Added to the current time before comparing (negative for the past). For a calendar part its whole days are calendar
/// days from today's date in the zone (one day from now is tomorrow's date, also when the clocks change that night) and
/// the rest is elapsed time.
/// </param>
/// <param name="Part">Which part of the dates is compared.</param>
public sealed record DateCondition(string Field, ComparisonOperator Operator, TimeSpan Offset, DatePart Part) : Condition;
