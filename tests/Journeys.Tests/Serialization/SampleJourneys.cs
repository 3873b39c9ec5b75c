namespace Journeys.Tests.Serialization;

/// <summary>Journeys that use every node, entry, delay and condition kind and every field value type.</summary>
internal static class SampleJourneys
{
    public static readonly DateTimeOffset Instant = new(2026, 3, 29, 1, 30, 0, TimeSpan.FromHours(2));

    public static EquatableArray<JourneyEntry> AllEntries =>
    [
        new AllCustomersEntry(),
        new CustomerListEntry(["ana@example.com", "bo@example.com"], AcceptsAdditions: false),
        new CustomerListEntry([]),
        new FilterEntry(Condition.Eq("country", "ES")),
        new EventEntry("signed_up"),
        new EventEntry("cart_abandoned", Condition.Gt("total", 20)),
    ];

    public static Condition EveryCondition => Condition.All(
        Condition.Eq("country", "ES"),
        Condition.Neq("score", 3.25),
        Condition.Lt("age", 30),
        Condition.Gt("visits", -2),
        Condition.Lte("balance", 1e-7),
        Condition.Gte("limit", 12345678901234.5),
        Condition.Eq("lastSeen", FieldValue.FromDateTime(Instant)),
        Condition.Eq("tags", FieldValue.FromStringList(["vip", "early", ""])),
        Condition.Eq("empty", FieldValue.FromStringList([])),
        Condition.Eq("looksLikeADate", "2026-01-01T00:00:00Z"),
        Condition.IsNull("phone"),
        Condition.IsNotNull("email"),
        Condition.Contains("url", "promo"),
        Condition.StartsWith("email", "test+"),
        Condition.Any(Condition.Eq("vip", true), Condition.Eq("optedOut", false), Condition.Any()),
        Condition.Not(Condition.In("plan", "free", 2, true, FieldValue.Null, Instant, FieldValue.FromStringList(["a"]))),
        Condition.Date("signedUpAt", ComparisonOperator.Lt, TimeSpan.FromDays(-30)),
        Condition.Anniversary("birthDate", 7),
        Condition.Date("renewal", ComparisonOperator.Gte, TimeSpan.Zero, DatePart.Date),
        Condition.Date("renewal", ComparisonOperator.Eq, TimeSpan.FromHours(-1.5), DatePart.Month),
        Condition.Date("renewal", ComparisonOperator.Neq, TimeSpan.FromTicks(1), DatePart.Year),
        Condition.Date("renewal", ComparisonOperator.IsNull, TimeSpan.Zero, DatePart.Instant),
        Condition.All());

    public static JourneyDefinition Everything() => new(
        Id: "cart-recovery",
        Name: "Cart recovery — “ñ” <b>&</b>",
        Version: 3,
        Status: JourneyStatus.Validated,
        Entry: new EventEntry("cart_abandoned", Condition.Gt("total", 20)),
        EntryRules: new EntryRules(
            ReEntryMode.AfterCooldown,
            TimeSpan.FromDays(7),
            1000,
            new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2026, 12, 31, 23, 59, 59, 123, TimeSpan.FromHours(-5))),
        ExitRules: new ExitRules([new GoalEvent("purchase"), new GoalEvent("subscribe", Condition.Eq("plan", "pro"))]),
        Nodes:
        [
            new SendNode(
                "start",
                Channel.Email,
                new CampaignReference("welcome", [new VariableBinding("name", "firstName", "there"), new VariableBinding("city", "city")]),
                "filter"),
            new FilterNode("filter", [new FilterBranch(EveryCondition, "wait"), new FilterBranch(Condition.IsNull("email"), null)], "split"),
            new WaitForEventNode("wait", "click", TimeSpan.FromHours(48), "update", "split", "start", Condition.Contains("url", "promo")),
            new WaitForEventNode("wait2", "open", TimeSpan.FromSeconds(0.5), null, null),
            new RandomSplitNode("split", [new RandomPath(0.5, "retarget"), new RandomPath(0.25, "delay1"), new RandomPath(0.25, null)]),
            new RetargetingNode(
                "retarget",
                "purchase",
                TimeSpan.FromDays(3),
                [
                    new RetargetingReminder(TimeSpan.FromHours(1), Channel.Push, new CampaignReference("reminder-1", [])),
                    new RetargetingReminder(TimeSpan.FromHours(24), new Channel("my-sms.gateway_2"), new CampaignReference("reminder-2", [new VariableBinding("code", "coupon")])),
                ],
                "exit",
                "delay1"),
            new RetargetingNode("retarget2", "purchase", TimeSpan.FromDays(1), [], null, null),
            new DelayNode("delay1", new DurationDelay(TimeSpan.FromMinutes(90)), "delay2"),
            new DelayNode("delay2", new UntilDateDelay(Instant), "delay3"),
            new DelayNode("delay3", new UntilTimeOfDayDelay(new TimeOnly(9, 0)), "delay4"),
            new DelayNode("delay3b", new UntilTimeOfDayDelay(new TimeOnly(18, 30, 15, 250)), null),
            new DelayNode("delay4", new UntilFieldDelay("renewalDate", TimeSpan.FromDays(-3)), "hook"),
            new WebhookNode("hook", "https://example.com/hook?a=1&b=2", ["email", "plan"], TimeSpan.FromSeconds(10), 3, "update", "exit"),
            new WebhookNode("hook2", "https://example.com/other", [], TimeSpan.FromSeconds(1), 0, null, null),
            new UpdateCustomerNode("update", "lastSeen", FieldValue.FromDateTime(Instant), "update2"),
            new UpdateCustomerNode("update2", "tags", FieldValue.FromStringList(["a", "b"]), "update3"),
            new UpdateCustomerNode("update3", "nickname", FieldValue.Null, "update4"),
            new UpdateCustomerNode("update4", "score", 0.1, "update5"),
            new UpdateCustomerNode("update5", "vip", true, "update6"),
            new UpdateCustomerNode("update6", "nickname", "Ana", "exit"),
            new ExitNode("exit", "done"),
        ],
        StartNodeId: "start",
        TimeZoneId: "Europe/Madrid");
}
