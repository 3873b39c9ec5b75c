using System.Collections.Frozen;
using System.Collections.Immutable;
using Journeys.Model;

namespace Journeys.Runtime;

/// <summary>
/// A journey version compiled once for execution: nodes in an array, edges as indexes, conditions and templates
/// compiled against the customer field schema, goal events in a set. Immutable and shared by every shard.
/// </summary>
internal sealed class CompiledJourney
{
    internal CompiledJourney(
        JourneyDefinition definition,
        CustomerFieldSchema schema,
        ImmutableArray<CompiledNode> nodes,
        FrozenDictionary<string, int> indexById,
        TimeZoneInfo zone,
        FrozenDictionary<string, Condition?> goals)
    {
        Definition = definition;
        Schema = schema;
        Nodes = nodes;
        IndexById = indexById;
        Zone = zone;
        Goals = goals;
        GoalEvents = [.. goals.Keys.Order(StringComparer.Ordinal)];
        StartIndex = indexById[definition.StartNodeId];
        ReadSlots = FindReadSlots(nodes, schema.Fields.Count);
    }

    /// <summary>
    /// For each schema slot, whether any node of this version reads it (filter conditions, templates of sends and
    /// reminders, a delay until a field, webhook fields, update nodes); <see langword="null"/> when a node kind is not
    /// known here, meaning every slot. A store may skip decoding the slots no node reads (they then hold their default).
    /// </summary>
    public bool[]? ReadSlots { get; }

    private static bool[]? FindReadSlots(ImmutableArray<CompiledNode> nodes, int slotCount)
    {
        var reads = new bool[slotCount];
        void Mark(int slot)
        {
            if ((uint)slot < (uint)reads.Length)
            {
                reads[slot] = true;
            }
        }

        foreach (var node in nodes)
        {
            switch (node)
            {
                case CompiledFilter filter:
                    foreach (var condition in filter.Conditions)
                    {
                        foreach (var slot in condition.Slots)
                        {
                            Mark(slot);
                        }
                    }

                    break;
                case CompiledSend send:
                    send.Template.MarkReadSlots(reads);
                    break;
                case CompiledRetargeting retargeting:
                    foreach (var reminder in retargeting.Reminders)
                    {
                        reminder.Template.MarkReadSlots(reads);
                    }

                    break;
                case CompiledDelay delay:
                    Mark(delay.FieldSlot);
                    break;
                case CompiledWebhook webhook:
                    foreach (var (_, slot) in webhook.Fields)
                    {
                        Mark(slot);
                    }

                    break;
                case CompiledUpdate update:
                    Mark(update.Slot);
                    break;
                case CompiledWait or CompiledSplit or CompiledExit:
                    break; // they read no customer field (wait conditions are on the event's properties)
                default:
                    return null;
            }
        }

        return reads;
    }

    public JourneyDefinition Definition { get; }

    public string Id => Definition.Id;

    public int Version => Definition.Version;

    public CustomerFieldSchema Schema { get; }

    public ImmutableArray<CompiledNode> Nodes { get; }

    public FrozenDictionary<string, int> IndexById { get; }

    public int StartIndex { get; }

    /// <summary>The journey's time zone, for customers without one.</summary>
    public TimeZoneInfo Zone { get; }

    /// <summary>Goal events by name, each with its optional property condition (any of them matching converts).</summary>
    public FrozenDictionary<string, Condition?> Goals { get; }

    /// <summary>The goal event names, ordered: the wake events every enrollment has.</summary>
    public EquatableArray<string> GoalEvents { get; }

    /// <summary>
    /// Statistic delta arrays of runs already seen, by a hash of their content (see <c>StepExecutor</c>): most
    /// enrollments of a version take one of a few paths, and a run whose deltas equal a cached array's returns that
    /// array instead of a new one. The arrays are never written after they are published; a slot written by two
    /// shards at once keeps either array (both are correct).
    /// </summary>
    internal Storage.StatisticDelta[]?[] StatisticPaths { get; } = new Storage.StatisticDelta[]?[StatisticPathSlots];

    /// <summary>The size of <see cref="StatisticPaths"/> (a power of two).</summary>
    internal const int StatisticPathSlots = 64;
}
