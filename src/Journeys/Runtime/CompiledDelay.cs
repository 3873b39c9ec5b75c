using System.Collections.Immutable;
using Journeys.Conditions;
using Journeys.Messaging;
using Journeys.Model;

namespace Journeys.Runtime;

/// <summary>A compiled delay node.</summary>
internal sealed class CompiledDelay(string id, int index, DelaySpec delay, int fieldSlot, int next) : CompiledNode(id, index)
{
    public DelaySpec Delay { get; } = delay;

    /// <summary>For <see cref="UntilFieldDelay"/>: the slot of the date field.</summary>
    public int FieldSlot { get; } = fieldSlot;

    public int Next { get; } = next;
}
