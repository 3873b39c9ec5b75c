using System.Collections.Immutable;
using Journeys.Storage;
using Npgsql;

namespace Journeys.PostgreSql;

/// <content>
/// Statistics: counters per journey, version, node ('' for the journey as a whole) and counter, each spread over
/// <see cref="PostgreSqlSchema.StatisticSlots"/> rows: a statement adds to the rows of one slot, taken in turn, and
/// reads sum the slots, so concurrent commits on several shards and hosts seldom wait for the same counter row.
/// </content>
internal sealed partial class PostgreSqlEngineStore
{
    /// <inheritdoc />
    public async ValueTask AddAsync(IReadOnlyList<StatisticDelta> deltas, CancellationToken cancellationToken = default)
    {
        StoreArgumentChecks.Statistics(deltas, nameof(deltas));
        if (deltas.Count == 0)
        {
            return;
        }

        // Increments: an attempt retried after its COMMIT's reply was lost must not add them again.
        await database.InTransactionOnceAsync("add statistics", async (connection, transaction, token) =>
        {
            await AddStatisticsAsync(connection, transaction, deltas, token).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<JourneyStatistics> GetAsync(string journeyId, int? version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(journeyId);
        return database.ExecuteAsync("get statistics", async (connection, token) =>
        {
            var journey = ImmutableDictionary.CreateBuilder<StatisticCounter, long>();
            var nodes = new Dictionary<string, ImmutableDictionary<StatisticCounter, long>.Builder>(StringComparer.Ordinal);
            using (var command = database.Command(connection, null,
                "SELECT node_id, counter, sum(value)::bigint FROM {s}.statistics WHERE journey_id = $1 AND ($2::int IS NULL OR version = $2) GROUP BY node_id, counter"))
            {
                command.Parameters.Add(Parameter(journeyId));
                command.Parameters.Add(new NpgsqlParameter { Value = version is { } v ? v : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
                using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
                while (await reader.ReadAsync(token).ConfigureAwait(false))
                {
                    var nodeId = reader.GetString(0);
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

                    target[(StatisticCounter)reader.GetInt16(1)] = reader.GetInt64(2);
                }
            }

            var nodeCounters = ImmutableDictionary.CreateBuilder<string, ImmutableDictionary<StatisticCounter, long>>(StringComparer.Ordinal);
            foreach (var (nodeId, builder) in nodes)
            {
                nodeCounters.Add(nodeId, builder.ToImmutable());
            }

            return new JourneyStatistics(journeyId, version, journey.ToImmutable(), nodeCounters.ToImmutable());
        }, cancellationToken);
    }

    // Store instances (hosts) start at different slots (by process and instance) and go round them, so statements running
    // at once, here or on other hosts, mostly write different counter rows (see the type's remarks).
    private static int s_instances;
    private int _statisticSlot = (Environment.ProcessId * 7) + (Interlocked.Increment(ref s_instances) * 5);

    private short StatisticSlot() => (short)((uint)Interlocked.Increment(ref _statisticSlot) % PostgreSqlSchema.StatisticSlots);


    // Summed per counter first, then upserted in key order (so concurrent commits lock counter rows in one order: no deadlock).
    private async ValueTask AddStatisticsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<StatisticDelta> deltas, CancellationToken token)
    {
        if (deltas.Count == 0)
        {
            return;
        }

        var sums = new SortedDictionary<(string Journey, int Version, string Node, short Counter), long>(StatisticKeyComparer.Instance);
        foreach (var delta in deltas)
        {
            var key = (delta.JourneyId, delta.Version, delta.NodeId ?? string.Empty, (short)delta.Counter);
            sums[key] = sums.GetValueOrDefault(key) + delta.Amount;
        }

        using var command = database.Command(connection, transaction, """
            INSERT INTO {s}.statistics (journey_id, version, node_id, counter, slot, value)
            SELECT u.j, u.v, u.n, u.k, $6, u.amount FROM unnest($1::text[], $2::int[], $3::text[], $4::smallint[], $5::bigint[]) AS u(j, v, n, k, amount)
            ON CONFLICT (journey_id, version, node_id, counter, slot) DO UPDATE SET value = {s}.statistics.value + excluded.value
            """);
        command.Parameters.Add(Parameter(sums.Keys.Select(static k => k.Journey).ToArray()));
        command.Parameters.Add(Parameter(sums.Keys.Select(static k => k.Version).ToArray()));
        command.Parameters.Add(Parameter(sums.Keys.Select(static k => k.Node).ToArray()));
        command.Parameters.Add(Parameter(sums.Keys.Select(static k => k.Counter).ToArray()));
        command.Parameters.Add(Parameter(sums.Values.ToArray()));
        command.Parameters.Add(Parameter(StatisticSlot()));
        await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
    }

    private sealed class StatisticKeyComparer : IComparer<(string Journey, int Version, string Node, short Counter)>
    {
        public static readonly StatisticKeyComparer Instance = new();

        public int Compare((string Journey, int Version, string Node, short Counter) x, (string Journey, int Version, string Node, short Counter) y) =>
            string.CompareOrdinal(x.Journey, y.Journey) is var c and not 0 ? c
            : x.Version.CompareTo(y.Version) is var v and not 0 ? v
            : string.CompareOrdinal(x.Node, y.Node) is var n and not 0 ? n
            : x.Counter.CompareTo(y.Counter);
    }
}
