using System.Collections.Immutable;
using Journeys.Model;
using Journeys.Serialization.Documents;

namespace Journeys.Serialization;

/// <summary>
/// Turns documents into model objects, checking what the serializer cannot (required properties, null items,
/// a missing <c>type</c>, model rules) and naming the JSON path of every problem. Nothing is returned half-built:
/// the first problem throws.
/// </summary>
internal static partial class DocumentReader
{
    public const string NodeTypes = "send, filter, waitForEvent, randomSplit, retargeting, delay, webhook, updateCustomer, exit";
    public const string EntryTypes = "allCustomers, customerList, filter, event";
    public const string DelayTypes = "duration, untilDate, untilTimeOfDay, untilField";
    public const string ConditionTypes = "field, in, date, all, any, not";

    public static JourneyDefinition ReadJourney(JourneyDocument? document)
    {
        const string Path = "$";
        var d = Root(document);
        CheckSchemaVersion(d.SchemaVersion);
        var id = Required(d.Id, Path, "id");
        var name = Required(d.Name, Path, "name");
        var version = Required(d.Version, Path, "version");
        var status = Required(d.Status, Path, "status");
        var entry = ReadEntry(Required(d.Entry, Path, "entry"), "$.entry");
        var entryRules = d.EntryRules is { } rules ? ReadEntryRules(rules) : EntryRules.Default;
        var exitRules = d.ExitRules is { } exit ? ReadExitRules(exit) : ExitRules.None;
        var startNodeId = Required(d.StartNodeId, Path, "startNodeId");
        var nodes = ReadList(Required(d.Nodes, Path, "nodes"), "$.nodes", ReadNode);
        return new JourneyDefinition(id, name, version, status, entry, entryRules, exitRules, nodes, startNodeId, d.TimeZone ?? "UTC");
    }

    public static void CheckSchemaVersion(int? schemaVersion)
    {
        if (schemaVersion is not { } version)
        {
            throw Missing("$", "schemaVersion");
        }

        if (version != JourneyJson.SchemaVersion)
        {
            throw new JourneyJsonException(
                "$.schemaVersion",
                $"schemaVersion {version} is not supported; this version of Journeys reads schemaVersion {JourneyJson.SchemaVersion}.",
                null);
        }
    }

    public static T Root<T>(T? document)
        where T : class =>
        document ?? throw new JourneyJsonException("$", "The document is null; expected an object.", null);

    private static EntryRules ReadEntryRules(EntryRulesDocument d) =>
        new(d.ReEntry ?? ReEntryMode.Never, d.Cooldown, d.EntryCap, d.WindowStart, d.WindowEnd);

    private static ExitRules ReadExitRules(ExitRulesDocument d) =>
        new(ReadOptionalList(d.Goals, "$.exitRules.goals", static (goal, path) =>
            new GoalEvent(Required(goal.Event, path, "event"), ReadOptionalCondition(goal.Condition, path + ".condition"))));

    private static JourneyEntry ReadEntry(EntryDocument d, string path) => d switch
    {
        AllCustomersEntryDocument => new AllCustomersEntry(),
        CustomerListEntryDocument list => new CustomerListEntry(
            ReadOptionalList(list.CustomerIds, path + ".customerIds", static (id, _) => id),
            list.AcceptsAdditions ?? true),
        FilterEntryDocument filter => new FilterEntry(ReadCondition(Required(filter.Condition, path, "condition"), path + ".condition")),
        EventEntryDocument e => new EventEntry(Required(e.Event, path, "event"), ReadOptionalCondition(e.Condition, path + ".condition")),
        _ => throw MissingType(path, EntryTypes),
    };

    private static CampaignReference ReadCampaign(string? campaignId, List<VariableBindingDocument?>? variables, string path) =>
        new(Required(campaignId, path, "campaignId"), ReadOptionalList(variables, path + ".variables", static (v, p) =>
            new VariableBinding(Required(v.Variable, p, "variable"), Required(v.Field, p, "field"), v.Default)));

    private static DelaySpec ReadDelay(DelayDocument d, string path) => d switch
    {
        DurationDelayDocument x => new DurationDelay(Required(x.Duration, path, "duration")),
        UntilDateDelayDocument x => new UntilDateDelay(Required(x.Until, path, "until")),
        UntilTimeOfDayDelayDocument x => new UntilTimeOfDayDelay(Required(x.TimeOfDay, path, "timeOfDay")),
        UntilFieldDelayDocument x => new UntilFieldDelay(Required(x.Field, path, "field"), x.Offset ?? TimeSpan.Zero),
        _ => throw MissingType(path, DelayTypes),
    };

    private static T Required<T>(T? value, string path, string property)
        where T : class =>
        value ?? throw Missing(path, property);

    private static T Required<T>(T? value, string path, string property)
        where T : struct =>
        value ?? throw Missing(path, property);

    private static JourneyJsonException Missing(string path, string property) =>
        new($"{path}.{property}", $"The required property '{property}' is missing or null.", null);

    private static JourneyJsonException MissingType(string path, string allowed) =>
        new($"{path}.type", $"The required property 'type' is missing; expected one of: {allowed}.", null);

    private static EquatableArray<TModel> ReadList<TDocument, TModel>(
        List<TDocument?> items, string path, Func<TDocument, string, TModel> read)
        where TDocument : class
    {
        var result = ImmutableArray.CreateBuilder<TModel>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var itemPath = $"{path}[{i}]";
            var item = items[i] ?? throw new JourneyJsonException(itemPath, "An item cannot be null.", null);
            result.Add(read(item, itemPath));
        }

        return result.MoveToImmutable();
    }

    private static EquatableArray<TModel> ReadOptionalList<TDocument, TModel>(
        List<TDocument?>? items, string path, Func<TDocument, string, TModel> read)
        where TDocument : class =>
        items is null ? EquatableArray<TModel>.Empty : ReadList(items, path, read);
}
