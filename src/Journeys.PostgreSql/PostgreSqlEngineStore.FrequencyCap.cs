using Journeys.Storage;

namespace Journeys.PostgreSql;

/// <content>The frequency cap's record of sends (<see cref="IFrequencyCapStore"/>), in the <c>frequency_sends</c> table, shared by every host.</content>
internal sealed partial class PostgreSqlEngineStore : IFrequencyCapStore
{
    // The call's customers locked with transaction-scoped advisory locks in a fixed order ($1 = customer ids), so two
    // hosts reserving for one customer take turns and cannot deadlock.
    private const string FrequencyLocksSql =
        "SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT DISTINCT hashtextextended('journeys.frequency:{name}:' || c, 0) AS k FROM unnest($1::text[]) AS c ORDER BY k) s";

    // The customers' sends out of the window deleted, and those in it read ($1 = customer ids, $2 = the window's start:
    // a send reserved at or before it no longer counts). The select sees the rows as they were before the delete, so it
    // filters by time too.
    private const string FrequencyReadSql = """
        WITH trimmed AS (DELETE FROM {s}.frequency_sends WHERE customer_id = ANY($1) AND reserved_at <= $2)
        SELECT customer_id, send_key FROM {s}.frequency_sends WHERE customer_id = ANY($1) AND reserved_at > $2
        """;

    private const string FrequencyInsertSql = """
        INSERT INTO {s}.frequency_sends (customer_id, send_key, reserved_at)
        SELECT u.c, u.k, $3 FROM unnest($1::text[], $2::text[]) AS u(c, k)
        ON CONFLICT (customer_id, send_key) DO NOTHING
        """;

    private const string FrequencyReleaseSql = """
        DELETE FROM {s}.frequency_sends f USING unnest($1::text[], $2::text[]) AS u(c, k)
        WHERE f.customer_id = u.c AND f.send_key = u.k
        """;

    /// <inheritdoc />
    /// <remarks>
    /// One transaction, three statements whatever the number of sends: the customers are locked (advisory locks, so
    /// every host's reservations for a customer take turns), their sends out of the window deleted and the others read,
    /// then the sends decided in order and the granted new ones inserted in one statement.
    /// </remarks>
    public async ValueTask<IReadOnlyList<bool>> TryReserveSendsAsync(IReadOnlyList<SendReservation> sends, int cap, TimeSpan window, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        StoreArgumentChecks.SendReservations(sends, nameof(sends));
        StoreArgumentChecks.FrequencyCap(cap, window);
        if (sends.Count == 0)
        {
            return [];
        }

        var customers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var send in sends)
        {
            customers.Add(send.CustomerId);
        }

        var customerIds = customers.ToArray();
        var at = now.ToUniversalTime();
        // Saturated: a window reaching back past DateTimeOffset.MinValue (valid: any positive one is) counts every send.
        var windowStart = (window >= now - DateTimeOffset.MinValue ? DateTimeOffset.MinValue : now - window).ToUniversalTime();
        return await database.InTransactionAsync("reserve frequency-cap sends", async (connection, transaction, token) =>
        {
            using (var locks = database.Command(connection, transaction, FrequencyLocksSql))
            {
                locks.Parameters.Add(Parameter(customerIds));
                await locks.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            }

            var held = new Dictionary<string, HashSet<string>>(customerIds.Length, StringComparer.Ordinal);
            foreach (var customer in customerIds)
            {
                held.Add(customer, new HashSet<string>(StringComparer.Ordinal));
            }

            using (var read = database.Command(connection, transaction, FrequencyReadSql))
            {
                read.Parameters.Add(Parameter(customerIds));
                read.Parameters.Add(Parameter(windowStart));
                using var reader = await read.ExecuteReaderAsync(token).ConfigureAwait(false);
                while (await reader.ReadAsync(token).ConfigureAwait(false))
                {
                    held[reader.GetString(0)].Add(reader.GetString(1));
                }
            }

            var granted = new bool[sends.Count];
            var newCustomers = new List<string>();
            var newKeys = new List<string>();
            for (var i = 0; i < granted.Length; i++)
            {
                var keys = held[sends[i].CustomerId];
                if (keys.Contains(sends[i].Key))
                {
                    granted[i] = true;
                }
                else if (keys.Count < cap)
                {
                    keys.Add(sends[i].Key);
                    newCustomers.Add(sends[i].CustomerId);
                    newKeys.Add(sends[i].Key);
                    granted[i] = true;
                }
            }

            if (newKeys.Count > 0)
            {
                using var insert = database.Command(connection, transaction, FrequencyInsertSql);
                insert.Parameters.Add(Parameter(newCustomers.ToArray()));
                insert.Parameters.Add(Parameter(newKeys.ToArray()));
                insert.Parameters.Add(Parameter(at));
                await insert.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            }

            return (IReadOnlyList<bool>)granted;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask ReleaseSendsAsync(IReadOnlyList<SendReservation> sends, CancellationToken cancellationToken = default)
    {
        StoreArgumentChecks.SendReservations(sends, nameof(sends));
        if (sends.Count == 0)
        {
            return;
        }

        var customers = new string[sends.Count];
        var keys = new string[sends.Count];
        for (var i = 0; i < sends.Count; i++)
        {
            customers[i] = sends[i].CustomerId;
            keys[i] = sends[i].Key;
        }

        await database.ExecuteAsync("release frequency-cap sends", async (connection, token) =>
        {
            using var delete = database.Command(connection, null, FrequencyReleaseSql);
            delete.Parameters.Add(Parameter(customers));
            delete.Parameters.Add(Parameter(keys));
            return await delete.ExecuteNonQueryAsync(token).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<int> PurgeSendsAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default)
    {
        var cutOff = olderThan.ToUniversalTime();
        return database.ExecuteAsync("purge frequency-cap sends", async (connection, token) =>
        {
            using var delete = database.Command(connection, null, "DELETE FROM {s}.frequency_sends WHERE reserved_at <= $1");
            delete.Parameters.Add(Parameter(cutOff));
            return await delete.ExecuteNonQueryAsync(token).ConfigureAwait(false);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<int> EraseCustomerSendsAsync(string customerId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(customerId);
        return database.ExecuteAsync("erase customer sends", async (connection, token) =>
        {
            using var delete = database.Command(connection, null, "DELETE FROM {s}.frequency_sends WHERE customer_id = $1");
            delete.Parameters.Add(Parameter(customerId));
            return await delete.ExecuteNonQueryAsync(token).ConfigureAwait(false);
        }, cancellationToken);
    }
}
