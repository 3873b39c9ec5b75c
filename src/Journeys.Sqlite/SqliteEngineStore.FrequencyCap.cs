using Journeys.Storage;

namespace Journeys.Sqlite;

/// <content>The frequency cap's record of sends (<see cref="IFrequencyCapStore"/>), in the <c>frequency_sends</c> table.</content>
internal sealed partial class SqliteEngineStore : IFrequencyCapStore
{
    /// <inheritdoc />
    /// <remarks>
    /// One write transaction (the database's one writer makes it atomic for every host and process on the file): per
    /// customer of the call, the sends out of the window are deleted and the rest read through the primary key; the
    /// sends are then decided in order and the granted new ones inserted.
    /// </remarks>
    public ValueTask<IReadOnlyList<bool>> TryReserveSendsAsync(IReadOnlyList<SendReservation> sends, int cap, TimeSpan window, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        StoreArgumentChecks.SendReservations(sends, nameof(sends));
        StoreArgumentChecks.FrequencyCap(cap, window);
        if (sends.Count == 0)
        {
            return ValueTask.FromResult<IReadOnlyList<bool>>([]);
        }

        return _database.WriteAsync("reserve frequency-cap sends", (sends, cap, window, now), static (session, call) => (IReadOnlyList<bool>)Reserve(session, call.sends, call.cap, call.window, call.now), cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask ReleaseSendsAsync(IReadOnlyList<SendReservation> sends, CancellationToken cancellationToken = default)
    {
        StoreArgumentChecks.SendReservations(sends, nameof(sends));
        if (sends.Count == 0)
        {
            return;
        }

        await _database.WriteAsync("release frequency-cap sends", sends, static (session, sends) =>
        {
            foreach (var send in sends)
            {
                var delete = session.Command("DELETE FROM frequency_sends WHERE customer_id = $customer AND send_key = $key");
                delete.Parameters.AddWithValue("$customer", send.CustomerId);
                delete.Parameters.AddWithValue("$key", send.Key);
                delete.ExecuteNonQuery();
            }

            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<int> PurgeSendsAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default) =>
        _database.WriteAsync("purge frequency-cap sends", SqliteValues.Ticks(olderThan), static (session, cutOff) =>
        {
            var delete = session.Command("DELETE FROM frequency_sends WHERE reserved_at <= $cutOff");
            delete.Parameters.AddWithValue("$cutOff", cutOff);
            return delete.ExecuteNonQuery();
        }, cancellationToken);

    /// <inheritdoc />
    public ValueTask<int> EraseCustomerSendsAsync(string customerId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(customerId);
        return _database.WriteAsync("erase customer sends", customerId, static (session, customerId) =>
        {
            var delete = session.Command("DELETE FROM frequency_sends WHERE customer_id = $customer");
            delete.Parameters.AddWithValue("$customer", customerId);
            return delete.ExecuteNonQuery();
        }, cancellationToken);
    }

    // In the caller's write transaction: each customer's sends in the window (older ones deleted), then the decisions.
    private static bool[] Reserve(SqliteSession session, IReadOnlyList<SendReservation> sends, int cap, TimeSpan window, DateTimeOffset now)
    {
        // Saturated: a window reaching back past DateTimeOffset.MinValue (valid: any positive one is) counts every send.
        var cutOff = SqliteValues.Ticks(window >= now - DateTimeOffset.MinValue ? DateTimeOffset.MinValue : now - window);
        var held = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var send in sends)
        {
            if (held.ContainsKey(send.CustomerId))
            {
                continue;
            }

            var trim = session.Command("DELETE FROM frequency_sends WHERE customer_id = $customer AND reserved_at <= $cutOff");
            trim.Parameters.AddWithValue("$customer", send.CustomerId);
            trim.Parameters.AddWithValue("$cutOff", cutOff);
            trim.ExecuteNonQuery();

            var keys = new HashSet<string>(StringComparer.Ordinal);
            var read = session.Command("SELECT send_key FROM frequency_sends WHERE customer_id = $customer");
            read.Parameters.AddWithValue("$customer", send.CustomerId);
            using (var reader = read.ExecuteReader())
            {
                while (reader.Read())
                {
                    keys.Add(reader.GetString(0));
                }
            }

            held.Add(send.CustomerId, keys);
        }

        var granted = new bool[sends.Count];
        var at = SqliteValues.Ticks(now);
        for (var i = 0; i < granted.Length; i++)
        {
            var keys = held[sends[i].CustomerId];
            if (keys.Contains(sends[i].Key))
            {
                granted[i] = true;
                continue;
            }

            if (keys.Count >= cap)
            {
                continue;
            }

            var insert = session.Command("INSERT INTO frequency_sends (customer_id, send_key, reserved_at) VALUES ($customer, $key, $at)");
            insert.Parameters.AddWithValue("$customer", sends[i].CustomerId);
            insert.Parameters.AddWithValue("$key", sends[i].Key);
            insert.Parameters.AddWithValue("$at", at);
            insert.ExecuteNonQuery();
            keys.Add(sends[i].Key);
            granted[i] = true;
        }

        return granted;
    }
}
