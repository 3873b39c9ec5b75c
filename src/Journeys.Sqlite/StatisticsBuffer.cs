using Journeys.Storage;

namespace Journeys.Sqlite;

/// <summary>Sums the statistic deltas of one transaction so each counter row is written once.</summary>
internal sealed class StatisticsBuffer
{
    private readonly Dictionary<(string Journey, int Version, string Node, StatisticCounter Counter), long> _sums = [];

    public void Add(IReadOnlyList<StatisticDelta> deltas)
    {
        for (var i = 0; i < deltas.Count; i++)
        {
            Add(deltas[i]);
        }
    }

    public void Add(in StatisticDelta delta)
    {
        var key = (delta.JourneyId, delta.Version, delta.NodeId ?? string.Empty, delta.Counter);
        _sums[key] = _sums.GetValueOrDefault(key) + delta.Amount;
    }

    public void Write(SqliteSession session)
    {
        foreach (var ((journey, version, node, counter), amount) in _sums)
        {
            var command = session.Command("""
                INSERT INTO statistics (journey_id, version, node_id, counter, value) VALUES ($journey, $version, $node, $counter, $amount)
                ON CONFLICT (journey_id, version, node_id, counter) DO UPDATE SET value = value + excluded.value
                """);
            command.Parameters.AddWithValue("$journey", journey);
            command.Parameters.AddWithValue("$version", version);
            command.Parameters.AddWithValue("$node", node);
            command.Parameters.AddWithValue("$counter", (int)counter);
            command.Parameters.AddWithValue("$amount", amount);
            command.ExecuteNonQuery();
        }
    }
}
