using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace Journeys.Storage.InMemory;

/// <content>Statistics: counters per journey, version, node (or the journey as a whole) and counter.</content>
internal sealed partial class InMemoryEngineStore
{
    private readonly Dictionary<string, Dictionary<StatisticKey, long>> _statistics = new(StringComparer.Ordinal);
    private string? _lastStatisticsJourney;
    private Dictionary<StatisticKey, long>? _lastStatisticsCounters;

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

                    target[key.Counter] = target.GetValueOrDefault(key.Counter) + value;
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

    private void AddStatisticsLocked(IReadOnlyList<StatisticDelta> deltas)
    {
        for (var i = 0; i < deltas.Count; i++)
        {
            AddStatisticLocked(deltas[i]);
        }
    }

    private void AddStatisticLocked(in StatisticDelta delta)
    {
        // Deltas come in runs of one journey (a checkpoint, a batch): the last journey's counters are kept at hand,
        // found again by reference (journeys are never removed from the map, so the cached counters stay valid).
        var counters = _lastStatisticsCounters;
        if (counters is null || !ReferenceEquals(delta.JourneyId, _lastStatisticsJourney))
        {
            if (!_statistics.TryGetValue(delta.JourneyId, out counters))
            {
                counters = [];
                _statistics.Add(delta.JourneyId, counters);
            }

            _lastStatisticsJourney = delta.JourneyId;
            _lastStatisticsCounters = counters;
        }

        // One lookup for the read and the write.
        CollectionsMarshal.GetValueRefOrAddDefault(counters, new StatisticKey(delta.Version, delta.NodeId, delta.Counter), out _) += delta.Amount;
    }

    private readonly record struct StatisticKey(int Version, string? NodeId, StatisticCounter Counter);
}
