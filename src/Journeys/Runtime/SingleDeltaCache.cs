using Journeys.Storage;

namespace Journeys.Runtime;

/// <summary>
/// One-delta arrays (a send's Sent, Failed or Capped count for its journey version and node) shared among outbox
/// results: the dispatcher counts every message, and the in-memory store adds a shared array once per completion call
/// however many results carry it. A cache, not a set: a slot another key needs is replaced. Stores only read result
/// lists, so sharing is safe; entries are immutable, so threads may read a slot while another replaces it.
/// </summary>
internal sealed class SingleDeltaCache
{
    private const int Slots = 64;

    private readonly Entry?[] _entries = new Entry?[Slots];

    /// <summary>An array holding exactly the delta (<see cref="StatisticDelta.Amount"/> 1).</summary>
    public StatisticDelta[] Get(string journeyId, int version, string? nodeId, StatisticCounter counter)
    {
        var first = HashCode.Combine(journeyId.Length, version, nodeId?.Length ?? -1, nodeId is { Length: > 0 } ? nodeId[^1] : '\0', (int)counter) & (Slots - 1);

        // Open addressing over a few neighbouring slots: two keys whose hashes collide (a per-process chance) both stay
        // cached instead of evicting each other on every message.
        var free = -1;
        for (var probe = 0; probe < Probes; probe++)
        {
            var slot = (first + probe) & (Slots - 1);
            var entry = Volatile.Read(ref _entries[slot]);
            if (entry is null)
            {
                free = slot;
                break;
            }

            ref readonly var cached = ref entry.Deltas[0];
            if (cached.Counter == counter && cached.Version == version
                && string.Equals(cached.NodeId, nodeId, StringComparison.Ordinal)
                && string.Equals(cached.JourneyId, journeyId, StringComparison.Ordinal))
            {
                return entry.Deltas;
            }
        }

        // With all probed slots taken by other keys, the first one is replaced (a cache, not a set).
        var created = new Entry([new StatisticDelta(journeyId, version, nodeId, counter)]);
        Volatile.Write(ref _entries[free >= 0 ? free : first], created);
        return created.Deltas;
    }

    private const int Probes = 4;

    private sealed class Entry(StatisticDelta[] deltas)
    {
        public StatisticDelta[] Deltas { get; } = deltas;
    }
}
