using System.Globalization;
using Journeys.Model;
using Journeys.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Journeys.PostgreSql;

/// <content>Commits: a whole batch of checkpoints in one round trip of statements plus the commit.</content>
internal sealed partial class PostgreSqlEngineStore
{
    // Locks every enrollment of the batch in primary-key order (as claims and renewals do) and returns the accepted
    // checkpoints with the stored customer, journey and version. The values come from the locking scan, so a row that
    // another host changed while this one waited for the lock is read as it is now.
    private const string LockAndAcceptSql =
        "WITH l AS (SELECT customer_id, enrollment_id, journey_id, version, token, lease_owner FROM {s}.enrollments WHERE enrollment_id = ANY ($1)"
        + " ORDER BY customer_id, enrollment_id FOR UPDATE)"
        + " SELECT DISTINCT ON (l.enrollment_id) c.ord, l.customer_id, l.journey_id, l.version FROM unnest($1::uuid[], $2::bigint[]) WITH ORDINALITY AS c(id, expected, ord)"
        + " JOIN l ON l.enrollment_id = c.id AND l.token = c.expected AND l.lease_owner = $3 ORDER BY l.enrollment_id, c.ord";

    // Outbox messages of the accepted checkpoints that are not pending yet (one row per id), in call order; the ids written
    // come back, so a message that was already pending (or repeated) is found and the whole commit refused. With an
    // OutboxHandoff ($17 = its now, $18 = its expiry; both null without one) a message due by $17 is written leased to
    // the committing owner ($3) until $18, as a claim would have left it.
    private const string InsertOutboxSql = """
        INSERT INTO {s}.outbox (customer_id, message_id, idempotency_key, channel, campaign_id, body, journey_id, journey_version, node_id, enrollment_id,
            due_at, attempts, created_order, lease_owner, lease_expires_at)
        SELECT o.c, o.id, o.k, o.ch, o.camp, o.b, o.j, o.v, o.n, o.e, o.due, o.a, nextval('{s}.outbox_order_seq'),
            CASE WHEN o.due <= $17 THEN $3 END, CASE WHEN o.due <= $17 THEN $18 END
        FROM (SELECT DISTINCT ON (u.id) u.* FROM unnest($4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
                $12::int[], $13::text[], $14::uuid[], $15::timestamptz[], $16::int[]) WITH ORDINALITY AS u(cp, c, id, k, ch, camp, b, j, v, n, e, due, a, ord)
            WHERE NOT EXISTS (SELECT 1 FROM {s}.outbox x WHERE x.message_id = u.id)
            ORDER BY u.id, u.ord) o
        ORDER BY o.ord
        RETURNING message_id
        """;

    // Customer field updates of accepted checkpoints, written on the server in one statement (no read-modify-write round
    // trip): the last update of each field per customer (in call order; field names compared case-insensitively, as
    // Customer.Fields does). $4 = checkpoint of each update, $5 = customer, $6 = field, $7 = the update as a document
    // entry (FieldJson.Entry: `"name":[type, value]`, or `"name":["x",null]` to remove it). The updates are gathered per
    // customer (g: the entries joined by commas, the lower-cased names) and the rows locked in customer-id order.
    // Schema version 5: the entries are appended to the stored document as text, after its last entry (no JSON function
    // reads or rebuilds the document: its 20-odd fields cost the server more than the rest of the row write did), and
    // the reader (FieldJson.ReadCustomer) lets a later entry of a name replace the earlier one. A document that the
    // append would make longer than AppendLimit bytes is merged instead: its entries and the new ones, the last of
    // each name kept and removals dropped, written back as one entry per field without spaces, as the store's own
    // writer does, so it ends in `]}` and can be appended to again (so appends cannot grow a document without bound,
    // and a document stays below PostgreSQL's compression threshold). The json type keeps values as
    // they were written, but its functions refuse a document holding \u0000 or a lone surrogate escape; documents with
    // any surrogate escape (an emoji) are treated alike, to be safe: such rows, when they must be merged, are not
    // written here, like customers that do not exist; they are missing from the returned ids and the caller merges (or
    // creates) them itself.
    private const string UpdateCustomersSql = """
        WITH u AS (SELECT DISTINCT ON (x.c, lower(x.f)) x.c, x.f, x.v
            FROM unnest($4::bigint[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY AS x(cp, c, f, v, ord)
            ORDER BY x.c, lower(x.f), x.ord DESC),
        g AS (SELECT u.c, string_agg(u.v, ',') AS fresh, array_agg(lower(u.f)) AS names FROM u GROUP BY u.c),
        l AS (SELECT t.customer_id, g.fresh, g.names FROM g JOIN {s}.customers t ON t.customer_id = g.c
            ORDER BY t.customer_id FOR UPDATE OF t)
        UPDATE {s}.customers t SET fields = CASE
            WHEN t.fields = '{}' THEN '{' || l.fresh || '}'
            WHEN right(t.fields, 2) = ']}' AND octet_length(t.fields) + octet_length(l.fresh) < {AppendLimit} THEN left(t.fields, -1) || ',' || l.fresh || '}'
            ELSE (SELECT COALESCE('{' || string_agg(to_json(m.k)::text || ':' || m.v::text, ',' ORDER BY m.o) || '}', '{}') FROM (
                SELECT DISTINCT ON (lower(e.k)) e.k, e.v, e.o FROM (
                    SELECT j.key AS k, j.value AS v, j.o FROM json_each(t.fields::json) WITH ORDINALITY AS j(key, value, o) WHERE lower(j.key) <> ALL (l.names)
                    UNION ALL SELECT j.key, j.value, 2147483648 + j.o FROM json_each(('{' || l.fresh || '}')::json) WITH ORDINALITY AS j(key, value, o)) AS e
                ORDER BY lower(e.k), e.o DESC) AS m
                WHERE (m.v ->> 0) IS DISTINCT FROM 'x') END
        FROM l
        WHERE t.customer_id = l.customer_id
            AND (t.fields = '{}' OR (right(t.fields, 2) = ']}' AND octet_length(t.fields) + octet_length(l.fresh) < {AppendLimit})
                OR (strpos(t.fields, '\u0000') = 0 AND (strpos(t.fields, '\u') = 0 OR t.fields !~ '\\u[dD][89aAbBcCdDeEfF]')))
        RETURNING t.customer_id
        """;

    /// <summary>
    /// The longest customer document (bytes) that a commit's field updates are appended to (see <c>UpdateCustomersSql</c>);
    /// a longer one is merged into one entry per field. Below PostgreSQL's 2 kB threshold for compressing a row.
    /// </summary>
    internal const int AppendLimit = 1800;

    private static readonly string UpdateCustomersText = UpdateCustomersSql.Replace("{AppendLimit}", AppendLimit.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    // The accepted states (rows the first round trip locked and checked), lease released, each placed in the ready queue
    // (in call order) when it is active or waits for an event that is already pending; then the statistic deltas of
    // exactly the checkpoints written, summed per counter row and upserted in key order (bytewise, as every statistics
    // write orders them, so concurrent commits cannot deadlock). Last, because the journey-level counter rows are the
    // hottest rows of all: taking their locks last keeps them held for the shortest time.
    private const string WriteStatesSql = """
        WITH written AS (UPDATE {s}.enrollments e SET current_node = x.node, status = x.status, wake_at = x.wake_at, awaited_event = x.awaited, visit = x.visit,
            updated_at = x.updated_at, token = x.token, wake_events = x.we, event_cursor = x.cursor,
            node_entered_at = x.node_entered_at, node_state = x.node_state, end_reason = x.reason,
            messages_sent = x.messages_sent,
            lease_owner = NULL, lease_expires_at = NULL, ready_seq = x.seq
        FROM (SELECT y.*, CASE WHEN y.status = 0 OR (y.status = 1 AND cardinality(y.we) > 0
                    AND EXISTS (SELECT 1 FROM {s}.events v WHERE v.customer_id = y.c AND v.sequence > y.cursor AND v.name = ANY (y.we)))
                THEN nextval('{s}.ready_seq') END AS seq
            FROM (SELECT u.c, u.id, u.node, u.status, u.wake_at, u.awaited, u.visit, u.updated_at, u.token,
                    ARRAY(SELECT jsonb_array_elements_text(u.we::jsonb)) AS we, u.cursor, u.node_entered_at, u.node_state, u.reason,
                    u.messages_sent, u.clicks, u.ord
                FROM unnest($4::text[], $5::smallint[], $6::timestamptz[], $7::text[], $8::int[], $9::timestamptz[], $10::bigint[], $11::text[],
                    $12::bigint[], $13::timestamptz[], $14::int[], $15::text[], $16::int[], $17::int[], $18::text[], $19::uuid[])
                    WITH ORDINALITY AS u(node, status, wake_at, awaited, visit, updated_at, token, we, cursor, node_entered_at, node_state, reason,
                        messages_sent, clicks, c, id, ord)
                ORDER BY u.ord) y) x
        WHERE e.customer_id = x.c AND e.enrollment_id = x.id
        RETURNING x.ord)
        INSERT INTO {s}.statistics (journey_id, version, node_id, counter, slot, value)
        SELECT d.j, d.v, d.n, d.k, $26, sum(d.amount)::bigint
        FROM unnest($20::bigint[], $21::text[], $22::int[], $23::text[], $24::smallint[], $25::bigint[]) AS d(cp, j, v, n, k, amount)
        WHERE d.cp IN (SELECT ord FROM written)
        GROUP BY d.j, d.v, d.n, d.k
        ORDER BY d.j COLLATE "C", d.v, d.n COLLATE "C", d.k
        ON CONFLICT (journey_id, version, node_id, counter, slot) DO UPDATE SET value = {s}.statistics.value + excluded.value
        """;

    // The customers of the checkpoints that wait for events (their event locks are taken shared), or null when none does.
    private static string[]? EventWaiters(IReadOnlyList<EnrollmentCheckpoint> checkpoints)
    {
        HashSet<string>? waiters = null;
        for (var i = 0; i < checkpoints.Count; i++)
        {
            var state = checkpoints[i].State;
            if (state.Status == EnrollmentStatus.Waiting && !state.WakeEvents.IsEmpty)
            {
                (waiters ??= new HashSet<string>(StringComparer.Ordinal)).Add(state.CustomerId);
            }
        }

        return waiters?.ToArray();
    }

    /// <inheritdoc />
    /// <remarks>
    /// One transaction and three round trips. The first locks the enrollments of the batch in primary-key order and
    /// decides which checkpoints apply (<c>token = expected AND lease_owner = owner</c>, first checkpoint per enrollment,
    /// exactly as in <c>docs/storage.md</c>), with the stored customer, journey and version of each; a checkpoint that
    /// changes them is refused with an exception before anything is written. The second, one <see cref="NpgsqlBatch"/>,
    /// carries only the accepted checkpoints (the rows stay locked, so nothing can change what the first decided): it
    /// appends their customer field updates to the stored documents on the server (merging a document an append would
    /// make longer than <see cref="AppendLimit"/>), inserts their outbox messages, writes
    /// their states and places them in the ready queue, adds their statistic deltas summed per counter row, and notifies
    /// other hosts; then the commit. Deciding once on the client replaces the acceptance check each statement of the
    /// batch used to repeat (an index probe per checkpoint per statement). Customers the server cannot write (an update
    /// holding <c>\u0000</c> or a surrogate escape, which PostgreSQL's JSON functions refuse, or a stored document holding
    /// one that must be merged rather than appended to; a customer that does not exist) are read, merged here and
    /// written back: one more round trip, only for batches that have them. A problem found in the results (an outbox
    /// message already pending) rolls everything back.
    /// </remarks>
    /// <exception cref="ArgumentException">
    /// A checkpoint is null or incomplete, changes an enrollment's journey, version or customer, or adds an outbox message
    /// whose id is already pending or repeated in the batch (nothing is written).
    /// </exception>
    public ValueTask<IReadOnlyList<bool>> CommitAsync(string owner, IReadOnlyList<EnrollmentCheckpoint> checkpoints, OutboxHandoff? outboxHandoff, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        StoreArgumentChecks.Checkpoints(checkpoints, nameof(checkpoints));

        if (checkpoints.Count == 0)
        {
            return ValueTask.FromResult<IReadOnlyList<bool>>([]);
        }

        var ids = new Guid[checkpoints.Count];
        var expected = new long[checkpoints.Count];
        for (var i = 0; i < checkpoints.Count; i++)
        {
            ids[i] = checkpoints[i].State.Id;
            expected[i] = checkpoints[i].ExpectedToken;
        }

        return CommitAndCountAsync(owner, checkpoints, ids, expected, outboxHandoff, cancellationToken);
    }

    // The commit, and the count of commits that withdrew messages (IWithdrawalCounter) once it went through.
    private async ValueTask<IReadOnlyList<bool>> CommitAndCountAsync(
        string owner, IReadOnlyList<EnrollmentCheckpoint> checkpoints, Guid[] ids, long[] expected, OutboxHandoff? outboxHandoff, CancellationToken cancellationToken)
    {
        var (applied, withdrew) = await database.InTransactionAsync(
            "commit checkpoints", (connection, transaction, token) => CommitInTransactionAsync(connection, transaction, owner, checkpoints, ids, expected, outboxHandoff, token), cancellationToken)
            .ConfigureAwait(false);
        if (withdrew)
        {
            Interlocked.Increment(ref _withdrawingCommits);
        }

        return applied;
    }

    private async ValueTask<(IReadOnlyList<bool> Applied, bool Withdrew)> CommitInTransactionAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string owner, IReadOnlyList<EnrollmentCheckpoint> checkpoints, Guid[] ids, long[] expected,
        OutboxHandoff? handoff, CancellationToken token)
    {
        var applied = new bool[checkpoints.Count];

        // Round trip 1: lock and decide. Throwing before the commit rolls the transaction back: nothing is written.
        var acceptedIndexes = new List<int>(checkpoints.Count);
        var lockBatch = new NpgsqlBatch(connection, transaction);
        await using (lockBatch.ConfigureAwait(false))
        {
            // Generic plans for this transaction's prepared statements: planned once per connection, not at every commit.
            lockBatch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL plan_cache_mode = force_generic_plan"));
            var waiters = EventWaiters(checkpoints);
            if (waiters is not null)
            {
                var eventLocks = new NpgsqlBatchCommand(database.Sql(SharedCustomerEventLocksSql));
                eventLocks.Parameters.Add(Parameter(waiters));
                lockBatch.BatchCommands.Add(eventLocks);
            }

            var lockAndAccept = new NpgsqlBatchCommand(database.Sql(LockAndAcceptSql));
            lockAndAccept.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids });
            lockAndAccept.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = expected });
            lockAndAccept.Parameters.Add(Parameter(owner));
            lockBatch.BatchCommands.Add(lockAndAccept);
            await lockBatch.PrepareAsync(token).ConfigureAwait(false);
            using var reader = await lockBatch.ExecuteReaderAsync(token).ConfigureAwait(false);
            if (waiters is not null)
            {
                // The reader stands on the event locks' one row.
                await reader.NextResultAsync(token).ConfigureAwait(false);
            }

            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                var i = (int)reader.GetInt64(0) - 1;
                var state = checkpoints[i].State;
                if (!string.Equals(state.CustomerId, reader.GetString(1), StringComparison.Ordinal)
                    || !string.Equals(state.JourneyId, reader.GetString(2), StringComparison.Ordinal)
                    || state.Version != reader.GetInt32(3))
                {
                    throw new ArgumentException($"Checkpoint at index {i} changes the journey, version or customer of enrollment {state.Id}; nothing was written.", nameof(checkpoints));
                }

                acceptedIndexes.Add(i);
            }
        }

        if (acceptedIndexes.Count == 0)
        {
            return (applied, false);
        }

        // Round trip 2: the writes of the accepted checkpoints, in call order.
        acceptedIndexes.Sort();
        var accepted = new EnrollmentCheckpoint[acceptedIndexes.Count];
        for (var a = 0; a < accepted.Length; a++)
        {
            accepted[a] = checkpoints[acceptedIndexes[a]];
        }

        var commit = new CommitBatch(accepted);
        var withdrawn = await WithdrawAsync(connection, transaction, accepted, commit.Deltas, token).ConfigureAwait(false);
        var inserted = new HashSet<string>(commit.Outbox.Count, StringComparer.Ordinal);
        var merged = new HashSet<string>(commit.ServerUpdates.Count, StringComparer.Ordinal);
        var batch = new NpgsqlBatch(connection, transaction);
        await using (batch.ConfigureAwait(false))
        {
            if (commit.ServerUpdates.Count > 0)
            {
                var update = commit.Command(database, UpdateCustomersText, owner);
                UnnestColumns.Add(update.Parameters, commit.ServerUpdates, static u => u.Checkpoint);
                UnnestColumns.Add(update.Parameters, commit.ServerUpdates, static u => u.Update.CustomerId);
                UnnestColumns.Add(update.Parameters, commit.ServerUpdates, static u => u.Update.Field);
                UnnestColumns.Add(update.Parameters, commit.ServerUpdates, static u => FieldJson.Entry(u.Update.Field, u.Update.Value));
                batch.BatchCommands.Add(update);
            }

            if (commit.Outbox.Count > 0)
            {
                var outbox = commit.Command(database, InsertOutboxSql, owner);
                var columns = outbox.Parameters;
                UnnestColumns.Add(columns, commit.Outbox, static o => o.Checkpoint);
                UnnestColumns.Add(columns, commit.Outbox, static o => o.Message.Message.CustomerId);
                UnnestColumns.Add(columns, commit.Outbox, static o => o.Message.Message.MessageId);
                UnnestColumns.Add(columns, commit.Outbox, static o => o.Message.Message.IdempotencyKey);
                UnnestColumns.Add(columns, commit.Outbox, static o => o.Message.Message.Channel.Name);
                UnnestColumns.Add(columns, commit.Outbox, static o => o.Message.Message.CampaignId);
                UnnestColumns.Add(columns, commit.Outbox, static o => OutboxBodyText.Encode(o.Message.Message.Body));
                UnnestColumns.AddNullable(columns, commit.Outbox, static o => o.Message.Message.JourneyId, NpgsqlDbType.Text);
                UnnestColumns.Add(columns, commit.Outbox, static o => o.Message.Message.JourneyVersion);
                UnnestColumns.AddNullable(columns, commit.Outbox, static o => o.Message.Message.NodeId, NpgsqlDbType.Text);
                UnnestColumns.AddNullable(columns, commit.Outbox, static o => o.Message.EnrollmentId, NpgsqlDbType.Uuid);
                UnnestColumns.Add(columns, commit.Outbox, static o => Utc(o.Message.DueAt));
                UnnestColumns.Add(columns, commit.Outbox, static o => o.Message.Attempts);
                columns.Add(new NpgsqlParameter { Value = handoff is null ? DBNull.Value : Utc(handoff.Now), NpgsqlDbType = NpgsqlDbType.TimestampTz });
                columns.Add(new NpgsqlParameter { Value = handoff is null ? DBNull.Value : Utc(handoff.ExpiresAt), NpgsqlDbType = NpgsqlDbType.TimestampTz });
                batch.BatchCommands.Add(outbox);
            }

            var states = commit.Command(database, WriteStatesSql, owner);
            var p = states.Parameters;
            AddStateColumns(p, accepted);
            UnnestColumns.Add(p, commit.Deltas, static d => d.Checkpoint);
            UnnestColumns.Add(p, commit.Deltas, static d => d.Delta.JourneyId);
            UnnestColumns.Add(p, commit.Deltas, static d => d.Delta.Version);
            UnnestColumns.Add(p, commit.Deltas, static d => d.Delta.NodeId ?? string.Empty);
            UnnestColumns.Add(p, commit.Deltas, static d => (short)d.Delta.Counter);
            UnnestColumns.Add(p, commit.Deltas, static d => d.Delta.Amount);
            p.Add(Parameter(StatisticSlot()));
            batch.BatchCommands.Add(states);
            if (commit.Outbox.Count > 0 && (handoff is null || !commit.Outbox.TrueForAll(o => handoff.Covers(o.Message))))
            {
                // Other hosts are woken only for messages left unleased: handed-over ones are this host's to send.
                batch.BatchCommands.Add(Notify(PostgreSqlDatabase.OutboxPayload));
            }

            if (commit.AnyLive)
            {
                batch.BatchCommands.Add(Notify(PostgreSqlDatabase.WorkPayload));
            }

            if (withdrawn)
            {
                // As after a cancel: a host whose dispatcher took one of them checks that it still holds its batch.
                batch.BatchCommands.Add(Notify(PostgreSqlDatabase.WithdrawnPayload));
            }

            // Prepared (once per pooled connection and statement text; a no-op after that): the server parses and
            // plans these statements once per connection instead of at every commit (see "Plans" in docs/storage.md).
            await batch.PrepareAsync(token).ConfigureAwait(false);
            using var reader = await batch.ExecuteReaderAsync(token).ConfigureAwait(false);
            if (commit.ServerUpdates.Count > 0)
            {
                while (await reader.ReadAsync(token).ConfigureAwait(false))
                {
                    merged.Add(reader.GetString(0));
                }

                await reader.NextResultAsync(token).ConfigureAwait(false);
            }

            if (commit.Outbox.Count > 0)
            {
                while (await reader.ReadAsync(token).ConfigureAwait(false))
                {
                    inserted.Add(reader.GetString(0));
                }
            }
        }

        // Throwing before the commit rolls every statement back: nothing is written.
        var messageIds = new HashSet<string>(commit.Outbox.Count, StringComparer.Ordinal);
        foreach (var i in acceptedIndexes)
        {
            var outbox = checkpoints[i].Outbox;
            for (var m = 0; m < outbox.Count; m++)
            {
                var messageId = outbox[m].Message.MessageId;
                if (!messageIds.Add(messageId) || !inserted.Contains(messageId))
                {
                    throw new ArgumentException($"Checkpoint at index {i} adds outbox message '{messageId}', which is already pending; nothing was written.", nameof(checkpoints));
                }
            }

            applied[i] = true;
        }

        // Applied updates of customers the server did not merge (see UpdateCustomersSql) are merged here.
        var unmerged = new SortedSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < checkpoints.Count; i++)
        {
            if (applied[i])
            {
                var updates = checkpoints[i].CustomerUpdates;
                for (var u = 0; u < updates.Count; u++)
                {
                    var update = updates[u];
                    if (!merged.Contains(update.CustomerId))
                    {
                        unmerged.Add(update.CustomerId);
                    }
                }
            }
        }

        if (unmerged.Count > 0)
        {
            await WriteCustomerUpdatesAsync(connection, transaction, unmerged, checkpoints, applied, token).ConfigureAwait(false);
        }

        return (applied, withdrawn);
    }

    // The outbox rows of the accepted checkpoints that convert their enrollment (all of them: node NULL) or name nodes
    // whose messages go (EnrollmentCheckpoint.WithdrawNodeIds: a retargeting node left by its conversion event): deleted,
    // leased ones included, before the commit inserts its own messages (those stay); the rows of the enrollments are
    // locked, so no other commit adds any meanwhile. Each deleted message counts as Withdrawn at its node, as a delta of
    // its checkpoint (cp, 1-based in accepted), upserted with the commit's other deltas. A round trip only for a batch
    // with such a checkpoint; whether any row went.
    private async ValueTask<bool> WithdrawAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, EnrollmentCheckpoint[] accepted, List<(long Checkpoint, StatisticDelta Delta)> deltas, CancellationToken token)
    {
        List<(long Checkpoint, Enrollment State, string? Node)>? withdrawals = null;
        for (var a = 0; a < accepted.Length; a++)
        {
            if (accepted[a].State.Status == EnrollmentStatus.Converted)
            {
                (withdrawals ??= []).Add((a + 1, accepted[a].State, null));
                continue;
            }

            foreach (var node in accepted[a].WithdrawNodeIds)
            {
                (withdrawals ??= []).Add((a + 1, accepted[a].State, node));
            }
        }

        if (withdrawals is null)
        {
            return false;
        }

        using var command = database.Command(connection, transaction, """
            DELETE FROM {s}.outbox o USING unnest($1::text[], $2::uuid[], $3::bigint[], $4::text[]) AS w(c, id, cp, node)
            WHERE o.customer_id = w.c AND o.enrollment_id = w.id AND (w.node IS NULL OR o.node_id = w.node)
            RETURNING w.cp, o.journey_id, o.journey_version, o.node_id
            """);
        UnnestColumns.Add(command.Parameters, withdrawals, static c => c.State.CustomerId);
        UnnestColumns.Add(command.Parameters, withdrawals, static c => c.State.Id);
        UnnestColumns.Add(command.Parameters, withdrawals, static c => c.Checkpoint);
        UnnestColumns.AddNullable(command.Parameters, withdrawals, static c => c.Node, NpgsqlDbType.Text);
        var any = false;
        using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        while (await reader.ReadAsync(token).ConfigureAwait(false))
        {
            any = true;
            if (!reader.IsDBNull(1) && !reader.IsDBNull(3))
            {
                deltas.Add((reader.GetInt64(0), new StatisticDelta(reader.GetString(1), reader.GetInt32(2), reader.GetString(3), StatisticCounter.Withdrawn)));
            }
        }

        return any;
    }

    private NpgsqlBatchCommand Notify(string payload)
    {
        var notify = new NpgsqlBatchCommand("SELECT pg_notify($1, $2)");
        notify.Parameters.Add(Parameter(database.Channel));
        notify.Parameters.Add(Parameter(payload));
        return notify;
    }

    private static void AddStateColumns(NpgsqlParameterCollection p, IReadOnlyList<EnrollmentCheckpoint> checkpoints)
    {
        UnnestColumns.AddNullable(p, checkpoints, static c => c.State.CurrentNodeId, NpgsqlDbType.Text);
        UnnestColumns.Add(p, checkpoints, static c => (short)c.State.Status);
        UnnestColumns.AddNullable(p, checkpoints, static c => Utc(c.State.WakeAt), NpgsqlDbType.TimestampTz);
        UnnestColumns.AddNullable(p, checkpoints, static c => c.State.AwaitedEvent, NpgsqlDbType.Text);
        UnnestColumns.Add(p, checkpoints, static c => c.State.Visit);
        UnnestColumns.Add(p, checkpoints, static c => Utc(c.State.UpdatedAt));
        UnnestColumns.Add(p, checkpoints, static c => c.ExpectedToken + 1);
        UnnestColumns.Add(p, checkpoints, static c => JsonArray(c.State.WakeEvents));
        UnnestColumns.Add(p, checkpoints, static c => c.State.EventCursor);
        UnnestColumns.AddNullable(p, checkpoints, static c => Utc(c.State.NodeEnteredAt), NpgsqlDbType.TimestampTz);
        UnnestColumns.Add(p, checkpoints, static c => c.State.NodeState);
        UnnestColumns.AddNullable(p, checkpoints, static c => c.State.EndReason, NpgsqlDbType.Text);
        UnnestColumns.Add(p, checkpoints, static c => c.State.MessagesSent);

        // Not written (the click counter belongs to AddClicksAsync); passed only so the later parameter numbers stay.
        UnnestColumns.Add(p, checkpoints, static c => c.State.Clicks);
        UnnestColumns.Add(p, checkpoints, static c => c.State.CustomerId);
        UnnestColumns.Add(p, checkpoints, static c => c.State.Id);
    }

    // Field updates of the applied checkpoints in order over the given customers' rows (read and locked here in id
    // order), merged here and written back with one statement. A customer that does not exist yet is first inserted
    // empty (in id order, as ICustomerStore.MergeAsync does): its row is then read and locked like the others, so a
    // writer that creates it at the same moment (a merge, an import) is either waited for and merged with, or waits
    // for this commit; an upsert of the merged fields alone would replace that writer's fields.
    private async ValueTask WriteCustomerUpdatesAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, SortedSet<string> customerIds, IReadOnlyList<EnrollmentCheckpoint> checkpoints, bool[] applied, CancellationToken token)
    {
        using (var create = database.Command(connection, transaction, """
            INSERT INTO {s}.customers (customer_id, fields, time_zone) SELECT c, '{}', NULL FROM unnest($1::text[]) AS u(c) ORDER BY c COLLATE "C"
            ON CONFLICT (customer_id) DO NOTHING
            """))
        {
            create.Parameters.Add(Parameter(customerIds.ToArray()));
            await create.ExecuteNonQueryAsync(token).ConfigureAwait(false);
        }

        var customers = new Dictionary<string, Customer>(StringComparer.Ordinal);
        using (var read = database.Command(connection, transaction, "SELECT customer_id, fields, time_zone FROM {s}.customers WHERE customer_id = ANY ($1) ORDER BY customer_id FOR UPDATE"))
        {
            read.Parameters.Add(Parameter(customerIds.ToArray()));
            using var reader = await read.ExecuteReaderAsync(token).ConfigureAwait(false);
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                var customer = PostgreSqlCustomerStore.Read(reader);
                customers[customer.Id] = customer;
            }
        }

        var touched = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < checkpoints.Count; i++)
        {
            if (!applied[i])
            {
                continue;
            }

            foreach (var update in checkpoints[i].CustomerUpdates)
            {
                if (!customerIds.Contains(update.CustomerId))
                {
                    continue;
                }

                touched.Add(update.CustomerId);
                if (customers.TryGetValue(update.CustomerId, out var customer))
                {
                    var fields = update.Value.IsNull ? customer.Fields.Remove(update.Field) : customer.Fields.SetItem(update.Field, update.Value);
                    customers[update.CustomerId] = new Customer(customer.Id, fields, customer.TimeZoneId);
                }
                else
                {
                    var fields = update.Value.IsNull ? [] : new[] { KeyValuePair.Create(update.Field, update.Value) };
                    customers[update.CustomerId] = new Customer(update.CustomerId, fields);
                }
            }
        }

        if (touched.Count == 0)
        {
            return;
        }

        var ordered = touched.Order(StringComparer.Ordinal).Select(id => customers[id]).ToArray();
        using var write = database.Command(connection, transaction, """
            INSERT INTO {s}.customers (customer_id, fields, time_zone) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
            ON CONFLICT (customer_id) DO UPDATE SET fields = excluded.fields, time_zone = excluded.time_zone
            """);
        UnnestColumns.Add(write.Parameters, ordered, static c => c.Id);
        UnnestColumns.Add(write.Parameters, ordered, static c => FieldJson.Write(c.Fields));
        UnnestColumns.AddNullable(write.Parameters, ordered, static c => c.TimeZoneId, NpgsqlDbType.Text);
        await write.ExecuteNonQueryAsync(token).ConfigureAwait(false);
    }

    /// <summary>A commit's inputs flattened once (outside the retried transaction): the arrays every statement shares.</summary>
    private sealed class CommitBatch
    {
        public CommitBatch(IReadOnlyList<EnrollmentCheckpoint> checkpoints)
        {
            Checkpoints = checkpoints;
            Ids = new Guid[checkpoints.Count];
            ExpectedTokens = new long[checkpoints.Count];
            var serverUnsafe = new HashSet<string>(StringComparer.Ordinal);
            var anyLive = false;

            // The lists sized once (a commit carries ~230 checkpoints with a few deltas and messages each): no regrowth.
            int outbox = 0, deltas = 0, updates = 0;
            for (var i = 0; i < checkpoints.Count; i++)
            {
                var checkpoint = checkpoints[i];
                outbox += checkpoint.Outbox.Count;
                deltas += checkpoint.Statistics.Count;
                updates += checkpoint.CustomerUpdates.Count;
            }

            Outbox = new(outbox);
            Deltas = new(deltas);
            ServerUpdates = new(updates);
            for (var i = 0; i < checkpoints.Count; i++)
            {
                var checkpoint = checkpoints[i];
                Ids[i] = checkpoint.State.Id;
                ExpectedTokens[i] = checkpoint.ExpectedToken;
                anyLive |= !checkpoint.State.IsEnded;
                // Indexed loops: a foreach over the interface would allocate an enumerator per list.
                for (var m = 0; m < checkpoint.Outbox.Count; m++)
                {
                    Outbox.Add((i + 1, checkpoint.Outbox[m]));
                }

                for (var d = 0; d < checkpoint.Statistics.Count; d++)
                {
                    Deltas.Add((i + 1, checkpoint.Statistics[d]));
                }

                for (var u = 0; u < checkpoint.CustomerUpdates.Count; u++)
                {
                    var update = checkpoint.CustomerUpdates[u];
                    ServerUpdates.Add((i + 1, update));
                    if (!IsServerSafe(update.Value) || !IsServerSafe(update.Field))
                    {
                        serverUnsafe.Add(update.CustomerId);
                    }
                }
            }

            // Every update of a customer with one value the server's JSON functions refuse is merged by the caller.
            if (serverUnsafe.Count > 0)
            {
                ServerUpdates.RemoveAll(u => serverUnsafe.Contains(u.Update.CustomerId));
            }
            AnyLive = anyLive;
        }

        public IReadOnlyList<EnrollmentCheckpoint> Checkpoints { get; }

        public Guid[] Ids { get; }

        public long[] ExpectedTokens { get; }

        public List<(long Checkpoint, OutboxMessage Message)> Outbox { get; }

        public List<(long Checkpoint, StatisticDelta Delta)> Deltas { get; }

        /// <summary>Customer field updates (with their checkpoint) that the server merges (see <c>UpdateCustomersSql</c>).</summary>
        public List<(long Checkpoint, CustomerFieldUpdate Update)> ServerUpdates { get; }

        public bool AnyLive { get; }

        // Whether PostgreSQL's json functions can read the value's typed JSON: no NUL and no surrogate (see UpdateCustomersSql).
        private static bool IsServerSafe(FieldValue value) => value.Type switch
        {
            FieldType.String => IsServerSafe(value.AsString()),
            FieldType.StringList => value.AsStringList().All(IsServerSafe),
            _ => true,
        };

        private static bool IsServerSafe(string text)
        {
            foreach (var c in text)
            {
                if (c == '\0' || char.IsSurrogate(c))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>A statement of the commit with its shared parameters $1 (ids), $2 (expected tokens) and $3 (owner).</summary>
        public NpgsqlBatchCommand Command(PostgreSqlDatabase database, string sql, string owner)
        {
            var command = new NpgsqlBatchCommand(database.Sql(sql));
            command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = Ids });
            command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = ExpectedTokens });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = owner });
            return command;
        }
    }
}
