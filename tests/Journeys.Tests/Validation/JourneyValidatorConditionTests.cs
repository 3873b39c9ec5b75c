using Journeys.Conditions;
using Journeys.Validation;
using static Journeys.Tests.Validation.ValidationTestData;

namespace Journeys.Tests.Validation;

public sealed class JourneyValidatorConditionTests
{
    private static ValidationResult ValidateBranch(Condition condition) =>
        Validate(With(new FilterNode("check", [new FilterBranch(condition, "send-vip")], "wait-1h")));

    private static ValidationResult ValidateEntry(Condition condition) =>
        Validate(ValidJourney() with { Entry = new FilterEntry(condition) });

    private static ValidationResult ValidateEventCondition(Condition condition) =>
        Validate(ValidJourney() with { ExitRules = new ExitRules([new GoalEvent("purchase", condition)]) });

    public static TheoryData<Condition> ValidCustomerConditions => new()
    {
        Condition.Eq("firstName", "Ana"),
        Condition.Lt("firstName", "M"),
        Condition.StartsWith("email", "ana"),
        Condition.Contains("email", "@example"),
        Condition.Gte("age", 18d),
        Condition.Neq("vip", true),
        Condition.Lt("birthDate", ValidationTestData.Start),
        Condition.Eq("tags", "gold"),
        Condition.Contains("tags", "gold"),
        Condition.IsNull("tags"),
        Condition.IsNotNull("vip"),
        new FieldCondition("age", ComparisonOperator.IsNull, "ignored operand"),
        Condition.In("age", 1d, 2d),
        Condition.In("tags", "a", "b"),
        Condition.Date("birthDate", ComparisonOperator.Gte, TimeSpan.Zero, DatePart.Year),
        Condition.Date("birthDate", ComparisonOperator.IsNull, TimeSpan.Zero),
        Condition.All(),
        Condition.Any(Condition.Not(Condition.Eq("VIP", true))),
    };

    [Theory]
    [MemberData(nameof(ValidCustomerConditions))]
    public void Well_typed_conditions_validate_clean(Condition condition)
    {
        Assert.Empty(ValidateBranch(condition).Diagnostics);
    }

    [Fact]
    public void A_condition_on_a_field_outside_the_schema_is_an_unknown_field()
    {
        var diagnostic = Only(ValidateBranch(Condition.Eq("country", "ES")), DiagnosticCodes.UnknownField);

        Assert.Equal("check", diagnostic.NodeId);
        Assert.Equal("nodes[check].branches[0].condition.field", diagnostic.Path);
        Assert.Contains("'country'", diagnostic.Message, StringComparison.Ordinal);
        Assert.Contains("branch 1", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_condition_with_no_field_name_is_reported()
    {
        Only(ValidateBranch(Condition.Eq("", "x")), DiagnosticCodes.MissingFieldName);
        Only(ValidateBranch(Condition.Eq(null!, "x")), DiagnosticCodes.MissingFieldName);
    }

    public static TheoryData<Condition> InvalidOperators => new()
    {
        Condition.Lt("vip", true),
        Condition.Gte("tags", "a"),
        Condition.Contains("age", "1"),
        Condition.Contains("vip", "t"),
        Condition.Contains("birthDate", "2020"),
        Condition.StartsWith("tags", "a"),
        Condition.StartsWith("age", "1"),
        new FieldCondition("age", (ComparisonOperator)42, 1d),
        new DateCondition("birthDate", ComparisonOperator.Contains, TimeSpan.Zero, DatePart.Date),
        new DateCondition("birthDate", ComparisonOperator.StartsWith, TimeSpan.Zero, DatePart.Date),
    };

    [Theory]
    [MemberData(nameof(InvalidOperators))]
    public void Operators_that_do_not_suit_the_field_type_are_reported(Condition condition)
    {
        Only(ValidateBranch(condition), DiagnosticCodes.InvalidOperator);
    }

    public static TheoryData<Condition> TypeMismatches => new()
    {
        Condition.Eq("age", "30"),
        Condition.Gt("age", ValidationTestData.Start),
        Condition.Eq("vip", "true"),
        Condition.Eq("firstName", 3d),
        Condition.Lt("birthDate", "2020-01-01"),
        Condition.Eq("tags", FieldValue.FromStringList(["a"])),
        Condition.In("age", 1d, "2"),
        Condition.Date("age", ComparisonOperator.Lt, TimeSpan.Zero),
    };

    [Theory]
    [MemberData(nameof(TypeMismatches))]
    public void Operands_of_another_type_than_the_field_are_type_mismatches(Condition condition)
    {
        Only(ValidateBranch(condition), DiagnosticCodes.TypeMismatch);
    }

    [Fact]
    public void A_type_mismatch_message_says_what_was_expected()
    {
        var diagnostic = Only(ValidateBranch(Condition.Eq("age", "30")), DiagnosticCodes.TypeMismatch);

        Assert.Equal("nodes[check].branches[0].condition.value", diagnostic.Path);
        Assert.Contains("Number field 'age'", diagnostic.Message, StringComparison.Ordinal);
        Assert.Contains("String value '30'", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_comparison_with_null_is_a_missing_operand()
    {
        Only(ValidateBranch(Condition.Eq("age", FieldValue.Null)), DiagnosticCodes.MissingOperand);
        Only(ValidateBranch(Condition.In("age", 1d, FieldValue.Null)), DiagnosticCodes.MissingOperand);
    }

    [Fact]
    public void An_empty_in_list_never_matches()
    {
        Only(ValidateBranch(Condition.In("age")), DiagnosticCodes.EmptyInList);
        Only(ValidateBranch(new InCondition("age", default)), DiagnosticCodes.EmptyInList);
    }

    [Fact]
    public void Each_wrong_value_of_an_in_list_is_reported()
    {
        var result = ValidateBranch(Condition.In("age", "1", 2d, true));

        Assert.Equal(
            ["nodes[check].branches[0].condition.values[0]", "nodes[check].branches[0].condition.values[2]"],
            result.Diagnostics.Select(d => d.Path));
    }

    [Fact]
    public void Composite_conditions_are_checked_recursively_and_report_every_problem()
    {
        var condition = Condition.All(
            Condition.Eq("age", "x"),
            Condition.Any(Condition.Eq("country", "ES"), null!),
            Condition.Not(null!),
            Condition.Not(Condition.Lt("vip", true)));

        var result = ValidateEntry(condition);

        Assert.Equal(
            [
                (DiagnosticCodes.TypeMismatch, "entry.condition.conditions[0].value"),
                (DiagnosticCodes.UnknownField, "entry.condition.conditions[1].conditions[0].field"),
                (DiagnosticCodes.MissingCondition, "entry.condition.conditions[1].conditions[1]"),
                (DiagnosticCodes.MissingCondition, "entry.condition.conditions[2].condition"),
                (DiagnosticCodes.InvalidOperator, "entry.condition.conditions[3].condition.operator"),
            ],
            result.Diagnostics.Select(d => (d.Code, d.Path)));
        Assert.All(result.Diagnostics, d => Assert.Null(d.NodeId));
    }

    [Fact]
    public void A_null_entry_filter_condition_is_reported()
    {
        Only(ValidateEntry(null!), DiagnosticCodes.MissingCondition);
    }

    [Fact]
    public void Default_condition_lists_are_empty_groups()
    {
        Assert.Empty(ValidateEntry(new AllCondition(default)).Diagnostics);
        Assert.Empty(ValidateEntry(new AnyCondition(default)).Diagnostics);
    }

    [Fact]
    public void A_condition_nested_past_64_levels_is_too_deep_but_does_not_overflow()
    {
        Condition condition = Condition.Eq("age", 1d);
        for (var i = 0; i < 10_000; i++)
        {
            condition = Condition.Not(condition);
        }

        var diagnostic = Only(ValidateEntry(condition), DiagnosticCodes.ConditionTooDeep);
        Assert.StartsWith("entry.condition.condition.condition", diagnostic.Path, StringComparison.Ordinal);
    }

    [Fact]
    public void A_condition_nested_64_levels_is_fine()
    {
        Condition condition = Condition.Eq("age", 1d);
        for (var i = 0; i < 64; i++)
        {
            condition = Condition.Not(condition);
        }

        Assert.Empty(ValidateEntry(condition).Diagnostics);
    }

    [Fact]
    public void A_date_condition_with_an_unknown_part_is_reported()
    {
        Only(ValidateBranch(new DateCondition("birthDate", ComparisonOperator.Eq, TimeSpan.Zero, (DatePart)9)), DiagnosticCodes.InvalidEnumValue);
    }

    [Fact]
    public void Event_property_conditions_are_not_checked_against_the_customer_schema()
    {
        var condition = Condition.All(
            Condition.Gt("amount", 10d),
            Condition.Contains("url", "sale"),
            Condition.StartsWith("sku", "A"),
            Condition.Eq("tags", "x"),
            Condition.In("currency", "EUR", "USD"),
            Condition.Date("paidAt", ComparisonOperator.Lt, TimeSpan.Zero),
            Condition.IsNull("coupon"));

        Assert.Empty(ValidateEventCondition(condition).Diagnostics);
    }

    public static TheoryData<Condition, string> InvalidEventConditions => new()
    {
        { Condition.Lt("tags", FieldValue.FromStringList(["a"])), DiagnosticCodes.InvalidOperator },
        { Condition.Gt("paid", true), DiagnosticCodes.InvalidOperator },
        { new FieldCondition("amount", ComparisonOperator.Contains, 3d), DiagnosticCodes.InvalidOperator },
        { new FieldCondition("amount", ComparisonOperator.StartsWith, 3d), DiagnosticCodes.InvalidOperator },
        { new FieldCondition("amount", (ComparisonOperator)(-1), 3d), DiagnosticCodes.InvalidOperator },
        { Condition.Eq("amount", FieldValue.Null), DiagnosticCodes.MissingOperand },
        { Condition.Eq("", 3d), DiagnosticCodes.MissingFieldName },
        { Condition.In("currency"), DiagnosticCodes.EmptyInList },
        { Condition.In("currency", "EUR", 3d), DiagnosticCodes.TypeMismatch },
        { Condition.Any(Condition.Eq("a", 1d), null!), DiagnosticCodes.MissingCondition },
        { new DateCondition("paidAt", ComparisonOperator.Contains, TimeSpan.Zero, DatePart.Date), DiagnosticCodes.InvalidOperator },
    };

    [Theory]
    [MemberData(nameof(InvalidEventConditions))]
    public void Event_property_conditions_are_checked_structurally(Condition condition, string code)
    {
        var diagnostic = Only(ValidateEventCondition(condition), code);

        Assert.StartsWith("exitRules.goals[0].propertyCondition", diagnostic.Path, StringComparison.Ordinal);
    }

    [Fact]
    public void An_event_property_compared_with_a_string_list_is_refused_since_it_could_never_match()
    {
        // A property is compared with one value: a list property equals a string it holds, but nothing equals a list.
        var tags = new Dictionary<string, FieldValue> { ["tags"] = FieldValue.FromStringList(["x"]) };
        Assert.False(ReferenceConditionEvaluator.Evaluate(Condition.Eq("tags", FieldValue.FromStringList(["x"])), tags, ValidationTestData.Start, TimeZoneInfo.Utc));
        Assert.True(ReferenceConditionEvaluator.Evaluate(Condition.Eq("tags", "x"), tags, ValidationTestData.Start, TimeZoneInfo.Utc));

        var eq = Only(ValidateEventCondition(Condition.Eq("tags", FieldValue.FromStringList(["x"]))), DiagnosticCodes.InvalidOperator);
        Assert.Equal("exitRules.goals[0].propertyCondition.operator", eq.Path);
        Only(ValidateEventCondition(Condition.Neq("tags", FieldValue.FromStringList(["x"]))), DiagnosticCodes.InvalidOperator);

        var entry = Validate(ValidJourney() with { Entry = new EventEntry("cart_abandoned", Condition.In("tags", "a", FieldValue.FromStringList(["x"]))) });
        var inList = Only(entry, DiagnosticCodes.TypeMismatch);
        Assert.Equal("entry.propertyCondition.values[1]", inList.Path);
        Assert.Contains("StringList", inList.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Entry_event_and_wait_property_conditions_are_checked_too()
    {
        var entry = Validate(ValidJourney() with { Entry = new EventEntry("cart_abandoned", Condition.Lt("flag", true)) });
        Assert.Equal("entry.propertyCondition.operator", Only(entry, DiagnosticCodes.InvalidOperator).Path);

        var wait = Node<WaitForEventNode>("wait-click") with { PropertyCondition = Condition.In("url") };
        var diagnostic = OnlyFor(wait, DiagnosticCodes.EmptyInList);
        Assert.Equal("wait-click", diagnostic.NodeId);
        Assert.Equal("nodes[wait-click].propertyCondition.values", diagnostic.Path);
    }
}
