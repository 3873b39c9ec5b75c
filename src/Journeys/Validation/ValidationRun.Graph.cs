using System.Text;
using Journeys.Building;
using Journeys.Model;

namespace Journeys.Validation;

internal sealed partial class ValidationRun
{
    private const int MaxNodesNamedInLoop = 10;

    private void CheckNodeIds(JourneyGraph graph)
    {
        for (var i = 0; i < graph.Nodes.Length; i++)
        {
            var node = graph.Nodes[i];
            var path = graph.Paths[i];
            if (node is null)
            {
                Error(DiagnosticCodes.NullNode, null, path, $"{graph.Labels[i]} is empty (null); remove it.");
                continue;
            }

            var id = node.Id;
            var label = graph.Labels[i];
            if (string.IsNullOrWhiteSpace(id))
            {
                Error(DiagnosticCodes.InvalidNodeId, id, path, $"{label}: every node needs an id.");
            }
            else if (id.Length > NodeIdRules.MaxLength)
            {
                Error(DiagnosticCodes.InvalidNodeId, id, path, $"{label}: its id is {Number(id.Length)} characters long; node ids have at most {Number(NodeIdRules.MaxLength)}.");
            }
            else if (!NodeIdRules.IsValid(id))
            {
                Error(DiagnosticCodes.InvalidNodeId, id, path, $"{label}: its id may only contain letters, digits, '-', '_', '.' and ':'.");
            }

            var first = graph.FirstIndex[i];
            if (first >= 0 && first != i)
            {
                Error(DiagnosticCodes.DuplicateNodeId, id, path, $"{label}: the id \"{id}\" is also used by the node at position {Number(first + 1)}; node ids must be unique.");
            }
        }
    }

    private void CheckGraph(JourneyGraph graph, string? startNodeId)
    {
        var count = graph.Nodes.Length;
        var successors = new List<int>?[count];
        for (var i = 0; i < count; i++)
        {
            var node = graph.Nodes[i];
            if (node is null)
            {
                continue;
            }

            foreach (var edge in node.GetEdges())
            {
                var edgePath = $"{graph.Paths[i]}.{edge.Name}";
                if (edge.Target is null)
                {
                    if (edge.Required)
                    {
                        Error(DiagnosticCodes.MissingEdge, node.Id, edgePath, $"{graph.Labels[i]} has no '{edge.Name}' connection; {RequiredEdgeReason(node, edge.Name)}");
                    }
                }
                else if (graph.IndexById.TryGetValue(edge.Target, out var target))
                {
                    (successors[i] ??= []).Add(target);
                }
                else
                {
                    Error(DiagnosticCodes.DanglingEdge, node.Id, edgePath, $"{graph.Labels[i]}: its '{edge.Name}' connection leads to node \"{edge.Target}\", which is not in the journey.");
                }
            }
        }

        var start = CheckStart(graph, startNodeId);
        if (start >= 0)
        {
            CheckReachability(graph, successors, start);
        }

        CheckInstantLoops(graph, successors);
    }

    private static string RequiredEdgeReason(JourneyNode node, string edgeName) => node switch
    {
        FilterNode => "customers who match no branch would have nowhere to go.",
        WaitForEventNode => "customers whose event does not come in time would have nowhere to go.",
        RetargetingNode => "customers who do not convert within the window would have nowhere to go.",
        WebhookNode => "customers whose webhook call fails would have nowhere to go.",
        _ => $"the '{edgeName}' connection is required.",
    };

    private int CheckStart(JourneyGraph graph, string? startNodeId)
    {
        if (graph.Nodes.Length == 0)
        {
            Error(DiagnosticCodes.MissingStartNode, null, "nodes", "The journey has no nodes: customers who enter would have nothing to do.");
            return -1;
        }

        if (string.IsNullOrWhiteSpace(startNodeId))
        {
            Error(DiagnosticCodes.MissingStartNode, null, "startNodeId", "The journey has no start node: say which node customers start at.");
            return -1;
        }

        if (!graph.IndexById.TryGetValue(startNodeId, out var start))
        {
            Error(DiagnosticCodes.UnknownStartNode, null, "startNodeId", $"The journey's start node \"{startNodeId}\" is not one of its nodes.");
            return -1;
        }

        return start;
    }

    private void CheckReachability(JourneyGraph graph, List<int>?[] successors, int start)
    {
        var reached = new bool[graph.Nodes.Length];
        var pending = new Stack<int>();
        reached[start] = true;
        pending.Push(start);
        while (pending.Count > 0)
        {
            var next = successors[pending.Pop()];
            if (next is null)
            {
                continue;
            }

            foreach (var target in next)
            {
                if (!reached[target])
                {
                    reached[target] = true;
                    pending.Push(target);
                }
            }
        }

        for (var i = 0; i < reached.Length; i++)
        {
            // Null nodes, nodes without an id and repeated ids are reported already; nothing can lead to them.
            if (!reached[i] && graph.FirstIndex[i] == i)
            {
                Error(DiagnosticCodes.UnreachableNode, graph.Nodes[i]!.Id, graph.Paths[i], $"{graph.Labels[i]} cannot be reached: no path leads to it from the start node, so no customer will ever get there.");
            }
        }
    }

    /// <summary>
    /// Finds loops that hold nobody: strongly connected components (Tarjan, iterative) of the graph without its
    /// waiting nodes. A loop that passes a waiting node somewhere can still have an instant inner loop, which this finds.
    /// </summary>
    private void CheckInstantLoops(JourneyGraph graph, List<int>?[] successors)
    {
        var count = graph.Nodes.Length;
        var active = new bool[count];
        for (var i = 0; i < count; i++)
        {
            active[i] = graph.Nodes[i] is not null && !JourneyGraph.Waits(graph.Nodes[i]);
        }

        var order = new int[count];
        Array.Fill(order, -1);
        var low = new int[count];
        var onStack = new bool[count];
        var componentStack = new Stack<int>();
        var callStack = new Stack<(int Node, int NextEdge)>();
        var counter = 0;
        var component = new List<int>();
        for (var root = 0; root < count; root++)
        {
            if (!active[root] || order[root] >= 0)
            {
                continue;
            }

            order[root] = low[root] = counter++;
            componentStack.Push(root);
            onStack[root] = true;
            callStack.Push((root, 0));
            while (callStack.Count > 0)
            {
                var (v, edge) = callStack.Pop();
                var next = successors[v];
                if (next is not null && edge < next.Count)
                {
                    callStack.Push((v, edge + 1));
                    var w = next[edge];
                    if (!active[w])
                    {
                        continue;
                    }

                    if (order[w] < 0)
                    {
                        order[w] = low[w] = counter++;
                        componentStack.Push(w);
                        onStack[w] = true;
                        callStack.Push((w, 0));
                    }
                    else if (onStack[w])
                    {
                        low[v] = Math.Min(low[v], order[w]);
                    }

                    continue;
                }

                if (low[v] == order[v])
                {
                    component.Clear();
                    int member;
                    do
                    {
                        member = componentStack.Pop();
                        onStack[member] = false;
                        component.Add(member);
                    }
                    while (member != v);

                    if (component.Count > 1 || (next is not null && next.Contains(v)))
                    {
                        ReportInstantLoop(graph, component);
                    }
                }

                if (callStack.Count > 0)
                {
                    var parent = callStack.Peek().Node;
                    low[parent] = Math.Min(low[parent], low[v]);
                }
            }
        }
    }

    private void ReportInstantLoop(JourneyGraph graph, List<int> component)
    {
        component.Sort();
        var names = new StringBuilder();
        for (var k = 0; k < component.Count && k < MaxNodesNamedInLoop; k++)
        {
            names.Append(k == 0 ? "\"" : ", \"").Append(graph.Nodes[component[k]]!.Id).Append('"');
        }

        if (component.Count > MaxNodesNamedInLoop)
        {
            names.Append(" and ").Append(Number(component.Count - MaxNodesNamedInLoop)).Append(" more");
        }

        var first = component[0];
        var message = component.Count == 1
            ? $"{graph.Labels[first]} leads back to itself with no delay, wait-for-event or retargeting node in between: a customer would loop instantly forever. Add a delay or wait, or end the loop."
            : $"Nodes {names} form a loop with no delay, wait-for-event or retargeting node in it: a customer would go round it instantly forever. Add a delay or wait to the loop, or break it.";
        Error(DiagnosticCodes.CycleWithoutWait, graph.Nodes[first]!.Id, graph.Paths[first], message);
    }
}
