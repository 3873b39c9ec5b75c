using Journeys.Messaging;
using Journeys.Model;
using Journeys.Storage;
using Microsoft.Data.Sqlite;

namespace Journeys.Sqlite;

/// <content>The outbox: pending messages by due time, leased ones by lease expiry, under one index.</content>
internal sealed partial class SqliteEngineStore
{
    private const string OutboxColumns =
        "customer_id, message_id, idempotency_key, channel, campaign_id, body, journey_id, journey_version, node_id, enrollment_id, due_at, attempts";

    // The customer of each message this store claimed and has no result for yet (the primary key starts with the
    // customer id, results name only the message). Touched under the write lock only.
    private readonly Dictionary<string, string> _claimedMessages = new(StringComparer.Ordinal);

    /// <inheritdoc />
    /// <remarks>Releases leases expired at or before <paramref name="now"/> first, then returns due messages earliest first (arrival order among equals).</remarks>
    async ValueTask<IReadOnlyList<OutboxMessage>> IOutboxStore.ClaimAsync(string owner, DateTimeOffset now, int maxItems, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxItems);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);

        // Idle polls find nothing through a reader, without an empty write transaction.
        var anyDue = _database.Read("look for due outbox messages", now.UtcTicks, static (session, now) =>
        {
            var probe = session.Command(
                "SELECT EXISTS (SELECT 1 FROM outbox WHERE sched_kind = 0 AND sched_at <= $now)"
                + " OR EXISTS (SELECT 1 FROM outbox WHERE sched_kind = 1 AND sched_at <= $now)");
            probe.Parameters.AddWithValue("$now", now);
            return probe.ExecuteScalar() is long found && found != 0;
        });
        if (!anyDue)
        {
            return [];
        }

        return await _database.WriteAsync("claim outbox messages", (this, owner, now, maxItems, lease), static (session, s) =>
        {
            var (store, owner, now, maxItems, lease) = s;
            var release = session.Command("UPDATE outbox SET sched_kind = 0, sched_at = due_at WHERE sched_kind = 1 AND sched_at <= $now");
            release.Parameters.AddWithValue("$now", now.UtcTicks);
            release.ExecuteNonQuery();

            var due = session.Command($"SELECT {OutboxColumns} FROM outbox WHERE sched_kind = 0 AND sched_at <= $now ORDER BY sched_at, seq LIMIT $max");
            due.Parameters.AddWithValue("$now", now.UtcTicks);
            due.Parameters.AddWithValue("$max", maxItems);
            var messages = new List<OutboxMessage>();
            using (var reader = due.ExecuteReader())
            {
                while (reader.Read())
                {
                    messages.Add(ReadMessage(reader));
                }
            }

            if (messages.Count > 0)
            {
                // The rows just read, leased with one statement (the same ordered subquery in the same transaction).
                var claim = session.Command("""
                    UPDATE outbox SET sched_kind = 1, sched_at = $expires, lease_owner = $owner
                    WHERE (customer_id, message_id) IN (SELECT customer_id, message_id FROM outbox WHERE sched_kind = 0 AND sched_at <= $now ORDER BY sched_at, seq LIMIT $max)
                    """);
                claim.Parameters.AddWithValue("$expires", (now + lease).UtcTicks);
                claim.Parameters.AddWithValue("$owner", owner);
                claim.Parameters.AddWithValue("$now", now.UtcTicks);
                claim.Parameters.AddWithValue("$max", messages.Count);
                claim.ExecuteNonQuery();
                foreach (var message in messages)
                {
                    store._claimedMessages[message.Message.MessageId] = message.Message.CustomerId;
                }
            }

            return (IReadOnlyList<OutboxMessage>)messages;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// As in the in-memory store: a success or a final failure deletes the message; a failure with a retry time keeps it
    /// due then, with one more attempt; a result for a message that is gone or that another owner claimed since is
    /// ignored, statistic deltas included. One transaction.
    /// </remarks>
    public async ValueTask CompleteAsync(string owner, IReadOnlyList<OutboxResult> results, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        StoreArgumentChecks.OutboxResults(results, nameof(results));

        if (results.Count == 0)
        {
            return;
        }

        await _database.WriteAsync("record outbox results", (this, owner, results), static (session, s) =>
        {
            var (store, owner, results) = s;
            var statistics = new StatisticsBuffer();
            foreach (var result in results)
            {
                if (!store._claimedMessages.TryGetValue(result.MessageId, out var customerId))
                {
                    // Not claimed through this store instance (say, before a restart): find it the slow way.
                    var find = session.Command("SELECT customer_id FROM outbox WHERE message_id = $message");
                    find.Parameters.AddWithValue("$message", result.MessageId);
                    if (find.ExecuteScalar() is not string found)
                    {
                        continue;
                    }

                    customerId = found;
                }

                // Only the current lease holder's result counts: one conditional statement (prepared, parameters reused).
                SqliteStatement change;
                if (result.RetryAt is { } retryAt && !result.Result.IsSuccess)
                {
                    change = session.Statement(
                        "UPDATE outbox SET due_at = $retry, attempts = attempts + 1, lease_owner = NULL, sched_kind = 0, sched_at = $retry WHERE customer_id = $customer AND message_id = $message AND lease_owner = $owner",
                        "$customer", "$message", "$owner", "$retry");
                    change.Bind(3, retryAt.UtcTicks);
                }
                else
                {
                    change = session.Statement("DELETE FROM outbox WHERE customer_id = $customer AND message_id = $message AND lease_owner = $owner", "$customer", "$message", "$owner");
                }

                change.Bind(0, customerId);
                change.Bind(1, result.MessageId);
                change.Bind(2, owner);
                if (change.Execute() == 0)
                {
                    continue;
                }

                statistics.Add(result.Statistics);
            }

            statistics.Write(session);
            foreach (var result in results)
            {
                store._claimedMessages.Remove(result.MessageId);
            }

            return 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// One transaction, one conditional update per message: held means leased (schedule kind 1) to
    /// <paramref name="owner"/> with an expiry after <paramref name="now"/>. Messages this store claimed are found
    /// through the primary key.
    /// </remarks>
    public async ValueTask<IReadOnlyList<bool>> RenewLeasesAsync(string owner, IReadOnlyList<string> messageIds, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(messageIds);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        if (messageIds.Count == 0)
        {
            return [];
        }

        return await _database.WriteAsync("renew outbox leases", (this, owner, messageIds, now, lease), static (session, s) =>
        {
            var (store, owner, ids, now, lease) = s;
            var renewed = new bool[ids.Count];
            for (var i = 0; i < renewed.Length; i++)
            {
                if (ids[i] is not { } id)
                {
                    continue;
                }

                var renew = store._claimedMessages.TryGetValue(id, out var customerId)
                    ? session.Command("UPDATE outbox SET sched_at = max(sched_at, $until) WHERE customer_id = $customer AND message_id = $message AND sched_kind = 1 AND lease_owner = $owner AND sched_at > $now")
                    : session.Command("UPDATE outbox SET sched_at = max(sched_at, $until) WHERE message_id = $message AND sched_kind = 1 AND lease_owner = $owner AND sched_at > $now");
                if (customerId is not null)
                {
                    renew.Parameters.AddWithValue("$customer", customerId);
                }

                renew.Parameters.AddWithValue("$until", (now + lease).UtcTicks);
                renew.Parameters.AddWithValue("$message", id);
                renew.Parameters.AddWithValue("$owner", owner);
                renew.Parameters.AddWithValue("$now", now.UtcTicks);
                renewed[i] = renew.ExecuteNonQuery() > 0;
            }

            return (IReadOnlyList<bool>)renewed;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// One transaction, one conditional update per message: each message leased (schedule kind 1) to
    /// <paramref name="owner"/>, expired or not, is pending again at its due time, as a claim puts back an expired lease
    /// (its owner kept).
    /// </remarks>
    public async ValueTask<IReadOnlyList<bool>> ReleaseLeasesAsync(string owner, IReadOnlyList<string> messageIds, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(messageIds);
        if (messageIds.Count == 0)
        {
            return [];
        }

        return await _database.WriteAsync("release outbox leases", (this, owner, messageIds), static (session, s) =>
        {
            var (store, owner, ids) = s;
            var released = new bool[ids.Count];
            for (var i = 0; i < released.Length; i++)
            {
                if (ids[i] is not { } id)
                {
                    continue;
                }

                var release = store._claimedMessages.TryGetValue(id, out var customerId)
                    ? session.Command("UPDATE outbox SET sched_kind = 0, sched_at = due_at WHERE customer_id = $customer AND message_id = $message AND sched_kind = 1 AND lease_owner = $owner")
                    : session.Command("UPDATE outbox SET sched_kind = 0, sched_at = due_at WHERE message_id = $message AND sched_kind = 1 AND lease_owner = $owner");
                if (customerId is not null)
                {
                    release.Parameters.AddWithValue("$customer", customerId);
                }

                release.Parameters.AddWithValue("$message", id);
                release.Parameters.AddWithValue("$owner", owner);
                released[i] = release.ExecuteNonQuery() > 0;
            }

            return (IReadOnlyList<bool>)released;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>Leased messages are not counted: they come back only with a retry time or when their lease expires.</remarks>
    public ValueTask<DateTimeOffset?> GetNextDueAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_database.Read("read the next outbox message", 0, static (session, _) =>
            session.Command("SELECT sched_at FROM outbox WHERE sched_kind = 0 ORDER BY sched_at, seq LIMIT 1").ExecuteScalar() is long ticks
                ? SqliteValues.Time(ticks)
                : (DateTimeOffset?)null));
    }

    /// <summary>
    /// Inserts a checkpoint's message: pending (schedule kind 0 at its due time), or, handed over by the commit
    /// (<paramref name="leaseOwner"/> set), leased to that owner until <paramref name="leaseExpiresAt"/> (kind 1 at the expiry).
    /// </summary>
    private void AddOutbox(SqliteSession session, OutboxMessage entry, int index, string? leaseOwner, DateTimeOffset leaseExpiresAt)
    {
        var message = entry.Message;
        var insert = session.Statement(
            $"""
            INSERT INTO outbox ({OutboxColumns}, lease_owner, sched_kind, sched_at, seq)
            VALUES ($customer, $message, $key, $channel, $campaign, $body, $journey, $version, $node, $enrollment, $due, $attempts, $owner, $kind, $sched, $seq)
            """,
            "$customer", "$message", "$key", "$channel", "$campaign", "$body", "$journey", "$version", "$node", "$enrollment", "$due", "$attempts", "$seq", "$owner", "$kind", "$sched");
        insert.Bind(0, message.CustomerId);
        insert.Bind(1, message.MessageId);
        insert.Bind(2, message.IdempotencyKey);
        insert.Bind(3, message.Channel.Name);
        insert.Bind(4, message.CampaignId);
        insert.Bind(5, message.Body);
        insert.Bind(6, message.JourneyId);
        insert.Bind(7, message.JourneyVersion);
        insert.Bind(8, message.NodeId);
        if (entry.EnrollmentId is { } id)
        {
            insert.Bind(9, id);
        }
        else
        {
            insert.BindNull(9);
        }

        insert.Bind(10, entry.DueAt.UtcTicks);
        insert.Bind(11, entry.Attempts);
        insert.Bind(12, ++_database.OutboxSequence);
        insert.Bind(13, leaseOwner);
        insert.Bind(14, leaseOwner is null ? 0 : 1);
        insert.Bind(15, leaseOwner is null ? entry.DueAt.UtcTicks : leaseExpiresAt.UtcTicks);
        try
        {
            insert.Execute();
        }
        catch (SqliteException ex) when (ex.SqliteExtendedErrorCode is 1555 or 2067)
        {
            throw new ArgumentException($"Checkpoint at index {index} adds outbox message '{message.MessageId}', which is already pending; nothing was written.", ex);
        }

        if (leaseOwner is not null)
        {
            // As a claim does: the result and renewals find the row through its primary key. A rolled-back commit leaves
            // an entry whose conditional statements match no row.
            _claimedMessages[message.MessageId] = message.CustomerId;
        }
    }

    private static OutboxMessage ReadMessage(SqliteDataReader reader) => new(
        new OutboundMessage(
            reader.GetString(1),
            reader.GetString(2),
            new Channel(reader.GetString(3)),
            reader.GetString(4),
            reader.GetString(0),
            reader.GetString(5),
            SqliteValues.NullableText(reader, 6),
            reader.GetInt32(7),
            SqliteValues.NullableText(reader, 8)),
        reader.IsDBNull(9) ? null : SqliteValues.Id(reader, 9),
        SqliteValues.Time(reader.GetInt64(10)),
        reader.GetInt32(11));
}
