using System.Collections.Immutable;
using Journeys.Building;
using Journeys.Model;

namespace Journeys.Validation;

/// <summary>The nodes of a journey indexed once by id, with the names and paths used in diagnostics.</summary>
internal sealed class JourneyGraph
{
    private JourneyGraph(ImmutableArray<JourneyNode?> nodes)
    {
        Nodes = nodes;
        IndexById = new Dictionary<string, int>(nodes.Length, StringComparer.Ordinal);
        FirstIndex = new int[nodes.Length];
        Labels = new string[nodes.Length];
        Paths = new string[nodes.Length];
    }

    /// <summary>The nodes by position; an item may be <see langword="null"/>.</summary>
    public ImmutableArray<JourneyNode?> Nodes { get; }

    /// <summary>The position of the first node with each (non-null) id; edges resolve to it.</summary>
    public Dictionary<string, int> IndexById { get; }

    /// <summary>For each position, the position of the first node with the same id (itself when unique, -1 for a null node or id).</summary>
    public int[] FirstIndex { get; }

    /// <summary>For each position, how messages name the node, such as <c>Send node "welcome"</c>.</summary>
    public string[] Labels { get; }

    /// <summary>For each position, the path prefix of the node, such as <c>nodes[welcome]</c> or <c>nodes[#3]</c>.</summary>
    public string[] Paths { get; }

    public static JourneyGraph Build(ImmutableArray<JourneyNode> nodes)
    {
        var graph = new JourneyGraph(ImmutableArray<JourneyNode?>.CastUp(nodes));
        for (var i = 0; i < nodes.Length; i++)
        {
            var node = nodes[i];
            var id = node?.Id;
            var position = (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var usableId = NodeIdRules.IsValid(id);
            graph.Paths[i] = usableId ? $"nodes[{id}]" : $"nodes[#{i.ToString(System.Globalization.CultureInfo.InvariantCulture)}]";
            graph.Labels[i] = node is null
                ? $"The node at position {position}"
                : string.IsNullOrEmpty(id) ? $"{KindName(node)} node at position {position} (it has no id)" : $"{KindName(node)} node \"{id}\"";
            if (node is null || id is null)
            {
                graph.FirstIndex[i] = -1;
                continue;
            }

            graph.FirstIndex[i] = graph.IndexById.TryAdd(id, i) ? i : graph.IndexById[id];
        }

        return graph;
    }

    /// <summary>True for the nodes that hold a customer for a while, so that a loop through them is not instant.</summary>
    public static bool Waits(JourneyNode? node) => node is DelayNode or WaitForEventNode or RetargetingNode;

    public static string KindName(JourneyNode node) => node switch
    {
        SendNode => "Send",
        FilterNode => "Filter",
        WaitForEventNode => "Wait-for-event",
        RandomSplitNode => "Random split",
        RetargetingNode => "Retargeting",
        DelayNode => "Delay",
        WebhookNode => "Webhook",
        UpdateCustomerNode => "Update-customer",
        ExitNode => "Exit",
        _ => "The",
    };
}
