using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;

namespace Journeys.Tests.Properties;

/// <summary>
/// Journeys built straight from the model's constructors with anything in them: nulls where the annotations say
/// never, unknown and duplicate ids, dangling edges, negative or extreme durations, wrong-typed operands, unknown
/// fields, campaigns and time zones. For "validation never throws, whatever the input".
/// </summary>
public static class BrokenJourneyGenerators
{
    private static readonly string?[] Ids = ["a", "b", "c", "send-1", "", " ", null, "bad id!", new string('x', 200)];
    private static readonly string?[] Names = ["vip", "age", "email", "birthDate", "tags", "unknown", "", null];
    private static readonly TimeSpan[] Durations =
        [TimeSpan.Zero, TimeSpan.FromMinutes(-5), TimeSpan.FromHours(1), TimeSpan.MinValue, TimeSpan.MaxValue, TimeSpan.FromTicks(1)];

    public static Arbitrary<BrokenCase> Cases() =>
        (from journey in Journey()
         from schema in Gen.Elements(BuilderProgram.Schema, CustomerFieldSchema.Empty, null!)
         from campaigns in Gen.Elements(
             CampaignCatalog.Create(new Campaign("c", Channel.Push, "Hi {{name}}"), new Campaign("send-1", Channel.Email, "{{a}}{{b}}")),
             CampaignCatalog.Empty,
             null!)
         select new BrokenCase(journey, schema, campaigns)).ToArbitrary();

    private static Gen<string?> Id() => Gen.Elements(Ids);

    private static Gen<FieldValue> Value() => Gen.Elements(
        FieldValue.Null,
        FieldValue.FromString("x"),
        FieldValue.FromNumber(-1.5),
        FieldValue.FromBoolean(true),
        FieldValue.FromDateTime(DateTimeOffset.MaxValue),
        FieldValue.FromStringList([]),
        FieldValue.FromStringList(["a", "b"]));

    private static Gen<Condition?> ConditionGen(int depth)
    {
        var leaf = Gen.OneOf(
            Gen.Constant<Condition?>(null),
            from field in Gen.Elements(Names)
            from op in Gen.Elements(Enum.GetValues<ComparisonOperator>().Append((ComparisonOperator)99).ToArray())
            from value in Value()
            select (Condition?)new FieldCondition(field!, op, value),
            from field in Gen.Elements(Names)
            from values in Value().ArrayOf()
            select (Condition?)new InCondition(field!, values),
            from field in Gen.Elements(Names)
            from op in Gen.Elements(Enum.GetValues<ComparisonOperator>())
            from offset in Gen.Elements(Durations)
            from part in Gen.Elements(Enum.GetValues<DatePart>().Append((DatePart)42).ToArray())
            select (Condition?)new DateCondition(field!, op, offset, part));
        if (depth <= 0)
        {
            return leaf;
        }

        var inner = ConditionGen(depth - 1);
        return Gen.OneOf(
            leaf,
            inner.ArrayOf().Select(c => (Condition?)new AllCondition(c!)),
            inner.ArrayOf().Select(c => (Condition?)new AnyCondition(c!)),
            inner.Select(c => (Condition?)new NotCondition(c!)));
    }

    private static Gen<CampaignReference?> Campaign() =>
        Gen.OneOf(
            Gen.Constant<CampaignReference?>(null),
            from id in Gen.Elements<string?>("c", "send-1", "missing", "", null)
            from bindings in (
                from variable in Gen.Elements<string?>("name", "a", "zzz", null)
                from field in Gen.Elements(Names)
                select new VariableBinding(variable!, field!)).ArrayOf()
            select (CampaignReference?)new CampaignReference(id!, bindings));

    private static Gen<Channel> ChannelGen() => Gen.Elements(Journeys.Model.Channel.Push, Journeys.Model.Channel.Email, default, new Channel("custom"));

    private static Gen<JourneyNode?> Node() => Gen.OneOf(
        Gen.Constant<JourneyNode?>(null),
        from id in Id() from channel in ChannelGen() from campaign in Campaign() from next in Id()
        select (JourneyNode?)new SendNode(id!, channel, campaign!, next),
        from id in Id()
        from branches in Gen.Zip(ConditionGen(2), Id()).Select(t => t.Item1 is null && t.Item2 == "" ? null! : new FilterBranch(t.Item1!, t.Item2)).ArrayOf()
        from otherwise in Id()
        select (JourneyNode?)new FilterNode(id!, branches, otherwise),
        from id in Id() from name in Gen.Elements(Names) from timeout in Gen.Elements(Durations)
        from onEvent in Id() from onTimeout in Id() from correlated in Id() from condition in ConditionGen(1)
        from eventBranches in Gen.Zip(ConditionGen(1), Id()).Select(t => t.Item1 is null && t.Item2 == "" ? null! : new EventBranch(t.Item1!, t.Item2)).ArrayOf()
        select (JourneyNode?)new WaitForEventNode(id!, name!, timeout, onEvent, onTimeout, correlated, condition, eventBranches),
        from id in Id()
        from paths in Gen.Zip(Gen.Elements(0d, -1d, 1d, double.NaN, double.PositiveInfinity, 1e308), Id()).Select(t => new RandomPath(t.Item1, t.Item2)).ArrayOf()
        select (JourneyNode?)new RandomSplitNode(id!, paths),
        from id in Id() from window in Gen.Elements(Durations)
        from reminders in Gen.Zip(Gen.Elements(Durations), Campaign()).Select(t => new RetargetingReminder(t.Item1, Journeys.Model.Channel.Push, t.Item2!)).ArrayOf()
        from converted in Id() from exhausted in Id()
        select (JourneyNode?)new RetargetingNode(id!, "purchase", window, reminders, converted, exhausted),
        from id in Id()
        from delay in Gen.Elements<DelaySpec?>(
            null,
            new DurationDelay(TimeSpan.MinValue),
            new DurationDelay(TimeSpan.FromHours(1)),
            new UntilDateDelay(DateTimeOffset.MinValue),
            new UntilTimeOfDayDelay(TimeOnly.MaxValue),
            new UntilFieldDelay("vip", TimeSpan.MaxValue),
            new UntilFieldDelay(null!, TimeSpan.Zero))
        from next in Id()
        select (JourneyNode?)new DelayNode(id!, delay!, next),
        from id in Id()
        from url in Gen.Elements<string?>("https://ok.example.com/x", "http://insecure", "relative/path", "", null, "https://")
        from fields in Gen.Elements(Names).ArrayOf()
        from timeout in Gen.Elements(Durations) from retries in Gen.Elements(-1, 0, 3, int.MaxValue)
        from success in Id() from failure in Id()
        select (JourneyNode?)new WebhookNode(id!, url!, fields!, timeout, retries, success, failure),
        from id in Id() from field in Gen.Elements(Names) from value in Value() from next in Id()
        select (JourneyNode?)new UpdateCustomerNode(id!, field!, value, next),
        from id in Id() from reason in Gen.Elements<string?>("done", "", null)
        select (JourneyNode?)new ExitNode(id!, reason!));

    private static Gen<JourneyEntry?> Entry() => Gen.OneOf(
        Gen.Constant<JourneyEntry?>(null),
        Gen.Constant<JourneyEntry?>(new AllCustomersEntry()),
        from ids in Gen.Elements<string?>("a", "", null).ArrayOf()
        from additions in Gen.Elements(true, false)
        select (JourneyEntry?)new CustomerListEntry(ids!, additions),
        ConditionGen(2).Select(c => (JourneyEntry?)new FilterEntry(c!)),
        from name in Gen.Elements(Names) from condition in ConditionGen(1)
        select (JourneyEntry?)new EventEntry(name!, condition));

    private static Gen<JourneyDefinition> Journey() =>
        from id in Id()
        from name in Gen.Elements<string?>("Journey", "", null)
        from version in Gen.Elements(-1, 0, 1, int.MaxValue)
        from status in Gen.Elements(Enum.GetValues<JourneyStatus>().Append((JourneyStatus)17).ToArray())
        from entry in Entry()
        from rules in Gen.Elements<EntryRules?>(
            null,
            EntryRules.Default,
            new EntryRules(ReEntryMode.AfterCooldown, null, 0, DateTimeOffset.MaxValue, DateTimeOffset.MinValue),
            new EntryRules((ReEntryMode)9, TimeSpan.MinValue, -5))
        from goals in Gen.Elements<ExitRules?>(null, ExitRules.None, new ExitRules([null!, new GoalEvent(null!), new GoalEvent("purchase", new NotCondition(null!))]))
        from nodes in Node().ArrayOf()
        from start in Id()
        from zone in Gen.Elements<string?>("UTC", "Europe/Madrid", "Nowhere/Land", "", null)
        select new JourneyDefinition(id!, name!, version, status, entry!, rules!, goals!, ImmutableArray.Create(nodes!), start!, zone!);
}

/// <summary>A journey with the schema and catalog it is validated against (any of them possibly null).</summary>
public sealed record BrokenCase(JourneyDefinition Journey, CustomerFieldSchema Schema, CampaignCatalog Campaigns)
{
    public override string ToString() => $"{Journey} nodes=[{string.Join(", ", Journey.Nodes)}]";
}
