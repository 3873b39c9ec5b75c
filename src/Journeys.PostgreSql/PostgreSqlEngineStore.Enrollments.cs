using System.Globalization;
using System.Runtime.CompilerServices;
using Journeys.Model;
using Journeys.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Journeys.PostgreSql;

/// <content>Enrollments: entry rules, claims with leases, checkpoints, customer events, cancellation.</content>
internal sealed partial class PostgreSqlEngineStore
{
    // A pending event of the enrollment's customer that it waits for (e2 is the enrollment row).
    private const string PendingWakeEvent =
        "cardinality(e2.wake_events) > 0 AND EXISTS (SELECT 1 FROM {s}.events v WHERE v.customer_id = e2.customer_id AND v.sequence > e2.event_cursor AND v.name = ANY (e2.wake_events))";

    // The customers' event locks ($1 = customer ids; transaction-scoped advisory locks, in a fixed order). An append takes
    // them exclusively before it numbers its events; a commit takes them shared for the customers whose checkpoints wait
    // for events, before it locks their rows, so its look for pending events and an append's wake-up of unleased rows
    // cannot both miss an event appended while the enrollment was leased.
    private const string CustomerEventLocksSql =
        "SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT DISTINCT hashtextextended('journeys.events:{name}:' || c, 0) AS k FROM unnest($1::text[]) AS c ORDER BY k) s";

    private static readonly string SharedCustomerEventLocksSql = CustomerEventLocksSql.Replace("pg_advisory_xact_lock(", "pg_advisory_xact_lock_shared(", StringComparison.Ordinal);

    // Where the event columns of ClaimSql's second kind of row start: after kind, ord and the enrollment's columns.
    private const int ClaimEventOffset = 21;

    // $1 = now, $2 = owner, $3 = lease expiry; {limit} = max items, written into the text (see ClaimSql(int)). Unleased
    // or expired rows only (an expired lease is claimable where its row stands); the claim writes only the lease
    // columns, which no index holds, and leaves ready_seq and the timer as they are (the commit replaces them), so the
    // update is HOT when the page has room. Rows of kind 0 are the claimed enrollments (ord, then EnrollmentColumns);
    // rows of kind 1 the events of their customers after the lowest cursor among them, and those that refer to a
    // message of a claimed enrollment (message id '{enrollment:N}/...', for WorkItem.EarlierFeedback) (customer,
    // sequence, name, properties, time, message id, event id, at ClaimEventOffset).
    private static readonly string ClaimSqlTemplate =
        "WITH t AS (SELECT customer_id, enrollment_id, wake_at FROM {s}.enrollments"
        + " WHERE status = 1 AND wake_at IS NOT NULL AND wake_at <= $1 AND (lease_expires_at IS NULL OR lease_expires_at <= $1)"
        + " ORDER BY wake_at, enrollment_id LIMIT {limit} FOR UPDATE SKIP LOCKED),"
        + " r AS (SELECT customer_id, enrollment_id, ready_seq FROM {s}.enrollments WHERE ready_seq IS NOT NULL AND (lease_expires_at IS NULL OR lease_expires_at <= $1)"
        + " ORDER BY ready_seq LIMIT {limit} FOR UPDATE SKIP LOCKED),"
        + " p AS (SELECT c.customer_id, c.enrollment_id, row_number() OVER (ORDER BY c.grp, c.wake_at, c.sid, c.rs) AS ord FROM ("
        + " SELECT t.customer_id, t.enrollment_id, 0 AS grp, t.wake_at, t.enrollment_id AS sid, NULL::bigint AS rs FROM t"
        + " UNION ALL SELECT r.customer_id, r.enrollment_id, 1, NULL, NULL, r.ready_seq FROM r"
        + " WHERE NOT EXISTS (SELECT 1 FROM t WHERE t.customer_id = r.customer_id AND t.enrollment_id = r.enrollment_id)) c"
        + " ORDER BY ord LIMIT {limit}),"
        + " c AS (UPDATE {s}.enrollments e SET lease_owner = $2, lease_expires_at = $3 FROM p"
        + " WHERE e.customer_id = p.customer_id AND e.enrollment_id = p.enrollment_id"
        + " RETURNING p.ord, " + string.Join(", ", EnrollmentColumns.Split(", ").Select(static c => "e." + c)) + ")"
        + " SELECT 0 AS kind, c.*, NULL::text, NULL::bigint, NULL::text, NULL::text, NULL::timestamptz, NULL::text, NULL::text FROM c"
        + " UNION ALL SELECT 1, " + string.Concat(Enumerable.Repeat("NULL, ", 20)) + "v.customer_id, v.sequence, v.name, v.properties, v.time, v.message_id, v.event_id"
        + " FROM (SELECT customer_id, min(event_cursor) AS cursor, array_agg(replace(enrollment_id::text, '-', '') || '/%') AS own FROM c GROUP BY customer_id) m"
        + " JOIN {s}.events v ON v.customer_id = m.customer_id AND (v.sequence > m.cursor OR v.message_id LIKE ANY (m.own))";

    // Sets plan_cache_mode for the rest of the claim's implicit transaction (its batch, one Sync): set_config's
    // is_local, unlike SET LOCAL, gives no warning outside a transaction block. Used by every hot read that is not in
    // the commit's transaction (claims, outbox results, the batch customer read): in the default plan mode a
    // connection's first five executions of a statement are each planned again, which on pooled connections was
    // nearly every call.
    internal const string GenericPlanSql = "SELECT set_config('plan_cache_mode', 'force_generic_plan', true)";

    // The last claim statement made (a claim size and its text): an engine claims with one size.
    private ClaimStatement? _claimStatement;

    /// <summary>
    /// The claim statement for <paramref name="maxItems"/>: the size is a literal in the text, so the statement is
    /// planned once per connection (a generic plan, forced in the claim's batch) with the row counts known. With
    /// <c>LIMIT $2</c> a generic plan assumes a tenth of the table's rows, and the server's default plan mode kept custom
    /// plans, planning the statement again at every claim: ~4 ms of the server's CPU a claim with 4 hosts (RESULTS.md, wt-pg7).
    /// </summary>
    private string ClaimSql(int maxItems)
    {
        var statement = _claimStatement;
        if (statement is null || statement.MaxItems != maxItems)
        {
            statement = new ClaimStatement(maxItems, database.Sql(ClaimSqlTemplate.Replace("{limit}", maxItems.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)));
            _claimStatement = statement;
        }

        return statement.Sql;
    }

    private sealed record ClaimStatement(int MaxItems, string Sql);

    /// <inheritdoc />
    /// <remarks>
    /// One transaction: the (customer, journey) pairs of the batch are locked with transaction-scoped advisory locks (in a
    /// fixed order) and the journeys' entry counters with row locks, so concurrent calls on any host see each other's
    /// entries; the checks then run in order exactly as in <c>docs/storage.md</c>, and the created rows are inserted with
    /// one statement. The unique partial index <c>enrollments_one_active</c> makes a second active enrollment of a
    /// customer in a journey impossible whatever happens.
    /// </remarks>
    /// <exception cref="ArgumentException">A request is null or incomplete, or its enrollment id is already used (nothing is written).</exception>
    public async ValueTask<IReadOnlyList<EnrollmentOutcome>> EnrollAsync(IReadOnlyList<EnrollmentRequest> requests, CancellationToken cancellationToken = default) =>
        (await EnrollCoreAsync(requests, null, cancellationToken).ConfigureAwait(false)).Outcomes;

    /// <inheritdoc />
    /// <remarks>
    /// The checks and the one transaction of <see cref="EnrollAsync"/>; the first <see cref="EnrollmentLease.MaxItems"/>
    /// created rows are inserted with the lease (owner, expiry) already set, and with their place in the ready queue, as a
    /// claim at <see cref="EnrollmentLease.Now"/> would have left them (a claim keeps <c>ready_seq</c>, schema version 4):
    /// no other owner claims them before the lease expires, anyone may after, and the same insert returns them as stored.
    /// Other hosts are notified only when some created row was left unleased. When a retry of the call finds its first
    /// attempt committed (the reply lost), the rows it had created are reported <see cref="EnrollmentOutcomeKind.Created"/>
    /// but not returned as leased: the retry clears the lease that attempt gave them (nobody got them to run), so the next
    /// claim takes them at once instead of after the lease's expiry.
    /// </remarks>
    /// <exception cref="ArgumentException">A request is null or incomplete, or its enrollment id is already used (nothing is written).</exception>
    public ValueTask<LeasedEnrollments> EnrollLeasedAsync(IReadOnlyList<EnrollmentRequest> requests, EnrollmentLease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        return EnrollCoreAsync(requests, lease, cancellationToken);
    }

    private ValueTask<LeasedEnrollments> EnrollCoreAsync(IReadOnlyList<EnrollmentRequest> requests, EnrollmentLease? lease, CancellationToken cancellationToken)
    {
        var ids = StoreArgumentChecks.EnrollmentRequests(requests, nameof(requests));
        if (requests.Count == 0)
        {
            return ValueTask.FromResult(new LeasedEnrollments([], []));
        }

        // A retry after a lost reply may find the first attempt committed: its rows are then recognised, not refused.
        var attempts = 0;
        return database.InTransactionAsync(lease is null ? "enroll" : "enroll leased", (connection, transaction, token) => EnrollInTransactionAsync(connection, transaction, requests, ids, lease, ++attempts > 1, token), cancellationToken);
    }

    private async ValueTask<LeasedEnrollments> EnrollInTransactionAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<EnrollmentRequest> requests, HashSet<Guid> ids, EnrollmentLease? lease, bool retry, CancellationToken token)
    {
        // On a retry of this call, a stored row with the id, customer, journey, version and entry time of its request is
        // this call's own earlier insert (committed, the reply lost): that request is Created, and not inserted or
        // counted again. Anything else with a used id is the caller's mistake.
        var own = new HashSet<Guid>();
        using (var existing = database.Command(connection, transaction,
            "SELECT enrollment_id, customer_id, journey_id, version, entered_at FROM {s}.enrollments WHERE enrollment_id = ANY ($1)"))
        {
            existing.Parameters.Add(Parameter(ids.ToArray()));
            var byId = new Dictionary<Guid, EnrollmentRequest>(requests.Count);
            foreach (var request in requests)
            {
                byId[request.EnrollmentId] = request;
            }

            using var reader = await existing.ExecuteReaderAsync(token).ConfigureAwait(false);
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                var used = reader.GetGuid(0);
                var request = byId[used];
                if (!retry
                    || !string.Equals(reader.GetString(1), request.CustomerId, StringComparison.Ordinal)
                    || !string.Equals(reader.GetString(2), request.JourneyId, StringComparison.Ordinal)
                    || reader.GetInt32(3) != request.Version
                    || reader.GetFieldValue<DateTimeOffset>(4).UtcTicks / 10 != request.At.UtcTicks / 10)
                {
                    throw new ArgumentException($"Enrollment id {used} already exists; nothing was written.", nameof(requests));
                }

                own.Add(used);
            }
        }

        var pairs = new HashSet<(string Customer, string Journey)>();
        var journeys = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var request in requests)
        {
            pairs.Add((request.CustomerId, request.JourneyId));
            journeys.Add(request.JourneyId);
        }

        var pairCustomers = pairs.Select(static p => p.Customer).ToArray();
        var pairJourneys = pairs.Select(static p => p.Journey).ToArray();
        var journeyIds = journeys.ToArray();
        var batch = new NpgsqlBatch(connection, transaction);
        await using (batch.ConfigureAwait(false))
        {
            var locks = new NpgsqlBatchCommand(database.Sql(
                "SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT DISTINCT hashtextextended('journeys.entry:' || u.c || chr(31) || u.j, 0) AS k FROM unnest($1::text[], $2::text[]) AS u(c, j) ORDER BY k) s"));
            locks.Parameters.Add(Parameter(pairCustomers));
            locks.Parameters.Add(Parameter(pairJourneys));
            var counters = new NpgsqlBatchCommand(database.Sql(
                "INSERT INTO {s}.journey_entries (journey_id, created) SELECT j, 0 FROM unnest($1::text[]) AS j ON CONFLICT (journey_id) DO NOTHING"));
            counters.Parameters.Add(Parameter(journeyIds));
            var lockCounters = new NpgsqlBatchCommand(database.Sql("SELECT journey_id, created FROM {s}.journey_entries WHERE journey_id = ANY ($1) ORDER BY journey_id FOR UPDATE"));
            lockCounters.Parameters.Add(Parameter(journeyIds));
            var previous = new NpgsqlBatchCommand(database.Sql(
                "SELECT e.customer_id, e.journey_id, e.enrollment_id, e.status, e.updated_at FROM unnest($1::text[], $2::text[]) AS u(c, j)"
                + " JOIN {s}.enrollments e ON e.customer_id = u.c AND e.journey_id = u.j"));
            previous.Parameters.Add(Parameter(pairCustomers));
            previous.Parameters.Add(Parameter(pairJourneys));
            var cursors = new NpgsqlBatchCommand(database.Sql("SELECT customer_id, max(sequence) FROM {s}.events WHERE customer_id = ANY ($1) GROUP BY customer_id"));
            cursors.Parameters.Add(Parameter(pairCustomers.Distinct(StringComparer.Ordinal).ToArray()));
            batch.BatchCommands.Add(locks);
            batch.BatchCommands.Add(counters);
            batch.BatchCommands.Add(lockCounters);
            batch.BatchCommands.Add(previous);
            batch.BatchCommands.Add(cursors);

            var created = new Dictionary<string, long>(StringComparer.Ordinal);
            var history = new Dictionary<(string Customer, string Journey), EntryHistory>();
            var lastEvent = new Dictionary<string, long>(StringComparer.Ordinal);
            using (var reader = await batch.ExecuteReaderAsync(token).ConfigureAwait(false))
            {
                // Statements without rows (the INSERT) have no result of their own: the reader stands on the locks' result.
                await reader.NextResultAsync(token).ConfigureAwait(false);
                while (await reader.ReadAsync(token).ConfigureAwait(false))
                {
                    created[reader.GetString(0)] = reader.GetInt64(1);
                }

                await reader.NextResultAsync(token).ConfigureAwait(false);
                while (await reader.ReadAsync(token).ConfigureAwait(false))
                {
                    var key = (reader.GetString(0), reader.GetString(1));
                    if (!history.TryGetValue(key, out var entry))
                    {
                        entry = new EntryHistory();
                        history.Add(key, entry);
                    }

                    var status = (EnrollmentStatus)reader.GetInt16(3);
                    if (status is EnrollmentStatus.Active or EnrollmentStatus.Waiting)
                    {
                        entry.Active = reader.GetGuid(2);
                    }
                    else
                    {
                        entry.Previous = true;
                        var updatedAt = reader.GetFieldValue<DateTimeOffset>(4);
                        if (entry.LastEnd is null || updatedAt > entry.LastEnd)
                        {
                            entry.LastEnd = updatedAt;
                        }
                    }
                }

                await reader.NextResultAsync(token).ConfigureAwait(false);
                while (await reader.ReadAsync(token).ConfigureAwait(false))
                {
                    lastEvent[reader.GetString(0)] = reader.GetInt64(1);
                }
            }

            var outcomes = new EnrollmentOutcome[requests.Count];
            var accepted = new List<EnrollmentRequest>(requests.Count);
            for (var i = 0; i < requests.Count; i++)
            {
                var request = requests[i];
                if (own.Contains(request.EnrollmentId))
                {
                    // Created by the attempt whose reply was lost: already in the history and the entry counter.
                    outcomes[i] = new EnrollmentOutcome(EnrollmentOutcomeKind.Created, request.EnrollmentId);
                    continue;
                }

                var key = (request.CustomerId, request.JourneyId);
                history.TryGetValue(key, out var entry);
                if (entry?.Active is { } active)
                {
                    outcomes[i] = new EnrollmentOutcome(EnrollmentOutcomeKind.DuplicateActive, active);
                    continue;
                }

                var rules = request.Rules;
                if ((rules.WindowStart is { } start && request.At < start) || (rules.WindowEnd is { } end && request.At >= end))
                {
                    outcomes[i] = new EnrollmentOutcome(EnrollmentOutcomeKind.OutsideWindow, null);
                    continue;
                }

                var refused = rules.ReEntry switch
                {
                    ReEntryMode.Never => entry?.Previous ?? false,
                    // Compared as a time since the end: ended + cooldown could run past DateTimeOffset.MaxValue (a valid
                    // TimeSpan.MaxValue cooldown simply never ends).
                    ReEntryMode.AfterCooldown => entry?.LastEnd is { } ended && request.At - ended < (rules.Cooldown ?? TimeSpan.Zero),
                    _ => false,
                };
                if (refused)
                {
                    outcomes[i] = new EnrollmentOutcome(EnrollmentOutcomeKind.ReEntryRefused, null);
                    continue;
                }

                var count = created.GetValueOrDefault(request.JourneyId);
                if (rules.EntryCap is { } cap && count >= cap)
                {
                    outcomes[i] = new EnrollmentOutcome(EnrollmentOutcomeKind.CapReached, null);
                    continue;
                }

                created[request.JourneyId] = count + 1;
                if (entry is null)
                {
                    entry = new EntryHistory();
                    history.Add(key, entry);
                }

                entry.Active = request.EnrollmentId;
                accepted.Add(request);
                outcomes[i] = new EnrollmentOutcome(EnrollmentOutcomeKind.Created, request.EnrollmentId);
            }

            // The lost attempt's rows it leased to this owner never reached the caller: back to the ready queue (they keep
            // their place) for the next claim, not held until the lease expires. Untouched since: token 1, still leased.
            if (own.Count > 0 && lease is not null)
            {
                using var release = database.Command(connection, transaction,
                    "UPDATE {s}.enrollments SET lease_owner = NULL, lease_expires_at = NULL WHERE enrollment_id = ANY ($1) AND lease_owner = $2 AND token = 1");
                release.Parameters.Add(Parameter(own.ToArray()));
                release.Parameters.Add(Parameter(lease.Owner));
                if (await release.ExecuteNonQueryAsync(token).ConfigureAwait(false) > 0)
                {
                    await database.NotifyAsync(connection, transaction, PostgreSqlDatabase.WorkPayload, token).ConfigureAwait(false);
                }
            }

            IReadOnlyList<WorkItem> leased = [];
            if (accepted.Count > 0)
            {
                var leaseCount = lease is null ? 0 : Math.Min(lease.MaxItems, accepted.Count);
                leased = await InsertEnrollmentsAsync(connection, transaction, accepted, lastEvent, lease, leaseCount, token).ConfigureAwait(false);
                using (var bump = database.Command(connection, transaction,
                    "UPDATE {s}.journey_entries t SET created = u.created FROM unnest($1::text[], $2::bigint[]) AS u(j, created) WHERE t.journey_id = u.j"))
                {
                    var touched = accepted.Select(static r => r.JourneyId).Distinct(StringComparer.Ordinal).ToArray();
                    bump.Parameters.Add(Parameter(touched));
                    bump.Parameters.Add(Parameter(touched.Select(j => created[j]).ToArray()));
                    await bump.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                }

                // Rows leased to the enrolling engine are its to process: other hosts are woken only for unleased ones.
                if (leased.Count < accepted.Count)
                {
                    await database.NotifyAsync(connection, transaction, PostgreSqlDatabase.WorkPayload, token).ConfigureAwait(false);
                }
            }

            return new LeasedEnrollments(outcomes, leased);
        }
    }

    // Inserts the accepted requests in order, the first leaseCount of them leased ($9 = how many, $10 = owner, $11 = expiry,
    // $12 = whether each may be: not one whose cursor is below its customer's latest event),
    // and returns those as a claim would have: the stored state (read back from the insert), no events (the cursor is the
    // customer's latest event, read in this transaction), the lease expiry.
    private async ValueTask<IReadOnlyList<WorkItem>> InsertEnrollmentsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, List<EnrollmentRequest> accepted, Dictionary<string, long> lastEvent, EnrollmentLease? lease, int leaseCount, CancellationToken token)
    {
        var n = accepted.Count;
        var customers = new string[n];
        var ids = new Guid[n];
        var journeys = new string[n];
        var versions = new int[n];
        var nodes = new string[n];
        var times = new DateTimeOffset[n];
        var wakeEvents = new string[n];
        var eventCursors = new long[n];
        var leasable = new bool[n];
        for (var i = 0; i < n; i++)
        {
            var request = accepted[i];
            customers[i] = request.CustomerId;
            ids[i] = request.EnrollmentId;
            journeys[i] = request.JourneyId;
            versions[i] = request.Version;
            nodes[i] = request.StartNodeId;
            times[i] = Utc(request.At);
            wakeEvents[i] = JsonArray(request.WakeEvents);
            var latest = lastEvent.GetValueOrDefault(request.CustomerId);
            eventCursors[i] = request.EventCursor is { } after && after < latest ? Math.Max(after, 0) : latest;

            // One whose cursor is below the customer's latest event has events to see: left for a claim, which reads them.
            leasable[i] = eventCursors[i] == latest;
        }

        using var insert = database.Command(connection, transaction, """
            INSERT INTO {s}.enrollments (customer_id, enrollment_id, journey_id, version, current_node, status, wake_at, awaited_event, visit,
                entered_at, updated_at, token, wake_events, event_cursor, node_entered_at, node_state, end_reason, created_order, ready_seq,
                lease_owner, lease_expires_at)
            SELECT u.c, u.id, u.j, u.v, u.n, 0, NULL, NULL, 0, u.at, u.at, 1, ARRAY(SELECT jsonb_array_elements_text(u.we::jsonb)), u.cur, u.at, 0, NULL,
                nextval('{s}.enrollment_order_seq'), nextval('{s}.ready_seq'),
                CASE WHEN u.ord <= $9 AND u.lk THEN $10 END, CASE WHEN u.ord <= $9 AND u.lk THEN $11::timestamptz END
            FROM unnest($1::text[], $2::uuid[], $3::text[], $4::int[], $5::text[], $6::timestamptz[], $7::text[], $8::bigint[], $12::boolean[])
                WITH ORDINALITY AS u(c, id, j, v, n, at, we, cur, lk, ord)
            ORDER BY u.ord
            RETURNING CASE WHEN lease_owner IS NOT NULL THEN created_order END,
            """ + EnrollmentColumns);
        insert.Parameters.Add(Parameter(customers));
        insert.Parameters.Add(Parameter(ids));
        insert.Parameters.Add(Parameter(journeys));
        insert.Parameters.Add(Parameter(versions));
        insert.Parameters.Add(Parameter(nodes));
        insert.Parameters.Add(Parameter(times));
        insert.Parameters.Add(Parameter(wakeEvents));
        insert.Parameters.Add(Parameter(eventCursors));
        insert.Parameters.Add(Parameter<long>(leaseCount));
        insert.Parameters.Add(new NpgsqlParameter { Value = lease is null ? DBNull.Value : lease.Owner, NpgsqlDbType = NpgsqlDbType.Text });
        insert.Parameters.Add(new NpgsqlParameter { Value = lease is null ? DBNull.Value : Utc(lease.ExpiresAt), NpgsqlDbType = NpgsqlDbType.TimestampTz });
        insert.Parameters.Add(Parameter(leasable));
        if (leaseCount == 0)
        {
            await insert.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            return [];
        }

        // The leased rows in request order (created_order follows it); the unleased ones come back as a null order, skipped.
        var leased = new List<(long Order, Enrollment State)>(leaseCount);
        using (var reader = await insert.ExecuteReaderAsync(token).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                if (!reader.IsDBNull(0))
                {
                    leased.Add((reader.GetInt64(0), ReadEnrollment(reader, 1)));
                }
            }
        }

        leased.Sort(static (x, y) => x.Order.CompareTo(y.Order));
        var items = new WorkItem[leased.Count];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = new WorkItem(leased[i].State, Array.Empty<SequencedEvent>(), lease!.ExpiresAt);
        }

        return items;
    }

    /// <inheritdoc />
    /// <remarks>
    /// One round trip, one statement (its own implicit transaction): due timers in (wake time, id) order and the ready
    /// queue in arrival order are taken with <c>FOR UPDATE SKIP LOCKED</c>, so hosts claiming at once never get the same
    /// enrollment, and stamped with the lease; the same statement returns, after the claimed rows, the pending events of
    /// their customers (rows of a second kind, a superset at worst, filtered per enrollment by its cursor). A lease that
    /// expired by <paramref name="now"/> is claimable where its row stands (schema version 4): a claim keeps the row's
    /// place in the timers or the ready queue until its commit, and changes only the unindexed lease columns, so it is
    /// a HOT update (no index entry). The owner of an expired lease stays recorded until someone claims the row, so its
    /// late commit is accepted until then.
    /// </remarks>
    public ValueTask<IReadOnlyList<WorkItem>> ClaimAsync(string owner, DateTimeOffset now, int maxItems, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxItems);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        var at = Utc(now);
        var expiresAt = Utc(now + lease);
        return database.ExecuteAsync<IReadOnlyList<WorkItem>>("claim enrollments", async (connection, token) =>
        {
            var claimed = new List<(long Order, Enrollment State)>();
            var events = new Dictionary<string, List<SequencedEvent>>(StringComparer.Ordinal);
            var batch = new NpgsqlBatch(connection);
            await using (batch.ConfigureAwait(false))
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand(GenericPlanSql));
                var claim = new NpgsqlBatchCommand(ClaimSql(maxItems));
                claim.Parameters.Add(Parameter(at));
                claim.Parameters.Add(Parameter(owner));
                claim.Parameters.Add(Parameter(expiresAt));
                batch.BatchCommands.Add(claim);
                await batch.PrepareAsync(token).ConfigureAwait(false);
                using var reader = await batch.ExecuteReaderAsync(token).ConfigureAwait(false);
                await reader.NextResultAsync(token).ConfigureAwait(false);
                while (await reader.ReadAsync(token).ConfigureAwait(false))
                {
                    if (reader.GetInt32(0) == 0)
                    {
                        claimed.Add((reader.GetInt64(1), ReadEnrollment(reader, 2)));
                    }
                    else
                    {
                        AddEventRow(reader, ClaimEventOffset, events);
                    }
                }
            }

            if (claimed.Count == 0)
            {
                return Array.Empty<WorkItem>();
            }

            claimed.Sort(static (x, y) => x.Order.CompareTo(y.Order));
            foreach (var list in events.Values)
            {
                list.Sort(static (x, y) => x.Sequence.CompareTo(y.Sequence));
            }

            var items = new WorkItem[claimed.Count];
            for (var i = 0; i < items.Length; i++)
            {
                var state = claimed[i].State;
                items[i] = EarlierFeedback(events, state) is { } earlier
                    ? new WorkItem(state, EventsAfter(events, state), now + lease) { EarlierFeedback = earlier }
                    : new WorkItem(state, EventsAfter(events, state), now + lease);
            }

            return items;
        }, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// One statement: the held rows (leased to <paramref name="owner"/>, expiring after <paramref name="now"/>) are
    /// locked in primary-key order, as a commit locks them, so a renewal and a commit cannot deadlock, and their expiry
    /// moved; a row whose lease was released or taken over while the renewal waited for its lock is re-checked and
    /// left alone.
    /// </remarks>
    public ValueTask<IReadOnlyList<bool>> RenewLeasesAsync(string owner, IReadOnlyList<Guid> enrollmentIds, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(enrollmentIds);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        if (enrollmentIds.Count == 0)
        {
            return ValueTask.FromResult<IReadOnlyList<bool>>([]);
        }

        var ids = enrollmentIds.ToArray();
        return RenewAsync("renew enrollment leases", "enrollments", "enrollment_id", () => Parameter(ids), ids, static (reader, i) => reader.GetGuid(i), EqualityComparer<Guid>.Default, owner, now, lease, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// One transaction: the rows leased to <paramref name="owner"/> (expired or not) are locked in primary-key order, as
    /// a commit locks them, and their lease ended where they stand (a claim keeps a row's place in the ready queue and
    /// its timer, so nothing else moves; the owner is kept, as after an expiry); the other hosts are told by <c>NOTIFY</c>.
    /// </remarks>
    public ValueTask<IReadOnlyList<bool>> ReleaseLeasesAsync(string owner, IReadOnlyList<Guid> enrollmentIds, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(enrollmentIds);
        if (enrollmentIds.Count == 0)
        {
            return ValueTask.FromResult<IReadOnlyList<bool>>([]);
        }

        var ids = enrollmentIds.ToArray();
        return ReleaseAsync("release enrollment leases", "enrollments", "enrollment_id", () => Parameter(ids), ids, static (reader, i) => reader.GetGuid(i), EqualityComparer<Guid>.Default, owner, PostgreSqlDatabase.WorkPayload, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// One transaction: the customers' event locks are taken (transaction-scoped advisory locks, so appends for one
    /// customer take their sequence numbers in commit order), the events are inserted with sequence numbers from one store-wide sequence, in call order; then
    /// waiting, unleased enrollments of those customers that are not already ready and have a pending event among their
    /// wake events join the ready queue (in creation order). Other hosts are told by <c>NOTIFY</c>.
    /// </remarks>
    public async ValueTask AppendEventsAsync(IReadOnlyList<CustomerEvent> events, CancellationToken cancellationToken = default) =>
        await AppendNewEventsAsync(events, StoreArgumentChecks.LatestEventTime(events), DateTimeOffset.MinValue, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    /// <remarks>
    /// As the other overload, in its transaction: with the customers' event locks held, the ids are upserted into
    /// <c>event_ids</c> (a row recorded before <paramref name="idsSince"/> is replaced, a newer one is not: a duplicate),
    /// and only the events whose id row was written, or that have no id, are inserted. A call without ids makes no
    /// extra round trip.
    /// </remarks>
    public async ValueTask<IReadOnlyList<long>> AppendNewEventsAsync(IReadOnlyList<CustomerEvent> events, DateTimeOffset now, DateTimeOffset idsSince, CancellationToken cancellationToken = default)
    {
        StoreArgumentChecks.Events(events, nameof(events));
        if (events.Count == 0)
        {
            return [];
        }

        // Once: an event without an id has nothing to recognise itself by, so a retry after a lost COMMIT reply would append it again.
        return await database.InTransactionOnceAsync<IReadOnlyList<long>>(
            "append events", async (connection, transaction, token) => await AppendInTransactionAsync(connection, transaction, events, now, idsSince, token).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// One transaction: the events are appended as <see cref="AppendNewEventsAsync"/> appends them (the customers' event
    /// locks held to the end), then the appended events' entries are made as <see cref="EnrollAsync"/> makes them (its
    /// locks, after the event locks), their clicks counted and their statistics added, so a failure writes nothing. A
    /// retry of the transaction after a lost commit reply asks the server whether the lost attempt committed and then
    /// returns that attempt's result (<see cref="PostgreSqlDatabase.InTransactionOnceAsync{T}"/>): nothing is appended,
    /// made or counted again, events without ids included.
    /// </remarks>
    public async ValueTask<PublishedEvents?> PublishEventsAsync(
        IReadOnlyList<CustomerEvent> events, DateTimeOffset now, DateTimeOffset idsSince, IReadOnlyList<EventConsequence> consequences, EnrollmentLease? lease, CancellationToken cancellationToken = default)
    {
        StoreArgumentChecks.EventConsequences(events, consequences, nameof(consequences));
        var attempts = 0;
        // Once: the ids make a retry after a lost COMMIT reply append nothing again, but events without ids (and their clicks and
        // statistics) would be; a retry that finds the first attempt committed returns its result, leased entries included.
        return await database.InTransactionOnceAsync<PublishedEvents?>("publish events", async (connection, transaction, token) =>
        {
            var sequences = await AppendInTransactionAsync(connection, transaction, events, now, idsSince, token).ConfigureAwait(false);
            var entries = PublishedEvents.EntriesToMake(consequences, sequences);
            var made = entries.Count == 0 ? new LeasedEnrollments([], []) : await EnrollInTransactionAsync(
                connection, transaction, entries.Select(static e => e.Request).ToArray(), entries.Select(static e => e.Request.EnrollmentId).ToHashSet(), lease, ++attempts > 1, token).ConfigureAwait(false);
            var (clicks, deltas) = PublishedEvents.FeedbackToCount(consequences, sequences);
            if (clicks.Count > 0)
            {
                using var command = database.Command(connection, transaction, AddClicksSql);
                command.Parameters.Add(Parameter(clicks.Select(static c => c.CustomerId).ToArray()));
                command.Parameters.Add(Parameter(clicks.Select(static c => c.EnrollmentId).ToArray()));
                await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            }

            if (deltas.Count > 0)
            {
                await AddStatisticsAsync(connection, transaction, deltas, token).ConfigureAwait(false);
            }

            return PublishedEvents.Of(sequences, consequences.Count, entries, made);
        }, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<long[]> AppendInTransactionAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<CustomerEvent> events, DateTimeOffset now, DateTimeOffset idsSince, CancellationToken token)
    {
        var n = events.Count;

        // A repeated (customer, id) in the call is a duplicate of its first occurrence (one upsert row per key).
        var seen = new HashSet<(string, string)>();
        var withId = new List<int>();
        for (var i = 0; i < n; i++)
        {
            if (events[i].Id is { } eventId && seen.Add((events[i].CustomerId, eventId)))
            {
                withId.Add(i);
            }
        }

        var allCustomers = events.Select(static e => e.CustomerId).ToArray();
        var append = new bool[n];
        var locked = false;
        if (seen.Count > 0)
        {
            var batch = new NpgsqlBatch(connection, transaction);
            await using (batch.ConfigureAwait(false))
            {
                var locks = new NpgsqlBatchCommand(database.Sql(CustomerEventLocksSql));
                locks.Parameters.Add(Parameter(allCustomers));
                var record = new NpgsqlBatchCommand(database.Sql(
                    "INSERT INTO {s}.event_ids AS x (customer_id, event_id, recorded_at)"
                    + " SELECT u.c, u.id, $3 FROM unnest($1::text[], $2::text[]) AS u(c, id)"
                    + " ON CONFLICT (customer_id, event_id) DO UPDATE SET recorded_at = excluded.recorded_at WHERE x.recorded_at < $4"
                    + " RETURNING x.customer_id, x.event_id"));
                record.Parameters.Add(Parameter(withId.Select(i => events[i].CustomerId).ToArray()));
                record.Parameters.Add(Parameter(withId.Select(i => events[i].Id!).ToArray()));
                record.Parameters.Add(Parameter(Utc(now)));
                record.Parameters.Add(Parameter(Utc(idsSince)));
                batch.BatchCommands.Add(locks);
                batch.BatchCommands.Add(record);
                var recorded = new HashSet<(string, string)>();
                var reader = await batch.ExecuteReaderAsync(token).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    await reader.NextResultAsync(token).ConfigureAwait(false);
                    while (await reader.ReadAsync(token).ConfigureAwait(false))
                    {
                        recorded.Add((reader.GetString(0), reader.GetString(1)));
                    }
                }

                for (var i = 0; i < n; i++)
                {
                    // Each recorded key appends its first occurrence only.
                    append[i] = events[i].Id is not { } eventId || recorded.Remove((events[i].CustomerId, eventId));
                }
            }

            locked = true;
        }
        else
        {
            Array.Fill(append, true);
        }

        var sequences = new long[n];
        var kept = Enumerable.Range(0, n).Where(i => append[i]).ToArray();
        if (kept.Length == 0)
        {
            return sequences;
        }

        var customers = kept.Select(i => events[i].CustomerId).ToArray();
        var insertBatch = new NpgsqlBatch(connection, transaction);
        await using (insertBatch.ConfigureAwait(false))
        {
            // The customers' event locks (transaction-scoped, in a fixed order) before the sequence numbers are
            // taken: two appends for one customer then take their numbers in commit order, so an event never becomes
            // visible after a later-numbered event of its customer (a claim in between would move the enrollment's
            // cursor past it, and it would never be seen).
            if (!locked)
            {
                var locks = new NpgsqlBatchCommand(database.Sql(CustomerEventLocksSql));
                locks.Parameters.Add(Parameter(customers));
                insertBatch.BatchCommands.Add(locks);
            }

            var insert = new NpgsqlBatchCommand(database.Sql(
                "INSERT INTO {s}.events (customer_id, sequence, name, properties, time, message_id, event_id)"
                + " SELECT u.c, nextval('{s}.event_seq'), u.name, u.props, u.time, u.mid, u.eid"
                + " FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[]) WITH ORDINALITY AS u(c, name, props, time, mid, eid, ord) ORDER BY u.ord"
                + " RETURNING sequence"));
            insert.Parameters.Add(Parameter(customers));
            insert.Parameters.Add(Parameter(kept.Select(i => events[i].Name).ToArray()));
            insert.Parameters.Add(Parameter(kept.Select(i => FieldJson.Write(events[i].Properties ?? [])).ToArray()));
            insert.Parameters.Add(Parameter(kept.Select(i => Utc(events[i].Time)).ToArray()));
            insert.Parameters.Add(NullableArray(kept.Select(i => events[i].MessageId).ToArray(), NpgsqlDbType.Text));
            insert.Parameters.Add(NullableArray(kept.Select(i => events[i].Id).ToArray(), NpgsqlDbType.Text));
            var wake = new NpgsqlBatchCommand(database.Sql(
                "UPDATE {s}.enrollments e SET ready_seq = x.seq FROM (SELECT y.customer_id, y.enrollment_id, nextval('{s}.ready_seq') AS seq FROM ("
                + " SELECT e2.customer_id, e2.enrollment_id FROM {s}.enrollments e2"
                + " WHERE e2.customer_id = ANY ($1) AND e2.status = 1 AND e2.lease_expires_at IS NULL AND e2.ready_seq IS NULL AND " + PendingWakeEvent
                + " ORDER BY e2.created_order FOR UPDATE) y) x WHERE e.customer_id = x.customer_id AND e.enrollment_id = x.enrollment_id"));
            wake.Parameters.Add(Parameter(customers.Distinct(StringComparer.Ordinal).ToArray()));
            var notify = new NpgsqlBatchCommand("SELECT pg_notify($1, $2)");
            notify.Parameters.Add(Parameter(database.Channel));
            notify.Parameters.Add(Parameter(PostgreSqlDatabase.WorkPayload));
            insertBatch.BatchCommands.Add(insert);
            insertBatch.BatchCommands.Add(wake);
            insertBatch.BatchCommands.Add(notify);
            var reader = await insertBatch.ExecuteReaderAsync(token).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            if (!locked)
            {
                await reader.NextResultAsync(token).ConfigureAwait(false);
            }

            // The rows come back in insert order, which is the ORDER BY u.ord of the numbering.
            var next = 0;
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                sequences[kept[next++]] = reader.GetInt64(0);
            }

            while (await reader.NextResultAsync(token).ConfigureAwait(false))
            {
            }
        }

        return sequences;
    }

    /// <inheritdoc />
    public ValueTask<DateTimeOffset?> GetNextWakeAsync(CancellationToken cancellationToken = default) =>
        database.ExecuteAsync("next wake", async (connection, token) =>
        {
            using var command = database.Command(connection, null,
                "SELECT min(wake_at) FROM {s}.enrollments WHERE status = 1 AND wake_at IS NOT NULL AND lease_expires_at IS NULL");
            return await command.ExecuteScalarAsync(token).ConfigureAwait(false) is DateTime at ? new DateTimeOffset(at, TimeSpan.Zero) : (DateTimeOffset?)null;
        }, cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Enrollment>> GetByCustomerAsync(string customerId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(customerId);
        return database.ExecuteAsync<IReadOnlyList<Enrollment>>("enrollments of a customer", async (connection, token) =>
        {
            using var command = database.Command(connection, null,
                "SELECT " + EnrollmentColumns + " FROM {s}.enrollments WHERE customer_id = $1 ORDER BY entered_at DESC, created_order DESC");
            command.Parameters.Add(Parameter(customerId));
            var result = new List<Enrollment>();
            using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                result.Add(ReadEnrollment(reader));
            }

            return result;
        }, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>One primary-key read.</remarks>
    public ValueTask<Enrollment?> GetAsync(string customerId, Guid enrollmentId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(customerId);
        return database.ExecuteAsync<Enrollment?>("an enrollment of a customer", async (connection, token) =>
        {
            using var command = database.Command(connection, null, "SELECT " + EnrollmentColumns + " FROM {s}.enrollments WHERE customer_id = $1 AND enrollment_id = $2");
            command.Parameters.Add(Parameter(customerId));
            command.Parameters.Add(Parameter(enrollmentId));
            using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            return await reader.ReadAsync(token).ConfigureAwait(false) ? ReadEnrollment(reader) : null;
        }, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>One query (one server snapshot), streamed row by row.</remarks>
    public async IAsyncEnumerable<Enrollment> ListByJourneyAsync(string journeyId, int? version, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(journeyId);
        await database.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var connection = await database.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = database.Command(connection, null,
                "SELECT " + EnrollmentColumns + " FROM {s}.enrollments WHERE journey_id = $1 AND ($2::int IS NULL OR version = $2) ORDER BY customer_id, entered_at, created_order");
            command.Parameters.Add(Parameter(journeyId));
            command.Parameters.Add(new NpgsqlParameter { Value = version is { } v ? v : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return ReadEnrollment(reader);
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// One transaction: the matching active and waiting rows (leased ones too) are locked, cancelled with the next token
    /// and their lease cleared, and counted; then the outbox rows matching the same filters are deleted (leased ones
    /// too). When it deletes any, it also notifies every host (<c>NOTIFY</c>, on commit): a host whose dispatcher took
    /// some of them before the cancel checks that it still holds a batch before sending it.
    /// </remarks>
    public ValueTask<int> CancelAsync(string? journeyId, int? version, string? customerId, string reason, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reason);
        return database.InTransactionAsync("cancel enrollments", async (connection, transaction, token) =>
        {
            var deltas = new List<StatisticDelta>();
            var cancelledAt = new HashSet<(Guid, string)>();
            var count = 0;
            var withdrawn = 0;
            using (var command = database.Command(connection, transaction, """
                WITH c AS (
                    SELECT customer_id, enrollment_id, journey_id, version, current_node FROM {s}.enrollments
                    WHERE status IN (0, 1) AND ($1::text IS NULL OR journey_id = $1) AND ($2::int IS NULL OR version = $2) AND ($3::text IS NULL OR customer_id = $3)
                    ORDER BY customer_id, enrollment_id FOR UPDATE),
                u AS (
                    UPDATE {s}.enrollments e SET status = 6, current_node = NULL, wake_at = NULL, awaited_event = NULL, updated_at = $4, token = e.token + 1,
                        end_reason = $5, lease_owner = NULL, lease_expires_at = NULL, ready_seq = NULL
                    FROM c WHERE e.customer_id = c.customer_id AND e.enrollment_id = c.enrollment_id)
                SELECT journey_id, version, current_node, enrollment_id FROM c
                """))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = (object?)journeyId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
                command.Parameters.Add(new NpgsqlParameter { Value = version is { } v ? v : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
                command.Parameters.Add(new NpgsqlParameter { Value = (object?)customerId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
                command.Parameters.Add(Parameter(Utc(now)));
                command.Parameters.Add(Parameter(reason));
                using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
                while (await reader.ReadAsync(token).ConfigureAwait(false))
                {
                    count++;
                    var journey = reader.GetString(0);
                    var journeyVersion = reader.GetInt32(1);
                    deltas.Add(new StatisticDelta(journey, journeyVersion, null, StatisticCounter.Cancelled));
                    if (!reader.IsDBNull(2))
                    {
                        var node = reader.GetString(2);
                        deltas.Add(new StatisticDelta(journey, journeyVersion, node, StatisticCounter.Cancelled));
                        cancelledAt.Add((reader.GetGuid(3), node));
                    }
                }
            }

            // The outbox messages matching the same filters, leased ones included; each counts at its node unless its
            // enrollment was cancelled at that node just above. The enrollments' row locks are held, so a commit of
            // theirs cannot add messages behind this statement.
            using (var command = database.Command(connection, transaction, """
                DELETE FROM {s}.outbox WHERE ($1::text IS NULL OR journey_id = $1) AND ($2::int IS NULL OR journey_version = $2) AND ($3::text IS NULL OR customer_id = $3)
                RETURNING journey_id, journey_version, node_id, enrollment_id
                """))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = (object?)journeyId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
                command.Parameters.Add(new NpgsqlParameter { Value = version is { } v ? v : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
                command.Parameters.Add(new NpgsqlParameter { Value = (object?)customerId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
                using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
                while (await reader.ReadAsync(token).ConfigureAwait(false))
                {
                    withdrawn++;
                    if (reader.IsDBNull(0) || reader.IsDBNull(2))
                    {
                        continue;
                    }

                    var node = reader.GetString(2);
                    if (!reader.IsDBNull(3) && cancelledAt.Contains((reader.GetGuid(3), node)))
                    {
                        continue;
                    }

                    deltas.Add(new StatisticDelta(reader.GetString(0), reader.GetInt32(1), node, StatisticCounter.Cancelled));
                }
            }

            await AddStatisticsAsync(connection, transaction, deltas, token).ConfigureAwait(false);
            if (withdrawn > 0)
            {
                await database.NotifyAsync(connection, transaction, PostgreSqlDatabase.WithdrawnPayload, token).ConfigureAwait(false);
            }

            return count;
        }, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// One statement, so atomic: the event ids go in a data-modifying <c>WITH</c> of the events' delete (a failure deletes
    /// neither). The cursor check reads the customer's live enrollments through the primary key. Maintenance, not a hot path.
    /// </remarks>
    public ValueTask<int> PurgeEventsAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default) =>
        database.ExecuteAsync("purge events", async (connection, token) =>
        {
            using var command = database.Command(connection, null, """
                WITH ids AS (DELETE FROM {s}.event_ids WHERE recorded_at < $1)
                DELETE FROM {s}.events v WHERE v.time < $1
                AND v.sequence <= COALESCE((SELECT min(e.event_cursor) FROM {s}.enrollments e WHERE e.customer_id = v.customer_id AND e.status IN (0, 1)), 9223372036854775807)
                """);
            command.Parameters.Add(Parameter(Utc(olderThan)));
            return await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
        }, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// In steps of at most <see cref="PurgeStep"/> enrollments, each one statement (its own transaction), walking the
    /// table once in key order (customer, enrollment id). A step deletes an ended enrollment changed before the cut-off,
    /// held by no lease and in no ready queue, when an ended enrollment of the same customer and journey ended later (or
    /// at the same instant, with a greater id): the latest one never qualifies, so hosts purging at once cannot delete
    /// what another's decision relied on (a row deleted twice is deleted once).
    /// </remarks>
    public async ValueTask<int> PurgeEndedAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default)
    {
        var removed = 0;
        (string Customer, Guid Id) after = (string.Empty, Guid.Empty);
        while (true)
        {
            var step = await database.ExecuteAsync("purge ended enrollments", async (connection, token) =>
            {
                using var command = database.Command(connection, null, """
                    WITH doomed AS (
                        SELECT e.customer_id, e.enrollment_id FROM {s}.enrollments e
                        WHERE (e.customer_id, e.enrollment_id) > ($2, $3)
                          AND e.status >= 2 AND e.updated_at < $1 AND e.lease_expires_at IS NULL AND e.ready_seq IS NULL
                          AND EXISTS (SELECT 1 FROM {s}.enrollments n
                                      WHERE n.customer_id = e.customer_id AND n.journey_id = e.journey_id AND n.status >= 2
                                        AND (n.updated_at > e.updated_at OR (n.updated_at = e.updated_at AND n.enrollment_id > e.enrollment_id)))
                        ORDER BY e.customer_id, e.enrollment_id
                        LIMIT $4),
                    deleted AS (
                        DELETE FROM {s}.enrollments d USING doomed
                        WHERE d.customer_id = doomed.customer_id AND d.enrollment_id = doomed.enrollment_id
                        RETURNING 1),
                    last AS (SELECT customer_id, enrollment_id FROM doomed ORDER BY customer_id DESC, enrollment_id DESC LIMIT 1)
                    SELECT (SELECT count(*) FROM doomed), (SELECT count(*) FROM deleted), last.customer_id, last.enrollment_id
                    FROM (SELECT 1) one LEFT JOIN last ON true
                    """);
                command.Parameters.Add(Parameter(Utc(olderThan)));
                command.Parameters.Add(Parameter(after.Customer));
                command.Parameters.Add(Parameter(after.Id));
                command.Parameters.Add(Parameter(PurgeStep));
                using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
                await reader.ReadAsync(token).ConfigureAwait(false);
                return (
                    Found: reader.GetInt64(0),
                    Deleted: (int)reader.GetInt64(1),
                    Last: reader.IsDBNull(2) ? after : (reader.GetString(2), reader.GetGuid(3)));
            }, cancellationToken).ConfigureAwait(false);
            removed += step.Deleted;
            if (step.Found < PurgeStep)
            {
                return removed;
            }

            after = step.Last;
        }
    }

    /// <inheritdoc />
    /// <remarks>One statement: the enrollments, the events and the event ids of the customer go together.</remarks>
    public ValueTask<int> EraseCustomerAsync(string customerId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(customerId);
        return database.ExecuteAsync("erase customer", async (connection, token) =>
        {
            using var command = database.Command(connection, null, """
                WITH ids AS (DELETE FROM {s}.event_ids WHERE customer_id = $1),
                events AS (
                    DELETE FROM {s}.events v WHERE v.customer_id = $1
                    AND v.sequence <= COALESCE((SELECT min(e.event_cursor) FROM {s}.enrollments e WHERE e.customer_id = $1 AND e.status IN (0, 1)), 9223372036854775807))
                DELETE FROM {s}.enrollments WHERE customer_id = $1 AND status >= 2 AND lease_expires_at IS NULL AND ready_seq IS NULL
                """);
            command.Parameters.Add(Parameter(customerId));
            return await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
        }, cancellationToken);
    }

    /// <summary>The most enrollments one step of <see cref="PurgeEndedAsync"/> deletes.</summary>
    internal const int PurgeStep = 1_000;

    // One row's event (customer_id, sequence, name, properties, time, message_id, event_id from offset), added to its customer's list.
    private static void AddEventRow(NpgsqlDataReader reader, int offset, Dictionary<string, List<SequencedEvent>> result)
    {
        var customerId = reader.GetString(offset);
        if (!result.TryGetValue(customerId, out var list))
        {
            list = [];
            result.Add(customerId, list);
        }

        list.Add(new SequencedEvent(
            reader.GetInt64(offset + 1),
            new CustomerEvent(
                customerId,
                reader.GetString(offset + 2),
                FieldJson.Read(reader.GetString(offset + 3), StringComparer.OrdinalIgnoreCase),
                reader.GetFieldValue<DateTimeOffset>(offset + 4),
                reader.IsDBNull(offset + 5) ? null : reader.GetString(offset + 5))
            {
                Id = reader.IsDBNull(offset + 6) ? null : reader.GetString(offset + 6),
            }));
    }

    /// <summary>
    /// The customer's events at or before <paramref name="state"/>'s cursor that refer to one of its own messages
    /// (<see cref="WorkItem.EarlierFeedback"/>), or null when there are none.
    /// </summary>
    private static List<SequencedEvent>? EarlierFeedback(Dictionary<string, List<SequencedEvent>> events, Enrollment state)
    {
        if (!events.TryGetValue(state.CustomerId, out var list))
        {
            return null;
        }

        List<SequencedEvent>? earlier = null;
        foreach (var e in list)
        {
            if (e.Sequence <= state.EventCursor && WorkItem.IsOwnMessage(e.Event.MessageId, state.Id))
            {
                (earlier ??= []).Add(e);
            }
        }

        return earlier;
    }

    private static IReadOnlyList<SequencedEvent> EventsAfter(Dictionary<string, List<SequencedEvent>> events, Enrollment state)
    {
        if (!events.TryGetValue(state.CustomerId, out var list))
        {
            return Array.Empty<SequencedEvent>();
        }

        var after = list.FindAll(e => e.Sequence > state.EventCursor);
        return after.Count == 0 ? Array.Empty<SequencedEvent>() : after;
    }

    private sealed class EntryHistory
    {
        public Guid? Active { get; set; }

        public bool Previous { get; set; }

        public DateTimeOffset? LastEnd { get; set; }
    }
}
