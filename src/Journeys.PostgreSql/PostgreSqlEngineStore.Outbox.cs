using System.Globalization;
using Journeys.Messaging;
using Journeys.Model;
using Journeys.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Journeys.PostgreSql;

/// <content>The outbox: pending messages by due time, claimed with leases.</content>
internal sealed partial class PostgreSqlEngineStore
{
    // Applies the results of messages still leased to $2 (locked by the statement before it in the batch, so this one's
    // snapshot sees them as they are): $1 = ids to delete, $3/$4 = ids and times to retry; then the deltas ($5 = message
    // id of each) of the results applied, summed per counter row and upserted in key order as every statistics write is.
    // The rows to delete are found one id at a time through the key, message id first since schema version 6 (a LATERAL subquery with OFFSET 0 cannot
    // be turned into a join) and deleted by their row address: with `message_id = ANY ($1)` the planner, misled by the
    // statistics of a table that has just grown, scanned the whole outbox for every completion.
    private const string CompleteOutboxSql = """
        WITH d AS (DELETE FROM {s}.outbox o WHERE o.ctid = ANY (ARRAY(SELECT x.ctid FROM unnest($1::text[]) AS u(id)
                CROSS JOIN LATERAL (SELECT m.ctid FROM {s}.outbox m WHERE m.message_id = u.id AND m.lease_owner = $2 OFFSET 0) AS x))
            AND o.lease_owner = $2 RETURNING o.message_id),
        r AS (UPDATE {s}.outbox o SET due_at = u.at, attempts = o.attempts + 1, lease_owner = NULL, lease_expires_at = NULL
            FROM unnest($3::text[], $4::timestamptz[]) AS u(id, at) WHERE o.message_id = u.id AND o.lease_owner = $2 RETURNING o.message_id),
        settled AS (SELECT message_id FROM d UNION ALL SELECT message_id FROM r)
        INSERT INTO {s}.statistics (journey_id, version, node_id, counter, slot, value)
        SELECT x.j, x.v, x.n, x.k, $11, sum(x.amount)::bigint
        FROM unnest($5::text[], $6::text[], $7::int[], $8::text[], $9::smallint[], $10::bigint[]) AS x(m, j, v, n, k, amount)
        WHERE x.m IN (SELECT message_id FROM settled)
        GROUP BY x.j, x.v, x.n, x.k
        ORDER BY x.j COLLATE "C", x.v, x.n COLLATE "C", x.k
        ON CONFLICT (journey_id, version, node_id, counter, slot) DO UPDATE SET value = {s}.statistics.value + excluded.value
        """;

    // $1 = now, $3 = owner, $4 = lease expiry; {limit} = max items, written into the text (see OutboxClaimSql).
    private const string OutboxClaimSqlTemplate =
        "WITH p AS (SELECT customer_id, message_id, row_number() OVER (ORDER BY due_at, created_order) AS ord FROM ("
        + " SELECT customer_id, message_id, due_at, created_order FROM {s}.outbox WHERE lease_expires_at IS NULL AND due_at <= $1"
        + " ORDER BY due_at, created_order LIMIT {limit} FOR UPDATE SKIP LOCKED) d)"
        + " UPDATE {s}.outbox o SET lease_owner = $2, lease_expires_at = $3 FROM p WHERE o.customer_id = p.customer_id AND o.message_id = p.message_id"
        + " RETURNING p.ord, o.message_id, o.idempotency_key, o.channel, o.campaign_id, o.customer_id, o.body, o.journey_id, o.journey_version, o.node_id,"
        + " o.enrollment_id, o.due_at, o.attempts";

    // The last outbox claim statement made (a claim size and its text): a dispatcher claims with one size.
    private ClaimStatement? _outboxClaimStatement;

    /// <summary>
    /// The outbox claim for <paramref name="maxItems"/>, its size a literal in the text as the enrollment claim's is
    /// (<see cref="ClaimSql"/>): with <c>LIMIT $2</c> the generic plan assumed a tenth of the table, and in the default
    /// plan mode every one of a connection's first five executions is planned again (a custom plan), which on a pool
    /// of short-lived uses was every claim (RESULTS.md, wt-pg7 and wt-pg8).
    /// </summary>
    private string OutboxClaimSql(int maxItems)
    {
        var statement = _outboxClaimStatement;
        if (statement is null || statement.MaxItems != maxItems)
        {
            statement = new ClaimStatement(maxItems, database.Sql(OutboxClaimSqlTemplate.Replace("{limit}", maxItems.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)));
            _outboxClaimStatement = statement;
        }

        return statement.Sql;
    }

    /// <inheritdoc />
    /// <remarks>
    /// One round trip, one implicit transaction (one <see cref="NpgsqlBatch"/>, one Sync): leases that expired by <paramref name="now"/> are released (the owner stays
    /// recorded, so its late result still counts until someone else claims), then due, unleased messages are taken
    /// earliest first with <c>FOR UPDATE SKIP LOCKED</c> and leased to <paramref name="owner"/>.
    /// </remarks>
    ValueTask<IReadOnlyList<OutboxMessage>> IOutboxStore.ClaimAsync(string owner, DateTimeOffset now, int maxItems, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxItems);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        var at = Utc(now);
        return database.ExecuteAsync<IReadOnlyList<OutboxMessage>>("claim outbox", async (connection, token) =>
        {
            var batch = new NpgsqlBatch(connection);
            await using (batch.ConfigureAwait(false))
            {
                // Generic plans (see GenericPlanSql), the size a literal in the claim's text (see OutboxClaimSql).
                batch.BatchCommands.Add(new NpgsqlBatchCommand(GenericPlanSql));

                // The expired rows, locked, are updated by their row address: joined by key, the planner hash-joined a
                // sequential scan of the whole outbox into every claim, even when nothing had expired.
                var expire = new NpgsqlBatchCommand(database.Sql(
                    "UPDATE {s}.outbox o SET lease_expires_at = NULL WHERE o.ctid = ANY (ARRAY(SELECT x.ctid FROM {s}.outbox x WHERE x.lease_expires_at <= $1"
                    + " ORDER BY x.lease_expires_at, x.created_order FOR UPDATE SKIP LOCKED)) AND o.lease_expires_at <= $1"));
                expire.Parameters.Add(Parameter(at));
                var claim = new NpgsqlBatchCommand(OutboxClaimSql(maxItems));
                claim.Parameters.Add(Parameter(at));
                claim.Parameters.Add(Parameter(owner));
                claim.Parameters.Add(Parameter(Utc(now + lease)));
                batch.BatchCommands.Add(expire);
                batch.BatchCommands.Add(claim);
                var claimed = new List<(long Order, OutboxMessage Message)>();
                // The expiry UPDATE has no result of its own: after set_config's row the reader's next result is the
                // claim's rows. Prepared, as commits are.
                await batch.PrepareAsync(token).ConfigureAwait(false);
                using var reader = await batch.ExecuteReaderAsync(token).ConfigureAwait(false);
                await reader.NextResultAsync(token).ConfigureAwait(false);
                while (await reader.ReadAsync(token).ConfigureAwait(false))
                {
                    var message = new OutboundMessage(
                        reader.GetString(1),
                        reader.GetString(2),
                        new Channel(reader.GetString(3)),
                        reader.GetString(4),
                        reader.GetString(5),
                        OutboxBodyText.Decode(reader.GetString(6)),
                        reader.IsDBNull(7) ? null : reader.GetString(7),
                        reader.GetInt32(8),
                        reader.IsDBNull(9) ? null : reader.GetString(9));
                    claimed.Add((reader.GetInt64(0), new OutboxMessage(
                        message,
                        reader.IsDBNull(10) ? null : reader.GetGuid(10),
                        reader.GetFieldValue<DateTimeOffset>(11),
                        reader.GetInt32(12))));
                }

                claimed.Sort(static (x, y) => x.Order.CompareTo(y.Order));
                return claimed.ConvertAll(static c => c.Message);
            }
        }, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// One round trip, one implicit transaction (one <see cref="NpgsqlBatch"/>, one Sync): the messages still leased to
    /// <paramref name="owner"/> are locked in primary-key order (as renewals lock them); then one statement applies their
    /// results (deleted, or kept for a retry with one more attempt and the lease released) and adds the statistic deltas
    /// of exactly the results it applied, summed per counter row in key order. Results for messages that are gone or
    /// that another owner claimed since are ignored, deltas included.
    /// </remarks>
    public async ValueTask CompleteAsync(string owner, IReadOnlyList<OutboxResult> results, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        StoreArgumentChecks.OutboxResults(results, nameof(results));

        if (results.Count == 0)
        {
            return;
        }

        // A second result for one message in the call finds it already settled, as the in-memory store does: the first counts.
        var seen = new HashSet<string>(results.Count, StringComparer.Ordinal);
        var all = new List<string>(results.Count);
        var deleted = new List<string>();
        var retried = new List<string>();
        var retryAts = new List<DateTimeOffset>();
        var deltas = new List<(string MessageId, StatisticDelta Delta)>();
        foreach (var result in results)
        {
            if (!seen.Add(result.MessageId))
            {
                continue;
            }

            all.Add(result.MessageId);
            if (result.RetryAt is { } retryAt && !result.Result.IsSuccess)
            {
                retried.Add(result.MessageId);
                retryAts.Add(Utc(retryAt));
            }
            else
            {
                deleted.Add(result.MessageId);
            }

            foreach (var delta in result.Statistics)
            {
                deltas.Add((result.MessageId, delta));
            }
        }

        await database.ExecuteAsync("complete outbox", async (connection, token) =>
        {
            var batch = new NpgsqlBatch(connection);
            await using (batch.ConfigureAwait(false))
            {
                var lockRows = new NpgsqlBatchCommand(database.Sql(
                    "SELECT message_id FROM {s}.outbox WHERE message_id = ANY ($1) AND lease_owner = $2 ORDER BY customer_id, message_id FOR UPDATE"));
                lockRows.Parameters.Add(Parameter(all.ToArray()));
                lockRows.Parameters.Add(Parameter(owner));
                var settle = new NpgsqlBatchCommand(database.Sql(CompleteOutboxSql));
                var p = settle.Parameters;
                p.Add(Parameter(deleted.ToArray()));
                p.Add(Parameter(owner));
                p.Add(Parameter(retried.ToArray()));
                p.Add(Parameter(retryAts.ToArray()));
                UnnestColumns.Add(p, deltas, static d => d.MessageId);
                UnnestColumns.Add(p, deltas, static d => d.Delta.JourneyId);
                UnnestColumns.Add(p, deltas, static d => d.Delta.Version);
                UnnestColumns.Add(p, deltas, static d => d.Delta.NodeId ?? string.Empty);
                UnnestColumns.Add(p, deltas, static d => (short)d.Delta.Counter);
                UnnestColumns.Add(p, deltas, static d => d.Delta.Amount);
                p.Add(Parameter(StatisticSlot()));
                // Generic plans (see GenericPlanSql): both statements' arrays are probed one id at a time through the
                // message-id index whatever their length, so the plan does not depend on the values.
                batch.BatchCommands.Add(new NpgsqlBatchCommand(GenericPlanSql));
                batch.BatchCommands.Add(lockRows);
                batch.BatchCommands.Add(settle);
                await batch.PrepareAsync(token).ConfigureAwait(false);
                await batch.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            }

            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>One statement, held rows locked in primary-key order (as results lock them) and re-checked after the lock.</remarks>
    public ValueTask<IReadOnlyList<bool>> RenewLeasesAsync(string owner, IReadOnlyList<string> messageIds, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(messageIds);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        if (messageIds.Count == 0)
        {
            return ValueTask.FromResult<IReadOnlyList<bool>>([]);
        }

        var ids = messageIds.ToArray();
        return RenewAsync("renew outbox leases", "outbox", "message_id", () => NullableArray(ids, NpgsqlDbType.Text), ids, static (reader, i) => reader.GetString(i), StringComparer.Ordinal, owner, now, lease, cancellationToken);
    }

    /// <summary>
    /// Moves the lease expiry of the rows of <paramref name="table"/> still held by <paramref name="owner"/> (one
    /// statement: held rows locked in primary-key order, as commits and results lock them, and re-checked after the lock).
    /// </summary>
    /// <returns>For each id, in order, whether its lease was held and is renewed.</returns>
    private ValueTask<IReadOnlyList<bool>> RenewAsync<TId>(
        string operation,
        string table,
        string idColumn,
        Func<NpgsqlParameter> idsParameter,
        TId?[] ids,
        Func<NpgsqlDataReader, int, TId> readId,
        IEqualityComparer<TId> comparer,
        string owner,
        DateTimeOffset now,
        TimeSpan lease,
        CancellationToken cancellationToken)
        where TId : notnull =>
        database.ExecuteAsync<IReadOnlyList<bool>>(operation, async (connection, token) =>
        {
            using var command = database.Command(connection, null,
                $"WITH l AS (SELECT customer_id, {idColumn} FROM {{s}}.{table} WHERE {idColumn} = ANY ($1) AND lease_owner = $2 AND lease_expires_at > $3"
                + $" ORDER BY customer_id, {idColumn} FOR UPDATE)"
                + $" UPDATE {{s}}.{table} t SET lease_expires_at = GREATEST(t.lease_expires_at, $4) FROM l"
                + $" WHERE t.customer_id = l.customer_id AND t.{idColumn} = l.{idColumn} RETURNING t.{idColumn}");
            command.Parameters.Add(idsParameter()); // a new parameter per attempt: a retry builds a new command
            command.Parameters.Add(Parameter(owner));
            command.Parameters.Add(Parameter(Utc(now)));
            command.Parameters.Add(Parameter(Utc(now + lease)));
            return await ReturnedAsync(command, ids, readId, comparer, token).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>For each id, in order, whether <paramref name="command"/> returned it (its first column).</summary>
    private static async ValueTask<IReadOnlyList<bool>> ReturnedAsync<TId>(
        NpgsqlCommand command, TId?[] ids, Func<NpgsqlDataReader, int, TId> readId, IEqualityComparer<TId> comparer, CancellationToken cancellationToken)
        where TId : notnull
    {
        var returned = new HashSet<TId>(comparer);
        using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                returned.Add(readId(reader, 0));
            }
        }

        var flags = new bool[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            flags[i] = ids[i] is { } id && returned.Contains(id);
        }

        return flags;
    }

    /// <inheritdoc />
    /// <remarks>
    /// One transaction: the rows leased to <paramref name="owner"/> (expired or not) are locked in primary-key order, as
    /// results lock them, and their lease ended where they stand (owner kept, as after an expiry); the other hosts'
    /// dispatchers are told by <c>NOTIFY</c>.
    /// </remarks>
    public ValueTask<IReadOnlyList<bool>> ReleaseLeasesAsync(string owner, IReadOnlyList<string> messageIds, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(messageIds);
        if (messageIds.Count == 0)
        {
            return ValueTask.FromResult<IReadOnlyList<bool>>([]);
        }

        var ids = messageIds.ToArray();
        return ReleaseAsync("release outbox leases", "outbox", "message_id", () => NullableArray(ids, NpgsqlDbType.Text), ids, static (reader, i) => reader.GetString(i), StringComparer.Ordinal, owner, PostgreSqlDatabase.OutboxPayload, cancellationToken);
    }

    /// <summary>
    /// Ends the leases of the rows of <paramref name="table"/> held by <paramref name="owner"/>, expired or not (one
    /// statement: rows locked in primary-key order and re-checked after the lock; the owner is kept, as after an
    /// expiry, so its late commit or result is accepted until someone else claims), and wakes the other hosts with
    /// <paramref name="payload"/> when any was released.
    /// </summary>
    /// <returns>For each id, in order, whether its lease was held and is released.</returns>
    private ValueTask<IReadOnlyList<bool>> ReleaseAsync<TId>(
        string operation,
        string table,
        string idColumn,
        Func<NpgsqlParameter> idsParameter,
        TId?[] ids,
        Func<NpgsqlDataReader, int, TId> readId,
        IEqualityComparer<TId> comparer,
        string owner,
        string payload,
        CancellationToken cancellationToken)
        where TId : notnull =>
        database.InTransactionAsync<IReadOnlyList<bool>>(operation, async (connection, transaction, token) =>
        {
            using var command = database.Command(connection, transaction,
                $"WITH l AS (SELECT customer_id, {idColumn} FROM {{s}}.{table} WHERE {idColumn} = ANY ($1) AND lease_owner = $2 AND lease_expires_at IS NOT NULL"
                + $" ORDER BY customer_id, {idColumn} FOR UPDATE)"
                + $" UPDATE {{s}}.{table} t SET lease_expires_at = NULL FROM l"
                + $" WHERE t.customer_id = l.customer_id AND t.{idColumn} = l.{idColumn} RETURNING t.{idColumn}");
            command.Parameters.Add(idsParameter()); // a new parameter per attempt: a retry builds a new command
            command.Parameters.Add(Parameter(owner));
            var released = await ReturnedAsync(command, ids, readId, comparer, token).ConfigureAwait(false);
            if (released.Contains(true))
            {
                await database.NotifyAsync(connection, transaction, payload, token).ConfigureAwait(false);
            }

            return released;
        }, cancellationToken);

    /// <inheritdoc />
    /// <remarks>Leased messages are not counted: they are being sent, and come back only with a retry time or when their lease expires.</remarks>
    public ValueTask<DateTimeOffset?> GetNextDueAsync(CancellationToken cancellationToken = default) =>
        database.ExecuteAsync("next outbox due", async (connection, token) =>
        {
            using var command = database.Command(connection, null, "SELECT min(due_at) FROM {s}.outbox WHERE lease_expires_at IS NULL");
            return await command.ExecuteScalarAsync(token).ConfigureAwait(false) is DateTime at ? new DateTimeOffset(at, TimeSpan.Zero) : (DateTimeOffset?)null;
        }, cancellationToken);
}
