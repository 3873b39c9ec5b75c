namespace Journeys.Model;

public abstract partial record Condition
{
    /// <summary><c>field eq value</c>.</summary>
    /// <param name="field">The field name.</param>
    /// <param name="value">The operand.</param>
    public static FieldCondition Eq(string field, FieldValue value) => new(field, ComparisonOperator.Eq, value);

    /// <summary><c>field neq value</c>.</summary>
    /// <param name="field">The field name.</param>
    /// <param name="value">The operand.</param>
    public static FieldCondition Neq(string field, FieldValue value) => new(field, ComparisonOperator.Neq, value);

    /// <summary><c>field lt value</c>.</summary>
    /// <param name="field">The field name.</param>
    /// <param name="value">The operand.</param>
    public static FieldCondition Lt(string field, FieldValue value) => new(field, ComparisonOperator.Lt, value);

    /// <summary><c>field gt value</c>.</summary>
    /// <param name="field">The field name.</param>
    /// <param name="value">The operand.</param>
    public static FieldCondition Gt(string field, FieldValue value) => new(field, ComparisonOperator.Gt, value);

    /// <summary><c>field lte value</c>.</summary>
    /// <param name="field">The field name.</param>
    /// <param name="value">The operand.</param>
    public static FieldCondition Lte(string field, FieldValue value) => new(field, ComparisonOperator.Lte, value);

    /// <summary><c>field gte value</c>.</summary>
    /// <param name="field">The field name.</param>
    /// <param name="value">The operand.</param>
    public static FieldCondition Gte(string field, FieldValue value) => new(field, ComparisonOperator.Gte, value);

    /// <summary><c>field isnull</c>: the field has no value.</summary>
    /// <param name="field">The field name.</param>
    public static FieldCondition IsNull(string field) => new(field, ComparisonOperator.IsNull, FieldValue.Null);

    /// <summary><c>field isnotnull</c>: the field has a value.</summary>
    /// <param name="field">The field name.</param>
    public static FieldCondition IsNotNull(string field) => new(field, ComparisonOperator.IsNotNull, FieldValue.Null);

    /// <summary><c>field contains value</c>: a string contains the text, or a string list contains the item.</summary>
    /// <param name="field">The field name.</param>
    /// <param name="value">The text or item.</param>
    public static FieldCondition Contains(string field, string value) => new(field, ComparisonOperator.Contains, value);

    /// <summary><c>field startswith value</c>.</summary>
    /// <param name="field">The field name.</param>
    /// <param name="value">The prefix.</param>
    public static FieldCondition StartsWith(string field, string value) => new(field, ComparisonOperator.StartsWith, value);

    /// <summary><c>field in (values)</c>.</summary>
    /// <param name="field">The field name.</param>
    /// <param name="values">The candidate values.</param>
    public static InCondition In(string field, params FieldValue[] values) => new(field, values);

    /// <summary>Compares a date-time field with now plus <paramref name="offset"/> on the given part of the dates.</summary>
    /// <param name="field">The date-time field name.</param>
    /// <param name="comparison">The comparison.</param>
    /// <param name="offset">Added to now before comparing (negative for the past).</param>
    /// <param name="part">Which part of the dates is compared.</param>
    public static DateCondition Date(string field, ComparisonOperator comparison, TimeSpan offset, DatePart part = DatePart.Instant) =>
        new(field, comparison, offset, part);

    /// <summary>The anniversary of a date field is today (plus <paramref name="daysFromToday"/>) in the customer's time zone: a birthday.</summary>
    /// <param name="field">The date-time field name, such as <c>birthDate</c>.</param>
    /// <param name="daysFromToday">0 for today, 7 for a week from today.</param>
    public static DateCondition Anniversary(string field, int daysFromToday = 0) =>
        new(field, ComparisonOperator.Eq, TimeSpan.FromDays(daysFromToday), DatePart.DayAndMonth);

    /// <summary>Every condition holds.</summary>
    /// <param name="conditions">The conditions.</param>
    public static AllCondition All(params Condition[] conditions) => new(conditions);

    /// <summary>At least one condition holds.</summary>
    /// <param name="conditions">The conditions.</param>
    public static AnyCondition Any(params Condition[] conditions) => new(conditions);

    /// <summary>The condition does not hold.</summary>
    /// <param name="condition">The condition.</param>
    public static NotCondition Not(Condition condition) => new(condition);
}
