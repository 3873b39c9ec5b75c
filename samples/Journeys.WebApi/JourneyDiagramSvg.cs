using System.Globalization;
using System.Net;
using System.Text;
using Journeys.Diagrams;
using Journeys.Model;
using Journeys.Storage;

namespace Journeys.WebApi;

/// <summary>
/// Draws a journey as SVG on the server (no script library is needed in the browser): one layer per distance from the
/// entry, a box per node with its counters (entered, waiting, sent, clicked, click rate, converted), the edges as lines.
/// Every counter is a <c>tspan</c> with <c>data-node</c> and <c>data-counter</c>, so tests and scripts can read it.
/// </summary>
internal static class JourneyDiagramSvg
{
    private const int BoxWidth = 230;
    private const int BoxHeight = 96;
    private const int ColumnGap = 30;
    private const int RowGap = 60;

    public static string Render(JourneyDefinition journey, JourneyStatistics statistics)
    {
        var layers = Layers(journey);
        var columns = Math.Max(1, layers.Max(static l => l.Count));
        var width = columns * (BoxWidth + ColumnGap) + ColumnGap;
        var height = layers.Count * (BoxHeight + RowGap) + RowGap;
        var positions = new Dictionary<string, (int X, int Y)>(StringComparer.Ordinal);
        for (var row = 0; row < layers.Count; row++)
        {
            var offset = (width - layers[row].Count * (BoxWidth + ColumnGap) + ColumnGap) / 2;
            for (var column = 0; column < layers[row].Count; column++)
            {
                positions[layers[row][column]] = (offset + column * (BoxWidth + ColumnGap), RowGap / 2 + row * (BoxHeight + RowGap));
            }
        }

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"journey-diagram\" data-journey=\"{Attr(journey.Id)}\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker></defs>\n");

        void Edge(string from, string to, string label)
        {
            var (x1, y1) = positions[from];
            var (x2, y2) = positions[to];
            var (ax, ay, bx, by) = (x1 + BoxWidth / 2, y1 + BoxHeight, x2 + BoxWidth / 2, y2);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{ax}\" y1=\"{ay}\" x2=\"{bx}\" y2=\"{by}\" stroke=\"#555\" marker-end=\"url(#arrow)\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{(ax + bx) / 2 + 4}\" y=\"{(ay + by) / 2}\" fill=\"#555\" font-size=\"10\">{Text(label)}</text>\n");
        }

        if (positions.ContainsKey(journey.StartNodeId))
        {
            Edge("\u0000entry", journey.StartNodeId, "start");
        }

        foreach (var node in journey.Nodes)
        {
            foreach (var edge in node.GetEdges())
            {
                if (edge.Target is { } target && positions.ContainsKey(target))
                {
                    Edge(node.Id, target, edge.Name);
                }
            }
        }

        Box(svg, positions["\u0000entry"], "entry", "journey", journey.Name, [("entered", statistics.Get(StatisticCounter.Entered).ToString(CultureInfo.InvariantCulture)), ("converted", statistics.Get(StatisticCounter.Converted).ToString(CultureInfo.InvariantCulture))], "#e8f0fe");
        foreach (var node in journey.Nodes)
        {
            var entered = statistics.Get(node.Id, StatisticCounter.Entered);
            var counters = new List<(string, string)>
            {
                ("entered", entered.ToString(CultureInfo.InvariantCulture)),
                // Enrollments a cancel ended at the node are in its `cancelled`, not its `left` (as in ToMermaid).
                ("waiting", statistics.Waiting(node.Id).ToString(CultureInfo.InvariantCulture)),
            };
            if (node is SendNode)
            {
                counters.Add(("sent", statistics.Get(node.Id, StatisticCounter.Sent).ToString(CultureInfo.InvariantCulture)));
                counters.Add(("clicked", statistics.Get(node.Id, StatisticCounter.Clicked).ToString(CultureInfo.InvariantCulture)));
                counters.Add(("click-rate", statistics.ClickRate(node.Id).ToString("P0", CultureInfo.InvariantCulture)));
            }

            counters.Add(("converted", statistics.Get(node.Id, StatisticCounter.Converted).ToString(CultureInfo.InvariantCulture)));
            Box(svg, positions[node.Id], node.Id, node.Id, node.Describe(), counters, node is ExitNode ? "#f1f3f4" : "#ffffff");
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static void Box(StringBuilder svg, (int X, int Y) at, string nodeId, string title, string subtitle, List<(string Name, string Value)> counters, string fill)
    {
        svg.Append(CultureInfo.InvariantCulture, $"<g class=\"node\" data-node=\"{Attr(nodeId)}\"><rect x=\"{at.X}\" y=\"{at.Y}\" width=\"{BoxWidth}\" height=\"{BoxHeight}\" rx=\"8\" fill=\"{fill}\" stroke=\"#333\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{at.X + 8}\" y=\"{at.Y + 18}\" font-weight=\"bold\">{Text(title)}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{at.X + 8}\" y=\"{at.Y + 34}\" fill=\"#444\">{Text(subtitle)}</text>");
        for (var i = 0; i < counters.Count; i++)
        {
            var (x, y) = (at.X + 8 + (i % 3) * 74, at.Y + 54 + (i / 3) * 18);
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x}\" y=\"{y}\">{Text(counters[i].Name)} <tspan font-weight=\"bold\" data-node=\"{Attr(nodeId)}\" data-counter=\"{counters[i].Name}\">{Text(counters[i].Value)}</tspan></text>");
        }

        svg.Append("</g>\n");
    }

    /// <summary>Nodes by distance from the entry (breadth first); nodes the entry cannot reach go in a last layer.</summary>
    private static List<List<string>> Layers(JourneyDefinition journey)
    {
        var layers = new List<List<string>> { new() { "\u0000entry" } };
        var seen = new HashSet<string>(StringComparer.Ordinal) { "\u0000entry" };
        var current = new List<string>();
        if (journey.FindNode(journey.StartNodeId) is not null)
        {
            current.Add(journey.StartNodeId);
            seen.Add(journey.StartNodeId);
        }

        while (current.Count > 0)
        {
            layers.Add(current);
            var next = new List<string>();
            foreach (var id in current)
            {
                foreach (var edge in journey.FindNode(id)!.GetEdges())
                {
                    if (edge.Target is { } target && journey.FindNode(target) is not null && seen.Add(target))
                    {
                        next.Add(target);
                    }
                }
            }

            current = next;
        }

        var unreachable = journey.Nodes.Where(n => !seen.Contains(n.Id)).Select(static n => n.Id).ToList();
        if (unreachable.Count > 0)
        {
            layers.Add(unreachable);
        }

        return layers;
    }

    private static string Text(string value) => WebUtility.HtmlEncode(value);

    private static string Attr(string value) => WebUtility.HtmlEncode(value);
}
