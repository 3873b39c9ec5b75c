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
            var command = session.Statement(
                """
                INSERT INTO statistics (journey_id, version, node_id, counter, value) VALUES ($journey, $version, $node, $counter, $amount)
                ON CONFLICT (journey_id, version, node_id, counter) DO UPDATE SET value = value + excluded.value
                """,
                "$journey", "$version", "$node", "$counter", "$amount");
            command.Bind(0, journey);
            command.Bind(1, version);
            command.Bind(2, node);
            command.Bind(3, (int)counter);
            command.Bind(4, amount);
            command.Execute();
        }
    }
}
