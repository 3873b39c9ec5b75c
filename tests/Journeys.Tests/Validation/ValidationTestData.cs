using Journeys.Validation;

namespace Journeys.Tests.Validation;

/// <summary>A journey that uses every node kind and validates clean, and helpers to break it one way at a time.</summary>
internal static class ValidationTestData
{
    public static CustomerFieldSchema Schema { get; } = CustomerFieldSchema.Create(
        new FieldDefinition("firstName", FieldType.String),
        new FieldDefinition("email", FieldType.String),
        new FieldDefinition("vip", FieldType.Boolean, false),
        new FieldDefinition("age", FieldType.Number),
        new FieldDefinition("birthDate", FieldType.DateTime),
        new FieldDefinition("renewalDate", FieldType.DateTime),
        new FieldDefinition("tags", FieldType.StringList));

    public static CampaignCatalog Campaigns { get; } = CampaignCatalog.Create(
        new Campaign("welcome", Channel.Push, "Hi {{name}}!"),
        new Campaign("reminder", Channel.Email, "{{name}}, your cart ({{email}}) is waiting."),
        new Campaign("plain-sms", Channel.Sms, "Your cart is waiting."));

    public static readonly DateTimeOffset Start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static JourneyDefinition ValidJourney() => new(
        "cart",
        "Abandoned cart",
        1,
        JourneyStatus.Draft,
        new FilterEntry(Condition.All(
            Condition.IsNotNull("email"),
            Condition.Any(Condition.Gte("age", 18d), Condition.Contains("tags", "adult")),
            Condition.Not(Condition.Eq("vip", false)),
            Condition.In("firstName", "Ana", "Bob"),
            Condition.Date("birthDate", ComparisonOperator.Lt, TimeSpan.FromDays(-30)),
            Condition.Anniversary("birthDate"),
            Condition.StartsWith("email", "a"))),
        new EntryRules(ReEntryMode.AfterCooldown, TimeSpan.FromDays(7), 1000, Start, Start.AddDays(30)),
        new ExitRules([new GoalEvent("purchase", Condition.Gt("amount", 10d))]),
        [
            new FilterNode("check", [new FilterBranch(Condition.Eq("vip", true), "send-vip")], "wait-1h"),
            new SendNode("send-vip", Channel.Push, new CampaignReference("welcome", [new VariableBinding("name", "firstName", "friend")]), "wait-click"),
            new WaitForEventNode("wait-click", "click", TimeSpan.FromDays(1), "hook", "split", "send-vip", Condition.Contains("url", "sale")),
            new RandomSplitNode("split", [new RandomPath(50, "cart"), new RandomPath(50, null)]),
            new RetargetingNode(
                "cart",
                "purchase",
                TimeSpan.FromDays(3),
                [
                    new RetargetingReminder(TimeSpan.FromDays(1), Channel.Email, new CampaignReference("reminder", [new VariableBinding("name", "firstName"), new VariableBinding("email", "email")])),
                    new RetargetingReminder(TimeSpan.FromDays(2), Channel.Sms, new CampaignReference("plain-sms", [])),
                ],
                "update",
                "bye"),
            new DelayNode("wait-1h", new DurationDelay(TimeSpan.FromHours(1)), "until-renewal"),
            new DelayNode("until-renewal", new UntilFieldDelay("renewalDate", TimeSpan.FromDays(-3)), "at-nine"),
            new DelayNode("at-nine", new UntilTimeOfDayDelay(new TimeOnly(9, 0)), "hook"),
            new WebhookNode("hook", "https://crm.example.com/hooks/cart", ["email", "firstName"], TimeSpan.FromSeconds(10), 3, "update", "bye"),
            new UpdateCustomerNode("update", "vip", true, "bye"),
            new ExitNode("bye", "done"),
        ],
        "check",
        "Europe/Madrid");

    public static ValidationResult Validate(JourneyDefinition journey) => JourneyValidator.Validate(journey, Schema, Campaigns);

    /// <summary>The valid journey with one node replaced (matched by its id).</summary>
    public static JourneyDefinition With(JourneyNode node)
    {
        var journey = ValidJourney();
        return journey with { Nodes = journey.Nodes.Select(n => n.Id == node.Id ? node : n).ToEquatableArray() };
    }

    public static T Node<T>(string id)
        where T : JourneyNode => (T)ValidJourney().FindNode(id)!;

    /// <summary>Asserts exactly one diagnostic with the code, and returns it.</summary>
    public static JourneyDiagnostic Single(ValidationResult result, string code) =>
        Assert.Single(result.Diagnostics, d => d.Code == code);

    /// <summary>Asserts the only diagnostic has this code (so a test also proves nothing else was reported).</summary>
    public static JourneyDiagnostic Only(ValidationResult result, string code)
    {
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(code, diagnostic.Code);
        return diagnostic;
    }

    /// <summary>Validates a journey whose only change from the valid one is the node given, expecting one diagnostic.</summary>
    public static JourneyDiagnostic OnlyFor(JourneyNode node, string code) => Only(Validate(With(node)), code);
}
