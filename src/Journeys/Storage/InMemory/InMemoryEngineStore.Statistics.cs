using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Journeys.Storage.InMemory;

/// <content>Statistics: counters per journey, version, node (or the journey as a whole) and counter.</content>
internal sealed partial class InMemoryEngineStore
{
    private const int CounterCacheSlots = 256;

    private readonly Dictionary<string, Dictionary<StatisticKey, Counter>> _statistics = new(StringComparer.Ordinal);

    // Counters found recently, by the identity of the journey and node id strings: deltas come from compiled journeys
    // whose ids are the same string instances run after run, so most deltas find their counter here by reference,
    // without hashing a string. A slot holds the counter the map holds (counters are never removed).
    private readonly CachedCounter[] _counterCache = new CachedCounter[CounterCacheSlots];

    // The counters have a lock of their own, always taken last (after the store lock or the outbox lock): a statistics
    // read waits only for other counter updates, never for a commit or an outbox call to finish.
    private readonly Lock _statisticsLock = new();

    // The lists of one commit (under the store lock) and of one outbox completion (under the outbox lock), and how often each came.
    private readonly StatisticTally _commitTally = new();
    private readonly StatisticTally _outboxTally = new();

    /// <inheritdoc />
    public ValueTask AddAsync(IReadOnlyList<StatisticDelta> deltas, CancellationToken cancellationToken = default)
    {
        StoreArgumentChecks.Statistics(deltas, nameof(deltas));
        cancellationToken.ThrowIfCancellationRequested();
        lock (_statisticsLock)
        {
            AddStatisticsLocked(deltas);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<JourneyStatistics> GetAsync(string journeyId, int? version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(journeyId);
        cancellationToken.ThrowIfCancellationRequested();
        var journey = ImmutableDictionary.CreateBuilder<StatisticCounter, long>();
        var nodes = new Dictionary<string, ImmutableDictionary<StatisticCounter, long>.Builder>(StringComparer.Ordinal);
        lock (_statisticsLock)
        {
            if (_statistics.TryGetValue(journeyId, out var counters))
            {
                foreach (var (key, value) in counters)
                {
                    if (version is { } v && key.Version != v)
                    {
                        continue;
                    }

                    ImmutableDictionary<StatisticCounter, long>.Builder target;
                    if (key.NodeId is null)
                    {
                        target = journey;
                    }
                    else if (!nodes.TryGetValue(key.NodeId, out target!))
                    {
                        target = ImmutableDictionary.CreateBuilder<StatisticCounter, long>();
                        nodes.Add(key.NodeId, target);
                    }

                    target[key.Counter] = target.GetValueOrDefault(key.Counter) + value.Value;
                }
            }
        }

        var nodeCounters = ImmutableDictionary.CreateBuilder<string, ImmutableDictionary<StatisticCounter, long>>(StringComparer.Ordinal);
        foreach (var (nodeId, builder) in nodes)
        {
            nodeCounters.Add(nodeId, builder.ToImmutable());
        }

        return ValueTask.FromResult(new JourneyStatistics(journeyId, version, journey.ToImmutable(), nodeCounters.ToImmutable()));
    }


    // The caller holds _statisticsLock (as for AddStatisticLocked).
    private void AddStatisticsLocked(IReadOnlyList<StatisticDelta> deltas, long times = 1)
    {
        for (var i = 0; i < deltas.Count; i++)
        {
            AddStatisticLocked(deltas[i], times);
        }
    }

    /// <summary>Adds what a tally counted and forgets its lists (the caller holds the lock that guards the tally; this takes the statistics lock).</summary>
    private void Flush(StatisticTally tally)
    {
        if (tally.IsEmpty)
        {
            return;
        }

        try
        {
            lock (_statisticsLock)
            {
                tally.AddTo(this);
            }
        }
        finally
        {
            tally.Clear();
        }
    }

    private void AddStatisticLocked(in StatisticDelta delta, long times = 1)
    {
        var slot = HashCode.Combine(
            RuntimeHelpers.GetHashCode(delta.JourneyId),
            delta.NodeId is null ? 0 : RuntimeHelpers.GetHashCode(delta.NodeId),
            delta.Version,
            (int)delta.Counter) & (CounterCacheSlots - 1);
        ref var cached = ref _counterCache[slot];
        if (cached.Counter is { } hit && ReferenceEquals(cached.JourneyId, delta.JourneyId) && ReferenceEquals(cached.NodeId, delta.NodeId)
            && cached.Version == delta.Version && cached.Kind == delta.Counter)
        {
            hit.Value += delta.Amount * times;
            return;
        }

        if (!_statistics.TryGetValue(delta.JourneyId, out var counters))
        {
            counters = [];
            _statistics.Add(delta.JourneyId, counters);
        }

        ref var counter = ref CollectionsMarshal.GetValueRefOrAddDefault(counters, new StatisticKey(delta.Version, delta.NodeId, delta.Counter), out _);
        counter ??= new Counter();
        counter.Value += delta.Amount * times;
        cached = new CachedCounter(delta.JourneyId, delta.NodeId, delta.Version, delta.Counter, counter);
    }

    /// <summary>
    /// The delta lists of one commit or one outbox completion, to be added when the call ends (<see cref="Flush"/>):
    /// lists that are the same object (the executor shares one array among runs that counted the same deltas, the
    /// dispatcher one per node and counter) are added once, their amounts times how often they came, instead of once per
    /// enrollment or message. Nothing is added before the call's end, so its statistics become visible with the rest of it.
    /// </summary>
    private sealed class StatisticTally
    {
        private const int Slots = 16;

        private readonly TalliedDeltas[] _slots = new TalliedDeltas[Slots];
        private int _count;

        // Lists pushed out of the slots by many different lists in one call (added at the end like the rest).
        private readonly List<TalliedDeltas> _overflow = [];

        public bool IsEmpty => _count == 0 && _overflow.Count == 0;

        public void Add(IReadOnlyList<StatisticDelta> deltas)
        {
            if (deltas.Count == 0)
            {
                return;
            }

            var slots = _slots;
            for (var i = 0; i < _count; i++)
            {
                if (ReferenceEquals(slots[i].Deltas, deltas))
                {
                    slots[i].Times++;
                    return;
                }
            }

            if (_count == Slots)
            {
                // Many different lists: the oldest moves to the overflow and its place is reused.
                _overflow.Add(slots[0]);
                Array.Copy(slots, 1, slots, 0, Slots - 1);
                _count--;
            }

            slots[_count++] = new TalliedDeltas(deltas, 1);
        }

        /// <summary>Adds every list (the caller holds the statistics lock).</summary>
        public void AddTo(InMemoryEngineStore store)
        {
            foreach (var tallied in _overflow)
            {
                store.AddStatisticsLocked(tallied.Deltas, tallied.Times);
            }

            for (var i = 0; i < _count; i++)
            {
                store.AddStatisticsLocked(_slots[i].Deltas, _slots[i].Times);
            }
        }

        /// <summary>Forgets the lists (also after a call that failed: nothing of it is added).</summary>
        public void Clear()
        {
            Array.Clear(_slots, 0, _count);
            _count = 0;
            _overflow.Clear();
        }
    }

    private struct TalliedDeltas(IReadOnlyList<StatisticDelta> deltas, long times)
    {
        public IReadOnlyList<StatisticDelta> Deltas = deltas;
        public long Times = times;
    }

    private sealed class Counter
    {
        public long Value;
    }

    private readonly record struct CachedCounter(string JourneyId, string? NodeId, int Version, StatisticCounter Kind, Counter Counter);

    private readonly record struct StatisticKey(int Version, string? NodeId, StatisticCounter Counter);
}
