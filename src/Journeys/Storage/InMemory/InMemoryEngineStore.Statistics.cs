using System.Collections.Immutable;

namespace Journeys.Storage.InMemory;

/// <content>Statistics: counters per journey, version, node (or the journey as a whole) and counter.</content>
internal sealed partial class InMemoryEngineStore
{
    private readonly Dictionary<string, Dictionary<StatisticKey, long>> _statistics = new(StringComparer.Ordinal);

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
        foreach (var delta in deltas)
        {
            AddStatisticLocked(delta);
        }
    }

    private void AddStatisticLocked(in StatisticDelta delta)
    {
        if (!_statistics.TryGetValue(delta.JourneyId, out var counters))
        {
            counters = [];
            _statistics.Add(delta.JourneyId, counters);
        }

        var key = new StatisticKey(delta.Version, delta.NodeId, delta.Counter);
        counters[key] = counters.GetValueOrDefault(key) + delta.Amount;
    }

    private readonly record struct StatisticKey(int Version, string? NodeId, StatisticCounter Counter);
}
