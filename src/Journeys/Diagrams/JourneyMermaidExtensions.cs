using System.Globalization;
using System.Text;
using Journeys.Model;
using Journeys.Storage;

namespace Journeys.Diagrams;

/// <summary>Draws a journey as a Mermaid flowchart (for docs, notebooks and issue comments), optionally with each node's live counters.</summary>
public static class JourneyMermaidExtensions
{
    /// <summary>
    /// The journey as Mermaid <c>flowchart TD</c> text: the entry, one shape per node (sends as boxes, filters and
    /// random splits as diamonds, waits and delays as hexagons, exits as stadiums) and the edges, labelled with their names.
    /// With <paramref name="statistics"/>, each node also shows entered, waiting (entered − left − cancelled, at least 0),
    /// sent, clicked, click rate and converted.
    /// </summary>
    /// <param name="journey">The journey.</param>
    /// <param name="statistics">The journey's statistics, or <see langword="null"/> for the bare graph.</param>
    /// <returns>The Mermaid text, with <c>\n</c> line ends; the same input always gives the same text.</returns>
    public static string ToMermaid(this JourneyDefinition journey, JourneyStatistics? statistics = null)
    {
        ArgumentNullException.ThrowIfNull(journey);
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < journey.Nodes.Count; i++)
        {
            if (journey.Nodes[i] is { } node)
            {
                ids.TryAdd(node.Id, $"n{i}");
            }
        }

        var text = new StringBuilder("flowchart TD\n");
        var entry = statistics is null ? EntryLabel(journey.Entry) : $"{EntryLabel(journey.Entry)}<br/>entered {statistics.Get(StatisticCounter.Entered)}";
        text.Append(CultureInfo.InvariantCulture, $"  entry([\"{Escape(entry)}\"])\n");
        if (ids.TryGetValue(journey.StartNodeId, out var start))
        {
            text.Append(CultureInfo.InvariantCulture, $"  entry --> {start}\n");
        }

        foreach (var node in journey.Nodes)
        {
            if (node is null)
            {
                continue;
            }

            var id = ids[node.Id];
            var label = Escape(Label(node, statistics));
            var (open, close) = node switch
            {
                FilterNode or RandomSplitNode => ("{\"", "\"}"),
                WaitForEventNode or DelayNode or RetargetingNode => ("{{\"", "\"}}"),
                ExitNode => ("([\"", "\"])"),
                _ => ("[\"", "\"]"),
            };
            text.Append(CultureInfo.InvariantCulture, $"  {id}{open}{label}{close}\n");
            foreach (var edge in node.GetEdges())
            {
                if (edge.Target is { } target && ids.TryGetValue(target, out var to))
                {
                    text.Append(CultureInfo.InvariantCulture, $"  {id} -->|\"{Escape(EdgeLabel(node, edge))}\"| {to}\n");
                }
            }
        }

        return text.ToString();
    }

    /// <summary>A short description of a node (its id and what it does), as diagrams label it.</summary>
    /// <param name="node">The node.</param>
    /// <returns>One line, such as <c>send push: tips</c>.</returns>
    public static string Describe(this JourneyNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return node switch
        {
            SendNode send => $"send {send.Channel}: {send.Campaign.CampaignId}",
            FilterNode filter => $"filter ({filter.Branches.Count} branch{(filter.Branches.Count == 1 ? string.Empty : "es")})",
            WaitForEventNode wait => $"wait for {wait.EventName} ({Duration(wait.Timeout)})",
            RandomSplitNode split => $"random split ({split.Paths.Count} paths)",
            RetargetingNode retargeting => $"retarget until {retargeting.ConversionEvent}",
            DelayNode => "delay",
            WebhookNode => "webhook",
            UpdateCustomerNode update => $"set {update.Field}",
            ExitNode exit => $"exit: {exit.Reason}",
            _ => node.GetType().Name,
        };
    }

    private static string Label(JourneyNode node, JourneyStatistics? statistics)
    {
        var label = $"{node.Id}<br/>{node.Describe()}";
        if (statistics is null)
        {
            return label;
        }

        var entered = statistics.Get(node.Id, StatisticCounter.Entered);
        // A cancel (a stop, a deletion, a deleted customer) ends enrollments at their node without counting them in its
        // `left`: they are in its `cancelled`. That counter also holds the node's messages a cancel withdrew whose
        // enrollment had moved on (a send node's, where nobody waits), hence the floor at 0.
        var waiting = statistics.Waiting(node.Id);
        var counters = string.Create(CultureInfo.InvariantCulture, $"entered {entered} · waiting {waiting}");
        if (node is SendNode or RetargetingNode)
        {
            counters += string.Create(
                CultureInfo.InvariantCulture,
                $"<br/>sent {statistics.Get(node.Id, StatisticCounter.Sent)} · clicked {statistics.Get(node.Id, StatisticCounter.Clicked)} ({statistics.ClickRate(node.Id):P1})");
        }

        var converted = statistics.Get(node.Id, StatisticCounter.Converted);
        if (converted > 0)
        {
            counters += string.Create(CultureInfo.InvariantCulture, $" · converted {converted}");
        }

        return $"{label}<br/>{counters}";
    }

    private static string EntryLabel(JourneyEntry entry) => entry switch
    {
        AllCustomersEntry => "entry: all customers",
        CustomerListEntry => "entry: customer list",
        FilterEntry => "entry: customers matching a filter",
        EventEntry e => $"entry: event {e.EventName}",
        _ => "entry",
    };

    private static string EdgeLabel(JourneyNode node, NodeEdge edge) => node switch
    {
        RandomSplitNode split when edge.Name.StartsWith("paths[", StringComparison.Ordinal)
            && int.TryParse(edge.Name.AsSpan(6, edge.Name.Length - 7), NumberStyles.None, CultureInfo.InvariantCulture, out var i)
            && i < split.Paths.Count => string.Create(CultureInfo.InvariantCulture, $"weight {split.Paths[i]!.Weight:0.##}"),
        _ => edge.Name,
    };

    private static string Duration(TimeSpan span) => span.TotalDays >= 1 && span.TotalDays == Math.Floor(span.TotalDays)
        ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalDays:0}d")
        : span.ToString("c", CultureInfo.InvariantCulture);

    /// <summary>Mermaid labels are in double quotes; quotes and angle brackets other than <c>&lt;br/&gt;</c> become entity codes.</summary>
    private static string Escape(string label) => label
        .Replace("\"", "#quot;", StringComparison.Ordinal)
        .Replace("<br/>", "\u0001", StringComparison.Ordinal)
        .Replace("<", "#lt;", StringComparison.Ordinal)
        .Replace(">", "#gt;", StringComparison.Ordinal)
        .Replace("\u0001", "<br/>", StringComparison.Ordinal);
}
