using System.Collections.Immutable;
using System.Text.Json;
using Journeys.Building;
using Journeys.Model;
using Journeys.Runtime;

namespace Journeys.Serialization.StateDocuments;

/// <summary>Reads a state document into a draft journey; see <see cref="JourneyStateDocument"/>.</summary>
internal static class StateDocumentReader
{
    public const string SmsUrlProperty = "url";

    private static readonly string[] Types =
    [
        "IN_ALL", "IN_LIST", "IN_FILTER", "IN_SEGMENT", "IN_CUSTOM_EVENT", "ACTION_PUSH_SEND", "ACTION_EMAIL_SEND", "ACTION_SMS_SEND",
        "FLOW_PUSH_CLICK", "FLOW_SMS", "FLOW_FILTER", "FLOW_RANDOM",
    ];

    public static JourneyDefinition Read(ReadOnlySpan<byte> utf8Json)
    {
        if (utf8Json.StartsWith("\uFEFF"u8))
        {
            utf8Json = utf8Json[3..];
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json.ToArray(), new JsonDocumentOptions { AllowDuplicateProperties = false, MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            var message = ex.Message;
            var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            throw new JourneyJsonException(ex.Path ?? "$", cut > 0 ? message[..cut] : message, ex.LineNumber + 1, ex);
        }
        catch (InvalidOperationException ex)
        {
            // The duplicate-property check reads every property name; one with an unpaired surrogate escape (such as
            // \uD800 alone) throws this instead of a JsonException, with no position.
            throw new JourneyJsonException("$", "A property name has an unpaired surrogate escape (such as \\uD800 without its pair); it is not valid text.", null, ex);
        }

        using (document)
        {
            return Read(document.RootElement);
        }
    }

    private static JourneyDefinition Read(JsonElement root)
    {
        StateJson.CheckStrings(root, "$");
        StateJson.Object(root, "$", null, "id", "name", "states");
        var journeyId = StateJson.RequiredString(root, "id", "$", null);
        if (!NodeIdRules.IsValid(journeyId))
        {
            throw StateJson.Error("$.id", $"Journey id {IdText.Quote(journeyId)} is invalid: use 1 to {NodeIdRules.MaxLength} letters, digits, '-', '_', '.' or ':'.");
        }

        var name = StateJson.RequiredString(root, "name", "$", null);
        JourneyEntry? entry = null;
        string? start = null;
        var nodes = new List<JourneyNode>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var pushClicks = new List<(int Index, string Path, string CampaignId)>();
        var index = 0;
        foreach (var state in StateJson.Array(root, "states", "$", null))
        {
            var path = $"$.states[{index++}]";
            StateJson.Object(state, path, null, "id", "type", "params");
            var id = StateJson.RequiredString(state, "id", path, null);
            if (!NodeIdRules.IsValid(id))
            {
                throw StateJson.Error($"{path}.id", $"State id {IdText.Quote(id)} is invalid: use 1 to {NodeIdRules.MaxLength} letters, digits, '-', '_', '.' or ':'.");
            }

            if (!ids.Add(id))
            {
                throw StateJson.Error($"{path}.id", $"State id '{id}' is used twice.");
            }

            var type = StateJson.RequiredString(state, "type", path, id);
            var parameters = StateJson.Optional(state, "params") ?? default;
            var p = $"{path}.params";
            if (parameters.ValueKind != JsonValueKind.Object)
            {
                throw StateJson.Error(p, $"Expected the state's params object, found {StateJson.Kind(parameters)}.", id);
            }

            if (type.StartsWith("IN_", StringComparison.Ordinal) && System.Array.IndexOf(Types, type) >= 0)
            {
                if (entry is not null)
                {
                    throw StateJson.Error($"{path}.type", "A journey has one entry state (IN_...); this is a second one.", id);
                }

                (entry, start) = ReadEntry(type, parameters, p, id);
                continue;
            }

            switch (type)
            {
                case "ACTION_PUSH_SEND" or "ACTION_EMAIL_SEND" or "ACTION_SMS_SEND":
                    StateJson.Object(parameters, p, id, "action", "forward");
                    var action = StateJson.Required(parameters, "action", p, id);
                    StateJson.Object(action, $"{p}.action", id, "campaignId");
                    var channel = type switch { "ACTION_PUSH_SEND" => Channel.Push, "ACTION_EMAIL_SEND" => Channel.Email, _ => Channel.Sms };
                    nodes.Add(new SendNode(id, channel, new CampaignReference(StateJson.RequiredString(action, "campaignId", $"{p}.action", id), []), Forward(parameters, p, id)));
                    break;
                case "FLOW_PUSH_CLICK":
                    StateJson.Object(parameters, p, id, "click", "timeout");
                    var click = StateJson.Required(parameters, "click", p, id);
                    StateJson.Object(click, $"{p}.click", id, "campaignId", "forward");
                    var (timeout, onTimeout) = ReadTimeout(parameters, p, id);
                    pushClicks.Add((nodes.Count, $"{p}.click.campaignId", StateJson.RequiredString(click, "campaignId", $"{p}.click", id)));
                    nodes.Add(new WaitForEventNode(id, FeedbackEvents.Clicked, timeout, Forward(click, $"{p}.click", id), onTimeout));
                    break;
                case "FLOW_SMS":
                    nodes.Add(ReadSmsClick(parameters, p, id));
                    break;
                case "FLOW_FILTER":
                    nodes.Add(ReadFilter(parameters, p, id));
                    break;
                case "FLOW_RANDOM":
                    nodes.Add(ReadRandom(parameters, p, id));
                    break;
                default:
                    throw StateJson.Error($"{path}.type", $"Unknown state type '{type}'; expected one of: {string.Join(", ", Types)}.", id);
            }
        }

        if (entry is null)
        {
            throw StateJson.Error("$.states", "The journey has no entry state (IN_ALL, IN_LIST, IN_FILTER, IN_SEGMENT or IN_CUSTOM_EVENT).");
        }

        foreach (var (nodeIndex, path, campaignId) in pushClicks)
        {
            var wait = (WaitForEventNode)nodes[nodeIndex];
            nodes[nodeIndex] = wait with { CorrelatedNodeId = PushSendOf(nodes, wait.Id, campaignId, path) };
        }

        return new JourneyDefinition(
            journeyId,
            name,
            1,
            JourneyStatus.Draft,
            entry,
            EntryRules.Default,
            ExitRules.None,
            [.. nodes],
            start ?? string.Empty);
    }

    private static (JourneyEntry Entry, string? Start) ReadEntry(string type, JsonElement parameters, string p, string id)
    {
        switch (type)
        {
            case "IN_ALL":
                StateJson.Object(parameters, p, id, "forward");
                return (new AllCustomersEntry(), Forward(parameters, p, id));
            case "IN_LIST":
                StateJson.Object(parameters, p, id, "forward");
                return (new CustomerListEntry([]), Forward(parameters, p, id));
            case "IN_CUSTOM_EVENT":
                StateJson.Object(parameters, p, id, "eventName", "forward");
                return (new EventEntry(StateJson.RequiredString(parameters, "eventName", p, id)), Forward(parameters, p, id));
            case "IN_FILTER":
                StateJson.Object(parameters, p, id, "cond", "forward");
                var condition = StateConditions.Read(StateJson.Required(parameters, "cond", p, id), $"{p}.cond", id)
                    ?? throw StateJson.Error($"{p}.cond", "An IN_FILTER condition is empty; use IN_ALL for everyone.", id);
                return (new FilterEntry(condition), Forward(parameters, p, id));
            default:
                StateJson.Object(parameters, p, id, "cond", "forward");
                var cond = StateJson.Required(parameters, "cond", p, id);
                StateJson.Object(cond, $"{p}.cond", id, "segmentIds");
                var segments = new List<FieldValue>();
                var i = 0;
                foreach (var segment in StateJson.Array(cond, "segmentIds", $"{p}.cond", id))
                {
                    segments.Add(segment.ValueKind switch
                    {
                        JsonValueKind.String when !string.IsNullOrWhiteSpace(segment.GetString()) => FieldValue.FromString(segment.GetString()),
                        JsonValueKind.Number => FieldValue.FromString(segment.GetRawText()),
                        _ => throw StateJson.Error($"{p}.cond.segmentIds[{i}]", $"Expected a segment id, found {StateJson.Kind(segment)}.", id),
                    });
                    i++;
                }

                return segments.Count == 0
                    ? throw StateJson.Error($"{p}.cond.segmentIds", "An IN_SEGMENT state names no segment.", id)
                    : (new FilterEntry(new InCondition(JourneyStateDocument.SegmentsField, [.. segments])), Forward(parameters, p, id));
        }
    }

    private static WaitForEventNode ReadSmsClick(JsonElement parameters, string p, string id)
    {
        StateJson.Object(parameters, p, id, "click", "timeout");
        var (timeout, onTimeout) = ReadTimeout(parameters, p, id);
        var links = new List<EventBranch>();
        var i = 0;
        foreach (var click in StateJson.Array(parameters, "click", p, id))
        {
            var cp = $"{p}.click[{i++}]";
            StateJson.Object(click, cp, id, "url", "urlMatchMode", "forward");
            var mode = StateJson.OptionalString(click, "urlMatchMode", cp, id) ?? "CONTAINS";
            if (mode != "CONTAINS")
            {
                throw StateJson.Error($"{cp}.urlMatchMode", $"Unknown urlMatchMode '{mode}'; expected CONTAINS.", id);
            }

            var next = Forward(click, cp, id);
            links.Add(new EventBranch(Condition.Contains(SmsUrlProperty, StateJson.RequiredString(click, "url", cp, id)), next));
        }

        if (links.Count == 0)
        {
            throw StateJson.Error($"{p}.click", "A FLOW_SMS state lists no link.", id);
        }

        var forward = links[0].Target;
        if (links.TrueForAll(link => link.Target == forward))
        {
            // Every link goes to the same state: one click edge, matched by any of the URLs.
            return new WaitForEventNode(
                id, FeedbackEvents.Clicked, timeout, forward, onTimeout, null, links.Count == 1 ? links[0].Condition : new AnyCondition([.. links.Select(static l => l.Condition)]));
        }

        // Links go to different states: one event branch per link, in order; the first link whose URL matches decides.
        return new WaitForEventNode(id, FeedbackEvents.Clicked, timeout, null, onTimeout, Branches: [.. links]);
    }

    private static FilterNode ReadFilter(JsonElement parameters, string p, string id)
    {
        StateJson.Object(parameters, p, id, "filter");
        var branches = new List<FilterBranch>();
        string? otherwise = null;
        var hasElse = false;
        var i = 0;
        foreach (var item in StateJson.Array(parameters, "filter", p, id))
        {
            var bp = $"{p}.filter[{i++}]";
            if (hasElse)
            {
                throw StateJson.Error(bp, "An entry follows the one with an empty 'cond' (which takes everyone left); put the empty one last.", id);
            }

            StateJson.Object(item, bp, id, "cond", "forward");
            var condition = StateConditions.Read(StateJson.Required(item, "cond", bp, id), $"{bp}.cond", id);
            var next = Forward(item, bp, id);
            if (condition is null)
            {
                hasElse = true;
                otherwise = next;
            }
            else
            {
                branches.Add(new FilterBranch(condition, next));
            }
        }

        return new FilterNode(id, [.. branches], otherwise);
    }

    private static RandomSplitNode ReadRandom(JsonElement parameters, string p, string id)
    {
        StateJson.Object(parameters, p, id, "paths");
        var paths = new List<RandomPath>();
        var i = 0;
        foreach (var path in StateJson.Array(parameters, "paths", p, id))
        {
            var pp = $"{p}.paths[{i++}]";
            StateJson.Object(path, pp, id, "forward", "weight");
            var weight = 1d;
            if (StateJson.Optional(path, "weight") is { } w)
            {
                if (w.ValueKind != JsonValueKind.Number || !w.TryGetDouble(out weight) || !double.IsFinite(weight))
                {
                    throw StateJson.Error($"{pp}.weight", $"Expected a number, found {StateJson.Kind(w)}.", id);
                }
            }

            paths.Add(new RandomPath(weight, Forward(path, pp, id)));
        }

        return new RandomSplitNode(id, [.. paths]);
    }

    private static (TimeSpan Timeout, string? Forward) ReadTimeout(JsonElement parameters, string p, string id)
    {
        var timeout = StateJson.Required(parameters, "timeout", p, id);
        StateJson.Object(timeout, $"{p}.timeout", id, "time", "forward");
        return (StateJson.Duration(timeout, "time", $"{p}.timeout", id), Forward(timeout, $"{p}.timeout", id));
    }

    private static string? Forward(JsonElement element, string path, string id) => StateJson.OptionalString(element, "forward", path, id);

    /// <summary>The push send whose click a FLOW_PUSH_CLICK waits for: the one push send of that campaign, or among several, the one that forwards to the wait.</summary>
    private static string PushSendOf(List<JourneyNode> nodes, string waitId, string campaignId, string path)
    {
        var sends = nodes.OfType<SendNode>().Where(s => s.Channel == Channel.Push && s.Campaign.CampaignId == campaignId).ToList();
        if (sends.Count > 1)
        {
            sends = sends.Where(s => s.Next == waitId).ToList();
        }

        return sends.Count == 1
            ? sends[0].Id
            : throw StateJson.Error(
                path,
                sends.Count == 0
                    ? $"No ACTION_PUSH_SEND state sends campaign '{campaignId}', whose clicks this state waits for."
                    : $"Several ACTION_PUSH_SEND states send campaign '{campaignId}' and forward here; the click cannot be tied to one.",
                waitId);
    }
}
