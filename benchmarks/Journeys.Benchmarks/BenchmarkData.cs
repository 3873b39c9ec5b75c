using System.Globalization;
using Journeys.Building;
using Journeys.Model;

namespace Journeys.Benchmarks;

/// <summary>
/// The schema, customers, campaigns and journeys the benchmarks share: a 20-field customer (8 strings, 5 numbers,
/// 3 booleans, 4 dates) and the journeys filter → split → exit (node evaluation) and filter → random split → send →
/// update customer → send (engine throughput).
/// </summary>
internal static class BenchmarkData
{
    /// <summary>The fixed "now" of the node benchmarks: 15 March 2025, 10:00 UTC (11:00 in Madrid).</summary>
    public static readonly DateTimeOffset Now = new(2025, 3, 15, 10, 0, 0, TimeSpan.Zero);

    /// <summary>Node steps per customer in <see cref="ThroughputJourney"/>: filter, split, send, update, send.</summary>
    public const int StepsPerCustomer = 5;

    public static CustomerFieldSchema Schema { get; } = CustomerFieldSchema.Create(
        new FieldDefinition("firstName", FieldType.String),
        new FieldDefinition("lastName", FieldType.String),
        new FieldDefinition("email", FieldType.String),
        new FieldDefinition("city", FieldType.String),
        new FieldDefinition("country", FieldType.String, "ES"),
        new FieldDefinition("plan", FieldType.String, "free"),
        new FieldDefinition("language", FieldType.String, "es"),
        new FieldDefinition("segment", FieldType.String),
        new FieldDefinition("age", FieldType.Number),
        new FieldDefinition("orders", FieldType.Number, 0d),
        new FieldDefinition("totalSpent", FieldType.Number, 0d),
        new FieldDefinition("points", FieldType.Number, 0d),
        new FieldDefinition("visits", FieldType.Number, 0d),
        new FieldDefinition("vip", FieldType.Boolean, false),
        new FieldDefinition("newsletter", FieldType.Boolean, false),
        new FieldDefinition("active", FieldType.Boolean, true),
        new FieldDefinition("birthDate", FieldType.DateTime),
        new FieldDefinition("signedUpAt", FieldType.DateTime),
        new FieldDefinition("lastOrderAt", FieldType.DateTime),
        new FieldDefinition("lastLoginAt", FieldType.DateTime));

    public static CampaignCatalog Campaigns { get; } = CampaignCatalog.Create(
        new Campaign("welcome", Channel.Email, "Hi {{name}}, your {{plan}} plan has {{points}} points."),
        new Campaign("follow-up", Channel.Push, "{{name}}, thanks for being with us!"));

    public static string CustomerId(int i) => string.Create(CultureInfo.InvariantCulture, $"customer-{i:D7}@example.com");

    /// <summary>
    /// The number <paramref name="i"/> of <see cref="CustomerId"/> back from the id, without allocating (the harness's dense
    /// customer index: preallocated arrays instead of maps keyed by id); throws for an id of another form.
    /// </summary>
    public static int CustomerIndex(string customerId)
    {
        const string Prefix = "customer-";
        const string Suffix = "@example.com";
        var id = customerId.AsSpan();
        if (id.Length > Prefix.Length + Suffix.Length && id.StartsWith(Prefix, StringComparison.Ordinal) && id.EndsWith(Suffix, StringComparison.Ordinal)
            && int.TryParse(id[Prefix.Length..^Suffix.Length], NumberStyles.None, CultureInfo.InvariantCulture, out var i))
        {
            return i;
        }

        throw new ArgumentException($"Not a benchmark customer id (customer-NNNNNNN@example.com): '{customerId}'.", nameof(customerId));
    }

    /// <summary>A customer with all 20 fields set; customer 0 is born on 15 March (a birthday on <see cref="Now"/>).</summary>
    public static Customer CreateCustomer(int i) => new(
        CustomerId(i),
        new Dictionary<string, FieldValue>
        {
            ["firstName"] = i == 0 ? "Ana" : "Name" + (i % 1000).ToString(CultureInfo.InvariantCulture),
            ["lastName"] = "García",
            ["email"] = CustomerId(i),
            ["city"] = "Madrid",
            ["country"] = "ES",
            ["plan"] = (i % 3) switch { 0 => "gold", 1 => "silver", _ => "bronze" },
            ["language"] = "es",
            ["segment"] = "returning-buyers",
            ["age"] = 34d + (i % 20),
            ["orders"] = 12d,
            ["totalSpent"] = 1234.5,
            ["points"] = 420d + (i % 100),
            ["visits"] = 57d,
            ["vip"] = true,
            ["newsletter"] = true,
            ["active"] = true,
            ["birthDate"] = new DateTimeOffset(1990, 3, 15 - (i % 10), 0, 0, 0, TimeSpan.Zero),
            ["signedUpAt"] = new DateTimeOffset(2021, 6, 1, 12, 0, 0, TimeSpan.Zero),
            ["lastOrderAt"] = new DateTimeOffset(2025, 3, 1, 18, 30, 0, TimeSpan.Zero),
            ["lastLoginAt"] = new DateTimeOffset(2025, 3, 14, 8, 0, 0, TimeSpan.Zero),
        },
        timeZoneId: null);

    /// <summary>One comparison that holds for the sample customers.</summary>
    public static Condition Filter1 { get; } = Condition.Eq("country", "es");

    /// <summary>Three comparisons (string, number, boolean), all true, so none short-circuits.</summary>
    public static Condition Filter3 { get; } = Condition.All(
        Condition.Eq("country", "ES"),
        Condition.Gt("age", 30d),
        Condition.Eq("vip", true));

    /// <summary>Ten comparisons over strings, numbers, booleans and dates, all true, so every one is evaluated.</summary>
    public static Condition Filter10 { get; } = Condition.All(
        Condition.Eq("country", "ES"),
        Condition.Gt("age", 30d),
        Condition.Eq("vip", true),
        Condition.StartsWith("email", "customer-"),
        Condition.Neq("plan", "platinum"),
        Condition.Gte("totalSpent", 100d),
        Condition.Lt("visits", 1000d),
        Condition.Eq("newsletter", true),
        Condition.Date("lastOrderAt", ComparisonOperator.Gt, TimeSpan.FromDays(-30)),
        Condition.In("language", "es", "ca", "gl", "eu"));

    /// <summary>filter (3 comparisons) → 50/50 random split → exit, for the next-node benchmarks.</summary>
    public static JourneyDefinition DecisionJourney() =>
        JourneyBuilder.Create("decision", "Filter, split, exit")
            .WithTimeZone("Europe/Madrid")
            .EnterFromList([CustomerId(0)])
            .Steps(p => p
                .Filter(f => f.When(Filter3).Otherwise(o => o.Exit("not-matched", id: "not-matched")), id: "filter")
                .RandomSplit(s => s.Path(50).Path(50), id: "split")
                .Exit("done", id: "exit"))
            .Build();

    /// <summary>
    /// filter → random split → send → update customer → send: five node steps per customer, no waits; with
    /// <paramref name="delayAfterWelcome"/>, a delay node between the first send and the update (six node steps). With
    /// <paramref name="reEnterAfterExit"/>, a customer may enter again once the previous enrollment ended.
    /// </summary>
    public static JourneyDefinition ThroughputJourney(IEnumerable<string> customerIds, TimeSpan? delayAfterWelcome = null, bool reEnterAfterExit = false)
    {
        var builder = JourneyBuilder.Create("throughput", "Five steps")
            .WithTimeZone("Europe/Madrid")
            .EnterFromList(customerIds);
        if (reEnterAfterExit)
        {
            builder = builder.ReEnterAfterExit();
        }

        return builder
            .Steps(p =>
            {
                var welcomed = p
                    .Filter(f => f.When(Filter3).Otherwise(_ => { }), id: "filter")
                    .RandomSplit(s => s.Path(50).Path(50), id: "split")
                    .Send(Channel.Email, "welcome", v => v.Bind("name", "firstName", "friend").Bind("plan", "plan").Bind("points", "points"), id: "send-welcome");
                if (delayAfterWelcome is { } delay)
                {
                    welcomed = welcomed.Delay(delay, id: "delay");
                }

                welcomed
                    .UpdateCustomer("segment", "welcomed", id: "update-segment")
                    .Send(Channel.Push, "follow-up", v => v.Bind("name", "firstName", "friend"), id: "send-follow-up");
            })
            .Build();
    }
}
