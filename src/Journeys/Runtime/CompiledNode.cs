using System.Collections.Immutable;
using Journeys.Conditions;
using Journeys.Messaging;
using Journeys.Model;

namespace Journeys.Runtime;

/// <summary>A node compiled for execution: edges are node indexes (-1 completes the enrollment).</summary>
internal abstract class CompiledNode
{
    protected CompiledNode(string id, int index)
    {
        Id = id;
        Index = index;
    }

    /// <summary>The node id.</summary>
    public string Id { get; }

    /// <summary>The node's index in <see cref="CompiledJourney.Nodes"/>.</summary>
    public int Index { get; }
}
