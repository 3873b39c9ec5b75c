using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Journeys.Model;
using Journeys.Runtime;
using Journeys.Serialization.Converters;

namespace Journeys.Serialization.StateDocuments;

/// <summary>Writes a journey as a state document; see <see cref="JourneyStateDocument"/>.</summary>
internal static class StateDocumentWriter
{
    public static byte[] Write(JourneyDefinition journey, bool indented)
    {
        ArgumentNullException.ThrowIfNull(journey);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented, NewLine = "\n", Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteString("id", journey.Id);
            writer.WriteString("name", journey.Name);
            writer.WriteStartArray("states");
            WriteEntry(writer, journey);
            foreach (var node in journey.Nodes)
            {
                if (node is not null)
                {
                    WriteNode(writer, journey, node);
                }
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteEntry(Utf8JsonWriter writer, JourneyDefinition journey)
    {
        var id = JourneyStateDocument.EntryStateId;
        while (journey.FindNode(id) is not null)
        {
            id += "-in";
        }

        var start = string.IsNullOrEmpty(journey.StartNodeId) ? null : journey.StartNodeId;
        switch (journey.Entry)
        {
            case AllCustomersEntry:
                Begin(writer, id, "IN_ALL");
                break;
            case CustomerListEntry { CustomerIds.IsEmpty: true, AcceptsAdditions: true }:
                Begin(writer, id, "IN_LIST");
                break;
            case CustomerListEntry { CustomerIds.IsEmpty: true }:
                // An IN_LIST state is read back as a list that takes customers by API or CSV: another audience.
                throw new JourneyStateExportException(null, $"Journey '{journey.Id}' has a customer list that accepts no additions; an IN_LIST state takes customers by API or CSV.");
            case CustomerListEntry:
                throw new JourneyStateExportException(null, $"Journey '{journey.Id}' lists its customers in the definition; an IN_LIST state takes them by API or CSV only. Put them into the journey after importing it.");
            case FilterEntry { Condition: InCondition segments } when segments.Field == JourneyStateDocument.SegmentsField && segments.Values.All(static v => v.Type == FieldType.String):
                Begin(writer, id, "IN_SEGMENT");
                writer.WriteStartObject("cond");
                writer.WriteStartArray("segmentIds");
                foreach (var segment in segments.Values)
                {
                    writer.WriteStringValue(segment.AsString());
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
                break;
            case FilterEntry filter:
                Begin(writer, id, "IN_FILTER");
                writer.WritePropertyName("cond");
                StateConditions.Write(writer, filter.Condition, null);
                break;
            case EventEntry { PropertyCondition: null } custom:
                Begin(writer, id, "IN_CUSTOM_EVENT");
                writer.WriteString("eventName", custom.EventName);
                break;
            default:
                throw new JourneyStateExportException(null, $"The entry of journey '{journey.Id}' ({journey.Entry.GetType().Name}) has no form in a state document.");
        }

        End(writer, start);
    }

    private static void WriteNode(Utf8JsonWriter writer, JourneyDefinition journey, JourneyNode node)
    {
        switch (node)
        {
            case SendNode send:
                if (!send.Campaign.Variables.IsEmpty)
                {
                    throw new JourneyStateExportException(node.Id, $"Node '{node.Id}' binds template variables; a state document's action names only the campaign.");
                }

                var type = send.Channel.Name switch
                {
                    "push" => "ACTION_PUSH_SEND",
                    "email" => "ACTION_EMAIL_SEND",
                    "sms" => "ACTION_SMS_SEND",
                    _ => throw new JourneyStateExportException(node.Id, $"Node '{node.Id}' sends on channel '{send.Channel}'; state documents send push, email and sms."),
                };
                Begin(writer, node.Id, type);
                writer.WriteStartObject("action");
                writer.WriteString("campaignId", send.Campaign.CampaignId);
                writer.WriteEndObject();
                End(writer, send.Next);
                break;
            case WaitForEventNode wait:
                WriteWait(writer, journey, wait);
                break;
            case FilterNode filter:
                Begin(writer, node.Id, "FLOW_FILTER");
                writer.WriteStartArray("filter");
                foreach (var branch in filter.Branches)
                {
                    writer.WriteStartObject();
                    writer.WritePropertyName("cond");
                    StateConditions.Write(writer, branch.Condition, node.Id);
                    WriteForward(writer, branch.Next);
                    writer.WriteEndObject();
                }

                if (filter.Else is not null)
                {
                    writer.WriteStartObject();
                    writer.WriteStartObject("cond");
                    writer.WriteEndObject();
                    WriteForward(writer, filter.Else);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                End(writer, null, writeForward: false);
                break;
            case RandomSplitNode split:
                Begin(writer, node.Id, "FLOW_RANDOM");
                var equal = split.Paths.All(static p => p.Weight == 1d);
                writer.WriteStartArray("paths");
                foreach (var path in split.Paths)
                {
                    writer.WriteStartObject();
                    WriteForward(writer, path.Next);
                    if (!equal)
                    {
                        writer.WriteNumber("weight", path.Weight);
                    }

                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                End(writer, null, writeForward: false);
                break;
            default:
                throw new JourneyStateExportException(
                    node.Id,
                    $"Node '{node.Id}' ({node.GetType().Name}) has no state type; state documents hold sends (push, email, sms), click waits, filters and random splits.");
        }
    }

    private static void WriteWait(Utf8JsonWriter writer, JourneyDefinition journey, WaitForEventNode wait)
    {
        if (wait.EventName != FeedbackEvents.Clicked)
        {
            throw new JourneyStateExportException(wait.Id, $"Node '{wait.Id}' waits for '{wait.EventName}'; state documents wait for clicks only.");
        }

        if (!wait.Branches.IsEmpty)
        {
            WriteSmsBranches(writer, wait);
        }
        else if (wait.PropertyCondition is null && journey.FindNode(wait.CorrelatedNodeId ?? string.Empty) is SendNode { Channel.Name: "push" } push)
        {
            ThrowIfClickNotTiedToSend(journey, wait, push);
            Begin(writer, wait.Id, "FLOW_PUSH_CLICK");
            writer.WriteStartObject("click");
            writer.WriteString("campaignId", push.Campaign.CampaignId);
            WriteForward(writer, wait.OnEvent);
            writer.WriteEndObject();
        }
        else if (wait.CorrelatedNodeId is null && SmsUrls(wait.PropertyCondition) is { } urls)
        {
            Begin(writer, wait.Id, "FLOW_SMS");
            writer.WriteStartArray("click");
            foreach (var url in urls)
            {
                writer.WriteStartObject();
                writer.WriteString("url", url);
                writer.WriteString("urlMatchMode", "CONTAINS");
                WriteForward(writer, wait.OnEvent);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }
        else
        {
            throw new JourneyStateExportException(
                wait.Id,
                $"Node '{wait.Id}' has no state form: a FLOW_PUSH_CLICK waits for a click on a push node's message, a FLOW_SMS for a click whose 'url' contains a text.");
        }

        writer.WriteStartObject("timeout");
        writer.WriteString("time", IsoDuration.Format(wait.Timeout));
        WriteForward(writer, wait.OnTimeout);
        writer.WriteEndObject();
        End(writer, null, writeForward: false);
    }

    /// <summary>
    /// A FLOW_PUSH_CLICK names the campaign, not the send: the reader ties it to the one push send of that campaign, or
    /// among several, to the one that forwards to the wait. A wait correlated to another send would be read back tied to
    /// the wrong message (or refused), so it has no state form.
    /// </summary>
    private static void ThrowIfClickNotTiedToSend(JourneyDefinition journey, WaitForEventNode wait, SendNode push)
    {
        var sends = journey.Nodes.OfType<SendNode>().Where(s => s.Channel == Channel.Push && s.Campaign.CampaignId == push.Campaign.CampaignId).ToList();
        if (sends.Count > 1)
        {
            sends = sends.Where(s => s.Next == wait.Id).ToList();
        }

        if (sends.Count != 1 || !ReferenceEquals(sends[0], push))
        {
            throw new JourneyStateExportException(
                wait.Id,
                $"Node '{wait.Id}' waits for a click on the message of node '{push.Id}', but other push nodes send its campaign '{push.Campaign.CampaignId}' and '{push.Id}' does not lead straight to the wait; a FLOW_PUSH_CLICK names only the campaign, so the click could not be tied to '{push.Id}' again.");
        }
    }

    private static void WriteSmsBranches(Utf8JsonWriter writer, WaitForEventNode wait)
    {
        if (wait.CorrelatedNodeId is not null || wait.PropertyCondition is not null)
        {
            throw new JourneyStateExportException(
                wait.Id,
                $"Node '{wait.Id}' has event branches together with a message correlation or an event condition; a FLOW_SMS state holds only links (a 'url' contains a text) and their states.");
        }

        var links = new List<(string Url, string? Target)>();
        for (var i = 0; i < wait.Branches.Count; i++)
        {
            var branch = wait.Branches[i];
            if (SmsUrls(branch.Condition) is not { } urls)
            {
                throw new JourneyStateExportException(
                    wait.Id,
                    $"Node '{wait.Id}', event branch {(i + 1).ToString(CultureInfo.InvariantCulture)}: its condition has no FLOW_SMS form; a link matches a click whose 'url' contains a text (or any of several texts).");
            }

            links.AddRange(urls.Select(url => (url, branch.Target)));
        }

        Begin(writer, wait.Id, "FLOW_SMS");
        writer.WriteStartArray("click");
        foreach (var (url, target) in links)
        {
            writer.WriteStartObject();
            writer.WriteString("url", url);
            writer.WriteString("urlMatchMode", "CONTAINS");
            WriteForward(writer, target);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static List<string>? SmsUrls(Condition? condition) => condition switch
    {
        FieldCondition { Operator: ComparisonOperator.Contains, Field: StateDocumentReader.SmsUrlProperty, Value.Type: FieldType.String } url => [url.Value.AsString()],
        AnyCondition { Conditions.Count: > 1 } any when any.Conditions.All(static c => SmsUrls(c) is { Count: 1 }) => [.. any.Conditions.Select(static c => SmsUrls(c)![0])],
        _ => null,
    };

    private static void Begin(Utf8JsonWriter writer, string id, string type)
    {
        writer.WriteStartObject();
        writer.WriteString("id", id);
        writer.WriteString("type", type);
        writer.WriteStartObject("params");
    }

    private static void End(Utf8JsonWriter writer, string? forward, bool writeForward = true)
    {
        if (writeForward)
        {
            WriteForward(writer, forward);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteForward(Utf8JsonWriter writer, string? forward)
    {
        if (forward is null)
        {
            writer.WriteNull("forward");
        }
        else
        {
            writer.WriteString("forward", forward);
        }
    }
}
