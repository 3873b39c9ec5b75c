using Journeys.Conditions;
using static Journeys.Tests.Conditions.ConditionHarness;

namespace Journeys.Tests.Conditions;

public sealed class ConditionCompilerTests
{
    [Fact]
    public void An_unknown_field_is_named_with_where_it_is()
    {
        var condition = Condition.All(Condition.Eq("plan", "gold"), Condition.Not(Condition.Gt("loyaltyPoints", 10)));
        var ex = Assert.Throws<ArgumentException>(() => ConditionCompiler.Compile(condition, Schema));
        Assert.Contains("'loyaltyPoints'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("condition.conditions[1].condition", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("age", ComparisonOperator.Contains)]
    [InlineData("age", ComparisonOperator.StartsWith)]
    [InlineData("vip", ComparisonOperator.Lt)]
    [InlineData("tags", ComparisonOperator.Gt)]
    [InlineData("tags", ComparisonOperator.StartsWith)]
    public void An_operator_the_type_does_not_support_is_refused(string field, ComparisonOperator op)
    {
        FieldValue operand = field switch { "age" => 1.0, "vip" => true, _ => "x" };
        var ex = Assert.Throws<ArgumentException>(() => ConditionCompiler.Compile(new FieldCondition(field, op, operand), Schema));
        Assert.Contains($"'{field}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(op.ToString(), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Operands_of_the_wrong_type_are_refused()
    {
        Assert.Contains("'age'", Assert.Throws<ArgumentException>(() => ConditionCompiler.Compile(Condition.Eq("age", "42"), Schema)).Message, StringComparison.Ordinal);
        Assert.Contains("'age'", Assert.Throws<ArgumentException>(() => ConditionCompiler.Compile(Condition.Eq("age", FieldValue.Null), Schema)).Message, StringComparison.Ordinal);
        Assert.Contains("'tags'", Assert.Throws<ArgumentException>(() => ConditionCompiler.Compile(Condition.In("tags", "a", 1), Schema)).Message, StringComparison.Ordinal);
        Assert.Contains("'name'", Assert.Throws<ArgumentException>(() => ConditionCompiler.Compile(Condition.Anniversary("name"), Schema)).Message, StringComparison.Ordinal);
        Assert.Contains("'birthDate'", Assert.Throws<ArgumentException>(() => ConditionCompiler.Compile(Condition.Date("birthDate", ComparisonOperator.Contains, TimeSpan.Zero), Schema)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_compiled_condition_lists_the_slots_it_reads_and_whether_time_matters()
    {
        var compiled = ConditionCompiler.Compile(Condition.Any(Condition.Eq("TAGS", "x"), Condition.Gt("age", 3), Condition.IsNull("birthDate")), Schema);
        Assert.Equal([Schema.GetSlot("age"), Schema.GetSlot("birthDate"), Schema.GetSlot("tags")], compiled.Slots.ToArray());
        Assert.False(compiled.DependsOnTime);
        Assert.True(ConditionCompiler.Compile(Condition.Not(Condition.Anniversary("birthDate")), Schema).DependsOnTime);
        Assert.Throws<ArgumentException>(() => compiled.Evaluate(new FieldValue[2], new EvaluationContext(Noon, TimeZoneInfo.Utc)));
    }

    [Fact]
    public void Evaluating_allocates_nothing()
    {
        var madrid = Zone("Europe/Madrid");
        var now = new DateTimeOffset(2025, 3, 29, 22, 30, 0, TimeSpan.Zero);
        var condition = Condition.All(
            Condition.Eq("plan", "GOLD"),
            Condition.Gt("age", 30),
            Condition.Anniversary("birthDate", 7));
        var everyKind = Condition.Any(
            Condition.Not(Condition.All(
                Condition.In("name", "ana", "luis"),
                Condition.In("tags", "x", "vip"),
                Condition.In("age", 40, 41),
                Condition.Contains("tags", "VIP"),
                Condition.StartsWith("name", "A"),
                Condition.Contains("name", "n"),
                Condition.Lt("name", "b"),
                Condition.Neq("vip", false),
                Condition.Lte("signedUp", now),
                Condition.Date("signedUp", ComparisonOperator.Lt, TimeSpan.FromDays(-1)),
                Condition.Date("birthDate", ComparisonOperator.Lte, TimeSpan.FromDays(-400), DatePart.Date),
                Condition.Date("birthDate", ComparisonOperator.Eq, TimeSpan.FromHours(75), DatePart.Month),
                Condition.Date("birthDate", ComparisonOperator.Lt, TimeSpan.Zero, DatePart.Year),
                Condition.IsNotNull("tags"))),
            Condition.IsNull("plan"));
        // Every evaluator in the All holds, so none is skipped by short-circuiting; a week from March 29th in Madrid is
        // April 5th, also from 23:30 on the night of the change to summer time (whole days are calendar days).
        var customer = Customer(
            ("name", "Ana"), ("plan", "gold"), ("age", 40), ("vip", true), ("signedUp", now.AddDays(-10)),
            ("birthDate", new DateTimeOffset(1980, 4, 5, 0, 0, 0, TimeSpan.Zero)), ("tags", FieldValue.FromStringList(["new", "vip"])));
        var fields = CustomerSlots.ToArray(customer, Schema);
        var context = new EvaluationContext(now, madrid);
        var first = ConditionCompiler.Compile(condition, Schema);
        var second = ConditionCompiler.Compile(everyKind, Schema);
        Assert.True(first.Evaluate(fields, in context));
        Assert.False(second.Evaluate(fields, in context));
        Assert.True(ReferenceConditionEvaluator.Evaluate(condition, customer, Schema, now, madrid));
        Assert.False(ReferenceConditionEvaluator.Evaluate(everyKind, customer, Schema, now, madrid));

        // Steady state: a warm-up loop first, then the least of three measured loops. An allocation per evaluation
        // shows in every loop (10,000 evaluations, at least 240 KB); a one-off of the runtime on this thread (seen
        // once in CI: 6,376 B in one loop, while the benchmarks' MemoryDiagnoser reports 0 B) does not fail the test.
        Assert.Equal(5000, Loop());
        var allocated = long.MaxValue;
        for (var attempt = 0; attempt < 3 && allocated > 0; attempt++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var matches = Loop();
            allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
            Assert.Equal(5000, matches);
        }

        Assert.Equal(0, allocated);

        int Loop()
        {
            var matches = 0;
            for (var i = 0; i < 5000; i++)
            {
                matches += first.Evaluate(fields, in context) ? 1 : 0;
                matches += second.Evaluate(fields, in context) ? 1 : 0;
            }

            return matches;
        }
    }

    [Fact]
    public void Customer_slots_apply_defaults_and_ignore_unknown_fields()
    {
        var fields = CustomerSlots.ToArray(Customer(("AGE", 3), ("plan", FieldValue.Null), ("nickname", "x")), Schema);
        Assert.Equal(Schema.Fields.Count, fields.Length);
        Assert.Equal(FieldValue.FromNumber(3), fields[Schema.GetSlot("age")]);
        Assert.Equal(FieldValue.FromString("free"), fields[Schema.GetSlot("plan")]);
        Assert.Equal(FieldValue.FromBoolean(false), fields[Schema.GetSlot("vip")]);
        Assert.True(fields[Schema.GetSlot("name")].IsNull);
    }
}
