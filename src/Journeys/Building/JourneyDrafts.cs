using System.Collections.Immutable;
using Journeys.Model;

namespace Journeys.Building;

/// <summary>
/// Edits of a draft journey, one node ("journey state") at a time, each returning a new immutable draft, plus
/// clone and new version. An edit keeps the graph consistent (unique ids, every edge pointing at an existing node,
/// a start node) or is refused with a <see cref="JourneyEditException"/>; required edges may stay unset in a draft
/// (validation reports them). Only a <see cref="JourneyStatus.Draft"/> or <see cref="JourneyStatus.Validated"/>
/// journey can be edited (a validated one becomes a draft again); an active, stopped or archived journey must be
/// cloned (<see cref="Clone"/>) or versioned (<see cref="CreateNextVersion"/>) instead.
/// </summary>
public static class JourneyDrafts
{
    /// <summary>Adds a node. The first node of an empty draft becomes its start node.</summary>
    /// <param name="journey">The draft.</param>
    /// <param name="node">The node; its id must be new and its edges must point at existing nodes.</param>
    /// <returns>The edited draft.</returns>
    /// <exception cref="JourneyEditException">The journey is not editable, the id is taken or invalid, or an edge points nowhere.</exception>
    public static JourneyDefinition AddNode(this JourneyDefinition journey, JourneyNode node)
    {
        ArgumentNullException.ThrowIfNull(journey);
        ArgumentNullException.ThrowIfNull(node);
        ThrowIfNotEditable(journey, node.Id);
        ThrowIfInvalidId(journey, node.Id);
        if (journey.FindNode(node.Id) is not null)
        {
            throw new JourneyEditException(journey.Id, node.Id, $"Journey '{journey.Id}' already has a node '{node.Id}'; use ReplaceNode to change it.");
        }

        var nodes = journey.Nodes.AsImmutableArray().Add(node);
        ThrowIfDangling(journey, node, nodes);
        return Edited(journey, nodes, journey.Nodes.IsEmpty ? node.Id : journey.StartNodeId);
    }

    /// <summary>Replaces the node with the same id.</summary>
    /// <param name="journey">The draft.</param>
    /// <param name="node">The new node; its edges must point at existing nodes.</param>
    /// <returns>The edited draft.</returns>
    /// <exception cref="JourneyEditException">The journey is not editable, has no such node, or an edge points nowhere.</exception>
    public static JourneyDefinition ReplaceNode(this JourneyDefinition journey, JourneyNode node)
    {
        ArgumentNullException.ThrowIfNull(journey);
        ArgumentNullException.ThrowIfNull(node);
        ThrowIfNotEditable(journey, node.Id);
        var index = IndexOf(journey, node.Id);
        if (index < 0)
        {
            throw new JourneyEditException(journey.Id, node.Id, $"Journey '{journey.Id}' has no node '{node.Id}' to replace.");
        }

        var nodes = journey.Nodes.AsImmutableArray().SetItem(index, node);
        ThrowIfDangling(journey, node, nodes);
        return Edited(journey, nodes, journey.StartNodeId);
    }

    /// <summary>Removes a node that no other node points at. Removing the start node is allowed only when it is the last node.</summary>
    /// <param name="journey">The draft.</param>
    /// <param name="nodeId">The node id.</param>
    /// <returns>The edited draft.</returns>
    /// <exception cref="JourneyEditException">The journey is not editable, has no such node, or the node is still referenced or is the start node.</exception>
    public static JourneyDefinition RemoveNode(this JourneyDefinition journey, string nodeId)
    {
        ArgumentNullException.ThrowIfNull(journey);
        ArgumentNullException.ThrowIfNull(nodeId);
        ThrowIfNotEditable(journey, nodeId);
        var index = IndexOf(journey, nodeId);
        if (index < 0)
        {
            throw new JourneyEditException(journey.Id, nodeId, $"Journey '{journey.Id}' has no node '{nodeId}' to remove.");
        }

        var referrers = new List<string>();
        foreach (var other in journey.Nodes)
        {
            if (other is null || other.Id == nodeId)
            {
                continue;
            }

            foreach (var edge in other.GetEdges())
            {
                if (edge.Target == nodeId)
                {
                    referrers.Add($"'{other.Id}' ({edge.Name})");
                }
            }

            if (other is WaitForEventNode { CorrelatedNodeId: var correlated } && correlated == nodeId)
            {
                referrers.Add($"'{other.Id}' (correlated to its message)");
            }
        }

        if (referrers.Count > 0)
        {
            throw new JourneyEditException(
                journey.Id,
                nodeId,
                $"Node '{nodeId}' of journey '{journey.Id}' cannot be removed: {string.Join(", ", referrers)} still point at it. Point them elsewhere first.");
        }

        var nodes = journey.Nodes.AsImmutableArray().RemoveAt(index);
        if (journey.StartNodeId == nodeId && !nodes.IsEmpty)
        {
            throw new JourneyEditException(
                journey.Id,
                nodeId,
                $"Node '{nodeId}' is the start node of journey '{journey.Id}'; make another node the start (WithStartNode) before removing it.");
        }

        return Edited(journey, nodes, nodes.IsEmpty ? string.Empty : journey.StartNodeId);
    }

    /// <summary>Makes an existing node the start node.</summary>
    /// <param name="journey">The draft.</param>
    /// <param name="nodeId">The node id.</param>
    /// <returns>The edited draft.</returns>
    /// <exception cref="JourneyEditException">The journey is not editable or has no such node.</exception>
    public static JourneyDefinition WithStartNode(this JourneyDefinition journey, string nodeId)
    {
        ArgumentNullException.ThrowIfNull(journey);
        ArgumentNullException.ThrowIfNull(nodeId);
        ThrowIfNotEditable(journey, nodeId);
        if (IndexOf(journey, nodeId) < 0)
        {
            throw new JourneyEditException(journey.Id, nodeId, $"Journey '{journey.Id}' has no node '{nodeId}' to start at.");
        }

        return Edited(journey, journey.Nodes.AsImmutableArray(), nodeId);
    }

    /// <summary>Copies any journey (whatever its status) into a new draft, version 1, with a new id and name.</summary>
    /// <param name="journey">The journey to copy.</param>
    /// <param name="newId">The new journey's id.</param>
    /// <param name="newName">The new journey's name.</param>
    /// <returns>The new draft.</returns>
    /// <exception cref="ArgumentException">The new id is invalid or the name empty.</exception>
    public static JourneyDefinition Clone(this JourneyDefinition journey, string newId, string newName)
    {
        ArgumentNullException.ThrowIfNull(journey);
        NodeIdRules.ThrowIfInvalidJourneyId(newId, nameof(newId));
        ArgumentException.ThrowIfNullOrWhiteSpace(newName);
        return journey with { Id = newId, Name = newName, Version = 1, Status = JourneyStatus.Draft };
    }

    /// <summary>
    /// The next version of a journey as a draft (same id, version + 1), to edit and activate in place of the current one;
    /// running enrollments stay on the version they entered.
    /// </summary>
    /// <param name="journey">The current version.</param>
    /// <returns>The new draft version.</returns>
    public static JourneyDefinition CreateNextVersion(this JourneyDefinition journey)
    {
        ArgumentNullException.ThrowIfNull(journey);
        return journey with { Version = checked(journey.Version + 1), Status = JourneyStatus.Draft };
    }

    private static JourneyDefinition Edited(JourneyDefinition journey, ImmutableArray<JourneyNode> nodes, string startNodeId) =>
        journey with { Nodes = nodes, StartNodeId = startNodeId, Status = JourneyStatus.Draft };

    private static int IndexOf(JourneyDefinition journey, string nodeId)
    {
        for (var i = 0; i < journey.Nodes.Count; i++)
        {
            if (journey.Nodes[i]?.Id == nodeId)
            {
                return i;
            }
        }

        return -1;
    }

    private static void ThrowIfNotEditable(JourneyDefinition journey, string? nodeId)
    {
        if (journey.Status is not (JourneyStatus.Draft or JourneyStatus.Validated))
        {
            throw new JourneyEditException(
                journey.Id,
                nodeId,
                $"Journey '{journey.Id}' is {journey.Status.ToString().ToLowerInvariant()}: its nodes cannot be edited in place. Clone it or create its next version, then edit that draft.");
        }
    }

    private static void ThrowIfInvalidId(JourneyDefinition journey, string nodeId)
    {
        if (!NodeIdRules.IsValid(nodeId))
        {
            throw new JourneyEditException(
                journey.Id,
                nodeId,
                $"Node id {IdText.Quote(nodeId)} is invalid: use 1 to {NodeIdRules.MaxLength} letters, digits, '-', '_', '.' or ':'.",
                isInvalidInput: true);
        }
    }

    private static void ThrowIfDangling(JourneyDefinition journey, JourneyNode node, ImmutableArray<JourneyNode> nodes)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in nodes)
        {
            if (n is not null)
            {
                ids.Add(n.Id);
            }
        }

        var problems = new List<string>();
        foreach (var edge in node.GetEdges())
        {
            if (edge.Target is { } target && !ids.Contains(target))
            {
                problems.Add($"edge '{edge.Name}' points at '{target}'");
            }
        }

        if (node is WaitForEventNode { CorrelatedNodeId: { } correlated } && !ids.Contains(correlated))
        {
            problems.Add($"it is correlated to '{correlated}'");
        }

        if (problems.Count > 0)
        {
            throw new JourneyEditException(
                journey.Id,
                node.Id,
                $"Node '{node.Id}' of journey '{journey.Id}' refers to nodes the journey does not have: {string.Join("; ", problems)}. Add those nodes first.");
        }
    }
}
