using Journeys.Conditions;
using static Journeys.Tests.Conditions.ConditionHarness;

namespace Journeys.Tests.Conditions;

public sealed class FieldConditionTests
{
    private static readonly (string, FieldValue)[] NoFields = [];

    [Fact]
    public void A_null_field_fails_every_comparison_but_neq_and_isnull()
    {
        Assert.False(Evaluate(Condition.Eq("name", "ana"), NoFields));
        Assert.True(Evaluate(Condition.Neq("name", "ana"), NoFields));
        Assert.False(Evaluate(Condition.Lt("name", "zzz"), NoFields));
        Assert.False(Evaluate(Condition.Gte("name", ""), NoFields));
        Assert.False(Evaluate(Condition.Contains("name", ""), NoFields));
        Assert.False(Evaluate(Condition.StartsWith("name", ""), NoFields));
        Assert.False(Evaluate(Condition.In("name", "ana"), NoFields));
        Assert.True(Evaluate(Condition.IsNull("name"), NoFields));
        Assert.False(Evaluate(Condition.IsNotNull("name"), NoFields));

        Assert.False(Evaluate(Condition.Lt("age", 1e300), NoFields));
        Assert.False(Evaluate(Condition.Gt("age", -1e300), NoFields));
        Assert.True(Evaluate(Condition.Neq("age", 3), NoFields));
        Assert.True(Evaluate(Condition.Neq("tags", "x"), NoFields));
        Assert.False(Evaluate(Condition.Contains("tags", "x"), NoFields));
        Assert.False(Evaluate(Condition.Gt("signedUp", DateTimeOffset.MinValue), NoFields));
        Assert.False(Evaluate(Condition.Date("signedUp", ComparisonOperator.Lt, TimeSpan.Zero), NoFields));
        Assert.True(Evaluate(Condition.Date("signedUp", ComparisonOperator.Neq, TimeSpan.Zero, DatePart.Year), NoFields));
        Assert.True(Evaluate(Condition.Date("signedUp", ComparisonOperator.IsNull, TimeSpan.Zero), NoFields));
    }

    [Fact]
    public void Schema_defaults_apply_when_the_customer_has_no_value_or_a_null_one()
    {
        Assert.True(Evaluate(Condition.Eq("plan", "FREE"), NoFields));
        Assert.True(Evaluate(Condition.Eq("plan", "free"), ("plan", FieldValue.Null)));
        Assert.False(Evaluate(Condition.IsNull("plan"), NoFields));
        Assert.True(Evaluate(Condition.Eq("plan", "gold"), ("PLAN", "Gold")));
        Assert.True(Evaluate(Condition.Eq("vip", false), NoFields));
    }

    [Fact]
    public void A_value_of_the_wrong_type_compares_like_null_but_is_not_null()
    {
        (string, FieldValue)[] wrong = [("age", "42")];
        Assert.False(Evaluate(Condition.Eq("age", 42), wrong));
        Assert.True(Evaluate(Condition.Neq("age", 42), wrong));
        Assert.False(Evaluate(Condition.Gte("age", 0), wrong));
        Assert.False(Evaluate(Condition.In("age", 42), wrong));
        Assert.False(Evaluate(Condition.IsNull("age"), wrong));
        Assert.True(Evaluate(Condition.IsNotNull("age"), wrong));
        Assert.False(Evaluate(Condition.Eq("tags", "x"), ("tags", "x")));
        Assert.False(Evaluate(Condition.Anniversary("birthDate"), ("birthDate", "1990-06-15")));
    }

    [Fact]
    public void String_equality_ignores_case_but_order_is_ordinal()
    {
        (string, FieldValue)[] ana = [("name", "Ana María")];
        Assert.True(Evaluate(Condition.Eq("name", "ANA MARÍA"), ana));
        Assert.False(Evaluate(Condition.Neq("name", "ana maría"), ana));
        Assert.True(Evaluate(Condition.Contains("name", "a MAR"), ana));
        Assert.True(Evaluate(Condition.StartsWith("name", "aNa"), ana));
        Assert.False(Evaluate(Condition.StartsWith("name", "María"), ana));
        Assert.True(Evaluate(Condition.In("name", "luis", "ana maría"), ana));

        // Ordinal: 'B' (66) sorts before 'a' (97), and case matters.
        Assert.True(Evaluate(Condition.Lt("name", "B"), ("name", "Apple")));
        Assert.False(Evaluate(Condition.Lt("name", "B"), ("name", "apple")));
        Assert.True(Evaluate(Condition.Gt("name", "B"), ("name", "apple")));
        Assert.True(Evaluate(Condition.Lte("name", "abc"), ("name", "abc")));
        Assert.False(Evaluate(Condition.Lt("name", "abc"), ("name", "abc")));
        Assert.True(Evaluate(Condition.Gte("name", "ab"), ("name", "abc")));
    }

    [Fact]
    public void Numbers_booleans_and_instants_compare_by_value()
    {
        (string, FieldValue)[] c = [("age", 30.5), ("vip", true), ("signedUp", new DateTimeOffset(2025, 1, 1, 10, 0, 0, TimeSpan.FromHours(2)))];
        Assert.True(Evaluate(Condition.Eq("age", 30.5), c));
        Assert.True(Evaluate(Condition.Gt("age", 30), c));
        Assert.True(Evaluate(Condition.Lte("age", 30.5), c));
        Assert.False(Evaluate(Condition.Lt("age", 30.5), c));
        Assert.True(Evaluate(Condition.In("age", 1, 30.5), c));
        Assert.True(Evaluate(Condition.Eq("vip", true), c));
        Assert.True(Evaluate(Condition.Neq("vip", false), c));
        Assert.True(Evaluate(Condition.In("vip", true), c));
        Assert.False(Evaluate(Condition.In("vip", false), c));

        // The same instant written with another offset is equal.
        Assert.True(Evaluate(Condition.Eq("signedUp", new DateTimeOffset(2025, 1, 1, 8, 0, 0, TimeSpan.Zero)), c));
        Assert.True(Evaluate(Condition.Lt("signedUp", new DateTimeOffset(2025, 1, 1, 8, 0, 1, TimeSpan.Zero)), c));
        Assert.True(Evaluate(Condition.In("signedUp", new DateTimeOffset(2025, 1, 1, 3, 0, 0, TimeSpan.FromHours(-5))), c));
    }

    [Fact]
    public void String_lists_match_an_item_ignoring_case()
    {
        (string, FieldValue)[] tagged = [("tags", FieldValue.FromStringList(["Gold", "early-adopter"]))];
        Assert.True(Evaluate(Condition.Eq("tags", "gold"), tagged));
        Assert.True(Evaluate(Condition.Contains("tags", "GOLD"), tagged));
        Assert.False(Evaluate(Condition.Contains("tags", "old"), tagged));
        Assert.False(Evaluate(Condition.Neq("tags", "gold"), tagged));
        Assert.True(Evaluate(Condition.Neq("tags", "silver"), tagged));
        Assert.True(Evaluate(Condition.In("tags", "silver", "EARLY-ADOPTER"), tagged));
        Assert.False(Evaluate(Condition.In("tags", "silver", "bronze"), tagged));

        (string, FieldValue)[] empty = [("tags", FieldValue.FromStringList([]))];
        Assert.False(Evaluate(Condition.IsNull("tags"), empty));
        Assert.True(Evaluate(Condition.IsNotNull("tags"), empty));
        Assert.False(Evaluate(Condition.Eq("tags", ""), empty));
        Assert.True(Evaluate(Condition.Neq("tags", ""), empty));
    }

    [Fact]
    public void All_any_and_not_combine_with_their_empty_identities()
    {
        (string, FieldValue)[] c = [("age", 40), ("plan", "gold")];
        Assert.True(Evaluate(Condition.All(), c));
        Assert.False(Evaluate(Condition.Any(), c));
        Assert.False(Evaluate(Condition.In("plan"), c));
        Assert.True(Evaluate(Condition.Not(Condition.Any()), c));
        Assert.True(Evaluate(Condition.All(Condition.Gt("age", 30), Condition.Eq("plan", "GOLD")), c));
        Assert.False(Evaluate(Condition.All(Condition.Gt("age", 30), Condition.Eq("plan", "free")), c));
        Assert.True(Evaluate(Condition.Any(Condition.Lt("age", 30), Condition.Eq("plan", "GOLD")), c));
        Assert.True(Evaluate(Condition.Not(Condition.Not(Condition.Gt("age", 30))), c));
        Assert.False(Evaluate(Condition.Not(Condition.Gt("age", 30)), c));
    }

    [Fact]
    public void Event_properties_are_evaluated_without_a_schema()
    {
        var properties = new Dictionary<string, FieldValue>(StringComparer.Ordinal)
        {
            ["url"] = "https://shop.example/Cart?id=7",
            ["amount"] = 120.0,
        };
        bool Eval(Condition c) => ReferenceConditionEvaluator.Evaluate(c, properties, Noon, TimeZoneInfo.Utc);
        Assert.True(Eval(Condition.Contains("url", "/cart")));
        Assert.True(Eval(Condition.All(Condition.Gte("amount", 100), Condition.IsNull("coupon"))));
        Assert.False(Eval(Condition.Eq("amount", "120")));
        Assert.True(Eval(Condition.Neq("amount", "120")));
        Assert.False(Eval(Condition.Gt("url", 3)));
    }
}
