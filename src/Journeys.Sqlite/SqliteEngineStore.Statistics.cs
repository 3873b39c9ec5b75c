using System.Collections.Immutable;
using Journeys.Storage;

namespace Journeys.Sqlite;

/// <content>Statistics: one row per journey, version, node ('' for the journey as a whole) and counter.</content>
internal sealed partial class SqliteEngineStore
{
    /// <inheritdoc />
    public async ValueTask AddAsync(IReadOnlyList<StatisticDelta> deltas, CancellationToken cancellationToken = default)
    {
        StoreArgumentChecks.Statistics(deltas, nameof(deltas));
        if (deltas.Count == 0)
        {
            return;
        }

        await _database.WriteAsync("add statistics", deltas, static (session, deltas) =>
        {
            var buffer = new StatisticsBuffer();
            buffer.Add(deltas);
            buffer.Write(session);
            return 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<JourneyStatistics> GetAsync(string journeyId, int? version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(journeyId);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_database.Read("read statistics", (journeyId, version), static (session, s) =>
        {
            var command = session.Command("SELECT node_id, counter, value FROM statistics WHERE journey_id = $journey AND ($version IS NULL OR version = $version)");
            command.Parameters.AddWithValue("$journey", s.journeyId);
            command.Parameters.AddWithValue("$version", s.version is { } v ? v : DBNull.Value);
            var journey = ImmutableDictionary.CreateBuilder<StatisticCounter, long>();
            var nodes = new Dictionary<string, ImmutableDictionary<StatisticCounter, long>.Builder>(StringComparer.Ordinal);
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    var nodeId = reader.GetString(0);
                    var counter = (StatisticCounter)reader.GetInt32(1);
                    ImmutableDictionary<StatisticCounter, long>.Builder target;
                    if (nodeId.Length == 0)
                    {
                        target = journey;
                    }
                    else if (!nodes.TryGetValue(nodeId, out target!))
                    {
                        target = ImmutableDictionary.CreateBuilder<StatisticCounter, long>();
                        nodes.Add(nodeId, target);
                    }

                    target[counter] = target.GetValueOrDefault(counter) + reader.GetInt64(2);
                }
            }

            var nodeCounters = ImmutableDictionary.CreateBuilder<string, ImmutableDictionary<StatisticCounter, long>>(StringComparer.Ordinal);
            foreach (var (nodeId, builder) in nodes)
            {
                nodeCounters.Add(nodeId, builder.ToImmutable());
            }

            return new JourneyStatistics(s.journeyId, s.version, journey.ToImmutable(), nodeCounters.ToImmutable());
        }));
    }

}
