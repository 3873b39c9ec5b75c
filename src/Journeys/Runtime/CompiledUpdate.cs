using System.Collections.Immutable;
using Journeys.Conditions;
using Journeys.Messaging;
using Journeys.Model;
using Journeys.Storage;

namespace Journeys.Runtime;

/// <summary>A compiled update-customer node.</summary>
internal sealed class CompiledUpdate(string id, int index, string field, int slot, FieldValue value, int next) : CompiledNode(id, index)
{
    public string Field { get; } = field;

    public int Slot { get; } = slot;

    public FieldValue Value { get; } = value;

    /// <summary>The node's write (<see cref="Field"/> := <see cref="Value"/>), shared by the checkpoints of every run through it.</summary>
    public FieldWrite Write { get; } = new(field, value);

    public int Next { get; } = next;
}
