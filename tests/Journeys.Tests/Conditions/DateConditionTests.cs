using Journeys.Conditions;
using static Journeys.Tests.Conditions.ConditionHarness;

namespace Journeys.Tests.Conditions;

public sealed class DateConditionTests
{
    private static readonly (string, FieldValue)[] BornMarch15 = [("birthDate", new DateTimeOffset(1990, 3, 15, 0, 0, 0, TimeSpan.Zero))];

    private static bool BirthdayToday(DateTimeOffset now, string zone) =>
        Evaluate(Condition.Anniversary("birthDate"), Customer(BornMarch15), now, Zone(zone));

    private static DateTimeOffset Utc(int year, int month, int day, int hour, int minute) => new(year, month, day, hour, minute, 0, TimeSpan.Zero);

    [Fact]
    public void Birthday_today_follows_the_customers_midnight_in_Madrid()
    {
        // 23:30 UTC on the 14th is 00:30 on the 15th in Madrid (UTC+1 in March).
        Assert.True(BirthdayToday(Utc(2025, 3, 14, 23, 30), "Europe/Madrid"));
        Assert.False(BirthdayToday(Utc(2025, 3, 14, 22, 59), "Europe/Madrid"));
        Assert.True(BirthdayToday(Utc(2025, 3, 15, 22, 59), "Europe/Madrid"));
        Assert.False(BirthdayToday(Utc(2025, 3, 15, 23, 0), "Europe/Madrid"));
    }

    [Fact]
    public void Birthday_today_in_Los_Angeles_reads_the_stored_date_in_UTC()
    {
        // Read in Los Angeles, midnight UTC of the 15th would be the 14th; the birthday stays the 15th.
        Assert.False(BirthdayToday(Utc(2025, 3, 15, 6, 59), "America/Los_Angeles"));
        Assert.True(BirthdayToday(Utc(2025, 3, 15, 7, 0), "America/Los_Angeles"));
        Assert.True(BirthdayToday(Utc(2025, 3, 16, 6, 59), "America/Los_Angeles"));
        Assert.False(BirthdayToday(Utc(2025, 3, 16, 7, 0), "America/Los_Angeles"));
    }

    [Fact]
    public void Birthday_today_at_the_edges_of_the_clock_UTC_plus_14_and_minus_12()
    {
        Assert.False(BirthdayToday(Utc(2025, 3, 14, 9, 59), "Pacific/Kiritimati"));
        Assert.True(BirthdayToday(Utc(2025, 3, 14, 10, 0), "Pacific/Kiritimati"));
        Assert.False(BirthdayToday(Utc(2025, 3, 15, 10, 0), "Pacific/Kiritimati"));
        Assert.True(BirthdayToday(Utc(2025, 3, 15, 12, 0), "Etc/GMT+12"));
        Assert.True(BirthdayToday(Utc(2025, 3, 16, 11, 59), "Etc/GMT+12"));
        Assert.False(BirthdayToday(Utc(2025, 3, 16, 12, 0), "Etc/GMT+12"));
    }

    [Fact]
    public void A_February_29_birthday_is_celebrated_on_the_28th_in_other_years()
    {
        var leapling = Customer(("birthDate", new DateTimeOffset(2000, 2, 29, 0, 0, 0, TimeSpan.Zero)));
        var feb28 = Customer(("birthDate", new DateTimeOffset(1999, 2, 28, 0, 0, 0, TimeSpan.Zero)));
        bool On(Customer c, Condition condition, int year, int month, int day) => Evaluate(condition, c, Utc(year, month, day, 12, 0));
        var today = Condition.Anniversary("birthDate");

        Assert.True(On(leapling, today, 2025, 2, 28));
        Assert.False(On(leapling, today, 2025, 3, 1));
        Assert.False(On(leapling, today, 2024, 2, 28));
        Assert.True(On(leapling, today, 2024, 2, 29));
        Assert.True(On(feb28, today, 2025, 2, 28));
        Assert.False(On(feb28, today, 2024, 2, 29));

        var before = Condition.Date("birthDate", ComparisonOperator.Lt, TimeSpan.Zero, DatePart.DayAndMonth);
        Assert.False(On(leapling, before, 2025, 2, 28));
        Assert.True(On(leapling, before, 2025, 3, 1));
        Assert.True(On(leapling, before, 2024, 3, 1));
        Assert.False(On(leapling, before, 2024, 2, 29));

        // "In a week" from February 22 of a non-leap year lands on the 1st of March: the leapling's party was the day before.
        Assert.False(On(leapling, Condition.Anniversary("birthDate", 7), 2025, 2, 22));
        Assert.True(On(leapling, Condition.Anniversary("birthDate", 6), 2025, 2, 22));
    }

    [Fact]
    public void Day_and_month_order_is_month_first_then_day()
    {
        var c = Customer(BornMarch15);
        var gt = Condition.Date("birthDate", ComparisonOperator.Gt, TimeSpan.Zero, DatePart.DayAndMonth);
        Assert.True(Evaluate(gt, c, Utc(2025, 2, 28, 12, 0)));
        Assert.True(Evaluate(gt, c, Utc(2025, 3, 14, 12, 0)));
        Assert.False(Evaluate(gt, c, Utc(2025, 3, 15, 12, 0)));
        Assert.False(Evaluate(gt, c, Utc(2025, 4, 1, 12, 0)));
        Assert.True(Evaluate(Condition.Date("birthDate", ComparisonOperator.Eq, TimeSpan.Zero, DatePart.Month), c, Utc(2025, 3, 1, 0, 0)));
        Assert.True(Evaluate(Condition.Date("birthDate", ComparisonOperator.Lt, TimeSpan.FromDays(-365 * 30), DatePart.Year), c, Utc(2025, 3, 1, 0, 0)));
        Assert.True(Evaluate(Condition.Date("birthDate", ComparisonOperator.Eq, TimeSpan.FromDays(-365 * 35), DatePart.Year), c, Utc(2025, 3, 1, 0, 0)));
    }

    [Fact]
    public void Instants_compare_with_now_plus_the_offset()
    {
        var signedUp = Customer(("signedUp", Noon.AddDays(-30)));
        Assert.True(Evaluate(Condition.Date("signedUp", ComparisonOperator.Lte, TimeSpan.FromDays(-30)), signedUp));
        Assert.False(Evaluate(Condition.Date("signedUp", ComparisonOperator.Lt, TimeSpan.FromDays(-30)), signedUp));
        Assert.True(Evaluate(Condition.Date("signedUp", ComparisonOperator.Eq, TimeSpan.FromDays(-30)), signedUp));
        Assert.True(Evaluate(Condition.Date("signedUp", ComparisonOperator.Gt, TimeSpan.FromDays(-31)), signedUp));

        // Offsets past the ends of the calendar saturate instead of throwing.
        Assert.True(Evaluate(Condition.Date("signedUp", ComparisonOperator.Lt, TimeSpan.MaxValue), signedUp, zone: Zone("Pacific/Kiritimati")));
        Assert.True(Evaluate(Condition.Date("signedUp", ComparisonOperator.Gt, TimeSpan.MinValue, DatePart.Date), signedUp, zone: Zone("Etc/GMT+12")));
        Assert.True(Evaluate(Condition.Date("signedUp", ComparisonOperator.Lt, TimeSpan.MaxValue, DatePart.Year), signedUp, zone: Zone("Pacific/Kiritimati")));
    }

    [Fact]
    public void A_day_from_now_is_tomorrows_date_across_spring_forward()
    {
        // Madrid, 2025-03-30 02:00 -> 03:00. From 23:30 on the 29th (UTC+1), one day from today is the 30th, although
        // 24 hours later it is 00:30 on the 31st (UTC+2).
        var madrid = Zone("Europe/Madrid");
        var now = Utc(2025, 3, 29, 22, 30);
        var onThe30th = Customer(("signedUp", Utc(2025, 3, 30, 0, 0)));
        var onThe31st = Customer(("signedUp", Utc(2025, 3, 31, 0, 0)));
        Assert.True(Evaluate(Condition.Date("signedUp", ComparisonOperator.Eq, TimeSpan.FromDays(1), DatePart.Date), onThe30th, now, madrid));
        Assert.False(Evaluate(Condition.Date("signedUp", ComparisonOperator.Eq, TimeSpan.FromDays(1), DatePart.Date), onThe31st, now, madrid));
        Assert.True(Evaluate(Condition.Anniversary("signedUp", 1), onThe30th, now, madrid));
        Assert.Equal(new CalendarDay(2025, 3, 29, new DateOnly(2025, 3, 29).DayNumber), new EvaluationContext(now, madrid).Today);
        Assert.Equal(new DateOnly(2025, 3, 30).DayNumber, new EvaluationContext(now, madrid).LocalDayAt(TimeSpan.TicksPerDay).DayNumber);

        // The part of an offset shorter than a day is elapsed time: 3 hours from 23:30 is 03:30 (UTC+2) on the 30th.
        Assert.True(Evaluate(Condition.Date("signedUp", ComparisonOperator.Eq, TimeSpan.FromHours(3), DatePart.Date), onThe30th, now, madrid));
    }

    [Fact]
    public void A_day_from_now_is_tomorrows_date_across_fall_back_at_midnight_and_an_hour_uses_the_offset_in_force_then()
    {
        // Santiago de Chile ends daylight saving at midnight: 2025-04-06 00:00 (UTC-3) becomes 2025-04-05 23:00 (UTC-4).
        var santiago = Zone("America/Santiago");
        Assert.Equal(TimeSpan.FromHours(-3), santiago.GetUtcOffset(Utc(2025, 4, 5, 3, 30)));
        Assert.Equal(TimeSpan.FromHours(-4), santiago.GetUtcOffset(Utc(2025, 4, 6, 3, 30)));

        // 00:30 on April 5th; 24 hours later it is 23:30 on April 5th again, but one day from today is the 6th.
        var now = Utc(2025, 4, 5, 3, 30);
        var onThe5th = Customer(("signedUp", Utc(2025, 4, 5, 0, 0)));
        var onThe6th = Customer(("signedUp", Utc(2025, 4, 6, 0, 0)));
        Assert.False(Evaluate(Condition.Date("signedUp", ComparisonOperator.Eq, TimeSpan.FromDays(1), DatePart.Date), onThe5th, now, santiago));
        Assert.True(Evaluate(Condition.Date("signedUp", ComparisonOperator.Eq, TimeSpan.FromDays(1), DatePart.Date), onThe6th, now, santiago));
        Assert.True(Evaluate(Condition.Date("signedUp", ComparisonOperator.Eq, TimeSpan.Zero, DatePart.Date), onThe5th, now, santiago));
        Assert.False(Evaluate(Condition.Anniversary("signedUp", 1), onThe5th, now, santiago));
        Assert.True(Evaluate(Condition.Anniversary("signedUp", 1), onThe6th, now, santiago));

        // At 23:30 on the 5th (UTC-3), an hour later is 23:30 on the 5th again (UTC-4): still the 5th.
        var lateEvening = Utc(2025, 4, 6, 2, 30);
        Assert.True(Evaluate(Condition.Date("signedUp", ComparisonOperator.Eq, TimeSpan.FromHours(1), DatePart.Date), onThe5th, lateEvening, santiago));
    }

    [Fact]
    public void A_customer_zone_of_half_and_quarter_hours_is_honoured()
    {
        // Kathmandu is UTC+05:45: 18:15 UTC on the 14th is midnight on the 15th.
        Assert.False(BirthdayToday(Utc(2025, 3, 14, 18, 14), "Asia/Kathmandu"));
        Assert.True(BirthdayToday(Utc(2025, 3, 14, 18, 15), "Asia/Kathmandu"));
    }
}
