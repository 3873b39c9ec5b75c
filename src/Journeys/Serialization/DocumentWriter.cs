using Journeys.Model;
using Journeys.Serialization.Documents;

namespace Journeys.Serialization;

/// <summary>Turns model objects into documents. Optional values that are null and optional lists that are empty are left out.</summary>
internal static class DocumentWriter
{
    public static JourneyDocument Write(JourneyDefinition journey)
    {
        ArgumentNullException.ThrowIfNull(journey);
        return new JourneyDocument
        {
            SchemaVersion = JourneyJson.SchemaVersion,
            Id = journey.Id,
            Name = journey.Name,
            Version = journey.Version,
            Status = journey.Status,
            TimeZone = journey.TimeZoneId,
            Entry = Write(journey.Entry ?? throw new ArgumentException("The journey has no entry.", nameof(journey))),
            EntryRules = Write(journey.EntryRules ?? EntryRules.Default),
            ExitRules = Write(journey.ExitRules ?? ExitRules.None),
            StartNodeId = journey.StartNodeId,
            Nodes = [.. journey.Nodes.Select(static n => (NodeDocument?)Write(n))],
        };
    }

    public static NodeDocument Write(JourneyNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        NodeDocument d = node switch
        {
            SendNode x => new SendNodeDocument { Channel = x.Channel, CampaignId = x.Campaign.CampaignId, Variables = Write(x.Campaign.Variables), Next = x.Next },
            FilterNode x => new FilterNodeDocument
            {
                Branches = [.. x.Branches.Select(static b => (FilterBranchDocument?)new FilterBranchDocument { Condition = Write(b.Condition), Next = b.Next })],
                Else = x.Else,
            },
            WaitForEventNode x => new WaitForEventNodeDocument
            {
                Event = x.EventName,
                Timeout = x.Timeout,
                CorrelatedNodeId = x.CorrelatedNodeId,
                Condition = WriteOptional(x.PropertyCondition),
                Branches = x.Branches.IsEmpty
                    ? null
                    : [.. x.Branches.Select(static b => (EventBranchDocument?)new EventBranchDocument { Condition = Write(b.Condition), Target = b.Target })],
                OnEvent = x.OnEvent,
                OnTimeout = x.OnTimeout,
            },
            RandomSplitNode x => new RandomSplitNodeDocument
            {
                Paths = [.. x.Paths.Select(static p => (RandomPathDocument?)new RandomPathDocument { Weight = p.Weight, Next = p.Next })],
            },
            RetargetingNode x => new RetargetingNodeDocument
            {
                ConversionEvent = x.ConversionEvent,
                Window = x.Window,
                Reminders = x.Reminders.IsEmpty ? null : [.. x.Reminders.Select(static r => (RetargetingReminderDocument?)new RetargetingReminderDocument
                {
                    After = r.After,
                    Channel = r.Channel,
                    CampaignId = r.Campaign.CampaignId,
                    Variables = Write(r.Campaign.Variables),
                })],
                OnConverted = x.OnConverted,
                OnExhausted = x.OnExhausted,
            },
            DelayNode x => new DelayNodeDocument { Delay = Write(x.Delay), Next = x.Next },
            WebhookNode x => new WebhookNodeDocument
            {
                Url = x.Url,
                Fields = x.Fields.IsEmpty ? null : [.. x.Fields],
                Timeout = x.Timeout,
                MaxRetries = x.MaxRetries,
                OnSuccess = x.OnSuccess,
                OnFailure = x.OnFailure,
            },
            UpdateCustomerNode x => new UpdateCustomerNodeDocument { Field = x.Field, Value = x.Value, Next = x.Next },
            ExitNode x => new ExitNodeDocument { Reason = x.Reason },
            _ => throw new ArgumentException($"Node kind {node.GetType().Name} has no JSON form.", nameof(node)),
        };
        d.Id = node.Id;
        return d;
    }

    public static ConditionDocument Write(Condition condition)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return condition switch
        {
            FieldCondition x => new FieldConditionDocument { Field = x.Field, Op = x.Operator, Value = x.Value },
            InCondition x => new InConditionDocument { Field = x.Field, Values = [.. x.Values] },
            DateCondition x => new DateConditionDocument { Field = x.Field, Op = x.Operator, Offset = x.Offset, Part = x.Part },
            AllCondition x => new AllConditionDocument { Conditions = WriteConditions(x.Conditions) },
            AnyCondition x => new AnyConditionDocument { Conditions = WriteConditions(x.Conditions) },
            NotCondition x => new NotConditionDocument { Condition = Write(x.Condition) },
            _ => throw new ArgumentException($"Condition kind {condition.GetType().Name} has no JSON form.", nameof(condition)),
        };
    }

    public static SchemaDocument Write(CustomerFieldSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return new SchemaDocument
        {
            SchemaVersion = JourneyJson.SchemaVersion,
            Fields = [.. schema.Fields.Select(static f => (FieldDefinitionDocument?)new FieldDefinitionDocument { Name = f.Name, Type = f.Type, Default = f.Default })],
        };
    }

    public static CampaignDocument Write(Campaign campaign)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        return new CampaignDocument { Id = campaign.Id, Channel = campaign.Channel, Template = campaign.Template };
    }

    public static CampaignListDocument Write(IEnumerable<Campaign> campaigns)
    {
        ArgumentNullException.ThrowIfNull(campaigns);
        return new CampaignListDocument
        {
            SchemaVersion = JourneyJson.SchemaVersion,
            Campaigns = [.. campaigns.Select(static c => (CampaignDocument?)Write(c))],
        };
    }

    private static EntryDocument Write(JourneyEntry entry) => entry switch
    {
        AllCustomersEntry => new AllCustomersEntryDocument(),
        CustomerListEntry x => new CustomerListEntryDocument { CustomerIds = x.CustomerIds.IsEmpty ? null : [.. x.CustomerIds], AcceptsAdditions = x.AcceptsAdditions },
        FilterEntry x => new FilterEntryDocument { Condition = Write(x.Condition) },
        EventEntry x => new EventEntryDocument { Event = x.EventName, Condition = WriteOptional(x.PropertyCondition) },
        _ => throw new ArgumentException($"Entry kind {entry.GetType().Name} has no JSON form.", nameof(entry)),
    };

    private static EntryRulesDocument Write(EntryRules rules) => new()
    {
        ReEntry = rules.ReEntry,
        Cooldown = rules.Cooldown,
        EntryCap = rules.EntryCap,
        WindowStart = rules.WindowStart,
        WindowEnd = rules.WindowEnd,
    };

    private static ExitRulesDocument Write(ExitRules rules) => new()
    {
        Goals = rules.Goals.IsEmpty ? null : [.. rules.Goals.Select(static g => (GoalDocument?)new GoalDocument { Event = g.EventName, Condition = WriteOptional(g.PropertyCondition) })],
    };

    private static DelayDocument Write(DelaySpec delay) => delay switch
    {
        DurationDelay x => new DurationDelayDocument { Duration = x.Duration },
        UntilDateDelay x => new UntilDateDelayDocument { Until = x.Until },
        UntilTimeOfDayDelay x => new UntilTimeOfDayDelayDocument { TimeOfDay = x.TimeOfDay },
        UntilFieldDelay x => new UntilFieldDelayDocument { Field = x.Field, Offset = x.Offset },
        _ => throw new ArgumentException($"Delay kind {delay?.GetType().Name ?? "null"} has no JSON form.", nameof(delay)),
    };

    private static List<VariableBindingDocument?>? Write(EquatableArray<VariableBinding> variables) =>
        variables.IsEmpty ? null : [.. variables.Select(static v => (VariableBindingDocument?)new VariableBindingDocument { Variable = v.Variable, Field = v.Field, Default = v.Default })];

    private static List<ConditionDocument?> WriteConditions(EquatableArray<Condition> conditions) =>
        [.. conditions.Select(static c => (ConditionDocument?)Write(c))];

    private static ConditionDocument? WriteOptional(Condition? condition) => condition is null ? null : Write(condition);
}
