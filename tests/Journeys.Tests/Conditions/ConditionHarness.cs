using Journeys.Conditions;

namespace Journeys.Tests.Conditions;

/// <summary>Evaluates a condition with both evaluators and insists that they agree.</summary>
internal static class ConditionHarness
{
    public static readonly DateTimeOffset Noon = new(2025, 6, 15, 12, 0, 0, TimeSpan.Zero);

    public static CustomerFieldSchema Schema { get; } = CustomerFieldSchema.Create(
        new FieldDefinition("name", FieldType.String),
        new FieldDefinition("plan", FieldType.String, "free"),
        new FieldDefinition("age", FieldType.Number),
        new FieldDefinition("vip", FieldType.Boolean, false),
        new FieldDefinition("signedUp", FieldType.DateTime),
        new FieldDefinition("birthDate", FieldType.DateTime),
        new FieldDefinition("tags", FieldType.StringList));

    public static TimeZoneInfo Zone(string id) => TimeZoneInfo.FindSystemTimeZoneById(id);

    public static Customer Customer(params (string Name, FieldValue Value)[] fields) =>
        new("c1", fields.Select(f => KeyValuePair.Create(f.Name, f.Value)));

    public static bool Evaluate(Condition condition, Customer customer, DateTimeOffset? now = null, TimeZoneInfo? zone = null, CustomerFieldSchema? schema = null)
    {
        schema ??= Schema;
        var at = now ?? Noon;
        var tz = zone ?? TimeZoneInfo.Utc;
        var reference = ReferenceConditionEvaluator.Evaluate(condition, customer, schema, at, tz);
        var compiled = ConditionCompiler.Compile(condition, schema).Evaluate(CustomerSlots.ToArray(customer, schema), new EvaluationContext(at, tz));
        Assert.True(reference == compiled, $"reference {reference} but compiled {compiled} for {condition} at {at:O} in {tz.Id}");
        return compiled;
    }

    public static bool Evaluate(Condition condition, params (string Name, FieldValue Value)[] fields) => Evaluate(condition, Customer(fields));
}
