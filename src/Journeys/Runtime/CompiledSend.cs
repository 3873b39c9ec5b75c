using System.Collections.Immutable;
using Journeys.Conditions;
using Journeys.Messaging;
using Journeys.Model;

namespace Journeys.Runtime;

/// <summary>A compiled send node.</summary>
internal sealed class CompiledSend(string id, int index, Channel channel, CompiledTemplate template, int next) : CompiledNode(id, index)
{
    public Channel Channel { get; } = channel;

    public CompiledTemplate Template { get; } = template;

    public int Next { get; } = next;
}
