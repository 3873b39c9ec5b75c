using FsCheck.Xunit;
using Journeys.Conditions;

namespace Journeys.Tests.Conditions;

public sealed class ConditionProperties
{
    [Property(MaxTest = 1000, Arbitrary = [typeof(ConditionGenerators)])]
    public void Compiled_conditions_agree_with_the_reference_evaluator(ConditionCase c)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(c.ZoneId);
        var expected = ReferenceConditionEvaluator.Evaluate(c.Condition, c.Customer, ConditionGenerators.Schema, c.Now, zone);
        var compiled = ConditionCompiler.Compile(c.Condition, ConditionGenerators.Schema);
        var fields = CustomerSlots.ToArray(c.Customer, ConditionGenerators.Schema);
        Assert.Equal(expected, compiled.Evaluate(fields, new EvaluationContext(c.Now, zone)));
    }

    [Property(MaxTest = 500)]
    public void Anniversaries_around_February_29_agree(int year, int hour, int field, int op, int offset, int zone)
    {
        // Now within a few days of February 28th, in leap and common years; birthdays on February 28th, 29th and March 1st.
        var now = new DateTimeOffset(2023 + Math.Abs(year % 4), 2, 26, 0, 0, 0, TimeSpan.Zero).AddHours(Math.Abs(hour % 120));
        var birthday = new DateTimeOffset(2000, 2, 28, 0, 0, 0, TimeSpan.Zero).AddDays(Math.Abs(field % 3));
        var condition = Condition.Date("d1", (ComparisonOperator)Math.Abs(op % 6), TimeSpan.FromDays(offset % 3), DatePart.DayAndMonth);
        var tz = TimeZoneInfo.FindSystemTimeZoneById(ConditionGenerators.Zones[Math.Abs(zone % ConditionGenerators.Zones.Length)]);
        var customer = new Customer("c", [KeyValuePair.Create("d1", (FieldValue)birthday)]);
        var expected = ReferenceConditionEvaluator.Evaluate(condition, customer, ConditionGenerators.Schema, now, tz);
        var fields = CustomerSlots.ToArray(customer, ConditionGenerators.Schema);
        Assert.Equal(expected, ConditionCompiler.Compile(condition, ConditionGenerators.Schema).Evaluate(fields, new EvaluationContext(now, tz)));
    }

    [Property(MaxTest = 500, Arbitrary = [typeof(ConditionGenerators)])]
    public void Not_negates_and_neq_is_not_eq(ConditionCase c)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(c.ZoneId);
        var schema = ConditionGenerators.Schema;
        var plain = ReferenceConditionEvaluator.Evaluate(c.Condition, c.Customer, schema, c.Now, zone);
        Assert.Equal(!plain, ReferenceConditionEvaluator.Evaluate(new NotCondition(c.Condition), c.Customer, schema, c.Now, zone));
        if (c.Condition is FieldCondition { Operator: ComparisonOperator.Eq } eq)
        {
            Assert.Equal(!plain, ReferenceConditionEvaluator.Evaluate(eq with { Operator = ComparisonOperator.Neq }, c.Customer, schema, c.Now, zone));
        }

        if (c.Condition is DateCondition { Operator: ComparisonOperator.Eq } dateEq)
        {
            Assert.Equal(!plain, ReferenceConditionEvaluator.Evaluate(dateEq with { Operator = ComparisonOperator.Neq }, c.Customer, schema, c.Now, zone));
        }
    }

    [Property(MaxTest = 300)]
    public void The_context_today_is_the_zone_date_of_now(int minutes, int zoneIndex)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(ConditionGenerators.Zones[Math.Abs(zoneIndex % ConditionGenerators.Zones.Length)]);
        var now = new DateTimeOffset(2025, 3, 29, 0, 0, 0, TimeSpan.Zero).AddMinutes(minutes % (60 * 24 * 400));
        var context = new EvaluationContext(now, zone);
        Assert.Equal(DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime).DayNumber, context.Today.DayNumber);
        Assert.Equal(context.Today, context.LocalDayAt(0));
        // Whole days are calendar days from the zone's date; the rest is elapsed time.
        Assert.Equal(context.Today.DayNumber + 2, context.LocalDayAt(TimeSpan.FromDays(2).Ticks).DayNumber);
        Assert.Equal(context.Today.DayNumber - 1, context.LocalDayAt(TimeSpan.FromDays(-1).Ticks).DayNumber);
        Assert.Equal(DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now.AddHours(1), zone).DateTime).DayNumber + 1, context.LocalDayAt(TimeSpan.FromHours(25).Ticks).DayNumber);
    }
}
