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

    // TallyLocked's lists of one call (under the lock), and how often each came.
    private readonly TalliedDeltas[] _tally = new TalliedDeltas[TallySlots];
    private int _tallyCount;

    private const int TallySlots = 16;

    /// <inheritdoc />
    public ValueTask AddAsync(IReadOnlyList<StatisticDelta> deltas, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deltas);
        ValidateDeltas(deltas, nameof(deltas));
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
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
        lock (_lock)
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

    private static void ValidateDeltas(IReadOnlyList<StatisticDelta> deltas, string parameterName)
    {
        for (var i = 0; i < deltas.Count; i++)
        {
            if (string.IsNullOrEmpty(deltas[i].JourneyId))
            {
                throw new ArgumentException($"Statistic delta at index {i} has no journey id.", parameterName);
            }
        }
    }

    private void AddStatisticsLocked(IReadOnlyList<StatisticDelta> deltas, long times = 1)
    {
        for (var i = 0; i < deltas.Count; i++)
        {
            AddStatisticLocked(deltas[i], times);
        }
    }

    /// <summary>
    /// Counts a list of deltas for a commit or an outbox completion, to be added when the call ends
    /// (<see cref="FlushTallyLocked"/>): lists that are the same object (the executor shares one array among runs that
    /// counted the same deltas, the dispatcher one per node and counter) are added once, their amounts times how often
    /// they came, instead of once per enrollment or message.
    /// </summary>
    private void TallyLocked(IReadOnlyList<StatisticDelta> deltas)
    {
        if (deltas.Count == 0)
        {
            return;
        }

        var tally = _tally;
        for (var i = 0; i < _tallyCount; i++)
        {
            if (ReferenceEquals(tally[i].Deltas, deltas))
            {
                tally[i].Times++;
                return;
            }
        }

        if (_tallyCount == tally.Length)
        {
            // Many different lists: the oldest is added now and its place reused.
            AddStatisticsLocked(tally[0].Deltas, tally[0].Times);
            Array.Copy(tally, 1, tally, 0, tally.Length - 1);
            _tallyCount--;
        }

        tally[_tallyCount++] = new TalliedDeltas(deltas, 1);
    }

    /// <summary>Adds what <see cref="TallyLocked"/> counted and forgets the lists (a call's statistics become visible with the rest of it, under the same lock).</summary>
    private void FlushTallyLocked()
    {
        for (var i = 0; i < _tallyCount; i++)
        {
            AddStatisticsLocked(_tally[i].Deltas, _tally[i].Times);
            _tally[i] = default;
        }

        _tallyCount = 0;
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
