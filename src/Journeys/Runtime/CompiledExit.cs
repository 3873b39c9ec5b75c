using System.Collections.Immutable;
using Journeys.Conditions;
using Journeys.Messaging;
using Journeys.Model;

namespace Journeys.Runtime;

/// <summary>A compiled exit node.</summary>
internal sealed class CompiledExit(string id, int index, string reason) : CompiledNode(id, index)
{
    public string Reason { get; } = reason;
}
