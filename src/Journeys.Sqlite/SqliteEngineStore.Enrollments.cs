using System.Runtime.CompilerServices;
using Journeys.Model;
using Journeys.Storage;
using Microsoft.Data.Sqlite;

namespace Journeys.Sqlite;

/// <content>Enrollments: entry rules, claims with leases, checkpoints, customer events, cancellation.</content>
internal sealed partial class SqliteEngineStore
{
    // The head of the timer queue in claim order, and its lease: both read ix_enrollments_timers (sched_at, id) in order
    // and stop after $max rows, however many timers fall due at one instant.
    internal const string DueTimersSql = "SELECT " + EnrollmentColumns + " FROM enrollments INDEXED BY ix_enrollments_timers WHERE sched_kind = 1 AND sched_at <= $now ORDER BY sched_at, id LIMIT $max";
    // An entry's look at what its (journey, customer) pairs already have, through ix_enrollments_journey: reading
    // every enrollment of the customers instead (by the primary key's customer prefix) cost ~0.5 ms per customer with
    // 300 earlier enrollments each (a sending is a journey, and each leaves one enrollment per customer).
    internal const string PreviousEnrollmentsSql = """
        SELECT e.customer_id, e.journey_id, e.id, e.status, e.updated_at
        FROM json_each($pairs) p JOIN enrollments e INDEXED BY ix_enrollments_journey
            ON e.journey_id = json_extract(p.value, '$[0]') AND e.customer_id = json_extract(p.value, '$[1]')
        """;

    // A customer's waiting enrollments (neither ready already nor leased), through ix_enrollments_waiting (schema
    // version 8) rather than every enrollment the customer ever had.
    internal const string WaitingOfCustomerSql = "SELECT id, wake_events FROM enrollments INDEXED BY ix_enrollments_waiting WHERE customer_id = $customer AND status = 1 AND (sched_kind IS NULL OR sched_kind = 1)";

    internal const string LeaseDueTimersSql = """
        UPDATE enrollments SET sched_kind = 2, sched_at = $expires, lease_owner = $owner
        WHERE (customer_id, id) IN (SELECT customer_id, id FROM enrollments INDEXED BY ix_enrollments_timers WHERE sched_kind = 1 AND sched_at <= $now ORDER BY sched_at, id LIMIT $max)
        """;

    /// <inheritdoc />
    /// <remarks>
    /// The same checks, in the same order, as the in-memory store, in one transaction; the unique index on live
    /// enrollments (journey, customer) makes a second active enrollment impossible even if a check were wrong.
    /// </remarks>
    /// <exception cref="ArgumentException">A request is null or incomplete, or its enrollment id is already used (nothing is written).</exception>
    public async ValueTask<IReadOnlyList<EnrollmentOutcome>> EnrollAsync(IReadOnlyList<EnrollmentRequest> requests, CancellationToken cancellationToken = default)
    {
        StoreArgumentChecks.EnrollmentRequests(requests, nameof(requests));
        if (requests.Count == 0)
        {
            return [];
        }

        return await _database.WriteAsync("enroll customers", (this, requests), static (session, s) =>
        {
            var (store, requests) = s;
            return (IReadOnlyList<EnrollmentOutcome>)store.EnrollBatch(session, requests, null, null);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The checks of <see cref="EnrollAsync"/> in the same one transaction; each of the first
    /// <see cref="EnrollmentLease.MaxItems"/> created rows is inserted leased (schedule kind 2, the lease expiry, the
    /// owner), as a claim would have left it, so the owner's "claim enrollments" transaction is not needed for it.
    /// </remarks>
    /// <exception cref="ArgumentException">A request is null or incomplete, or its enrollment id is already used (nothing is written).</exception>
    public async ValueTask<LeasedEnrollments> EnrollLeasedAsync(IReadOnlyList<EnrollmentRequest> requests, EnrollmentLease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        StoreArgumentChecks.EnrollmentRequests(requests, nameof(requests));
        if (requests.Count == 0)
        {
            return new LeasedEnrollments([], []);
        }

        return await _database.WriteAsync("enroll customers leased", (this, requests, lease), static (session, s) =>
        {
            var (store, requests, lease) = s;
            var leased = new List<WorkItem>(Math.Min(lease.MaxItems, requests.Count));
            var outcomes = store.EnrollBatch(session, requests, lease, leased);
            return new LeasedEnrollments(outcomes, leased);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// First the leases that expired at or before <paramref name="now"/> are released (each enrollment goes back to the
    /// ready queue or the timers; the last owner stays recorded, so its late commit is accepted until someone else
    /// claims). Then due timers in wake-time order, then the ready queue in arrival order. One transaction.
    /// </remarks>
    public async ValueTask<IReadOnlyList<WorkItem>> ClaimAsync(string owner, DateTimeOffset now, int maxItems, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxItems);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);

        // The engine polls when idle: finding nothing through a reader is much cheaper than an empty write transaction.
        var anyWork = _database.Read("look for ready enrollments", now.UtcTicks, static (session, now) =>
        {
            var probe = session.Command(
                "SELECT EXISTS (SELECT 1 FROM enrollments WHERE sched_kind = 0)"
                + " OR EXISTS (SELECT 1 FROM enrollments WHERE sched_kind = 1 AND sched_at <= $now)"
                + " OR EXISTS (SELECT 1 FROM enrollments WHERE sched_kind = 2 AND sched_at <= $now)");
            probe.Parameters.AddWithValue("$now", now);
            return probe.ExecuteScalar() is long found && found != 0;
        });
        if (!anyWork)
        {
            return [];
        }

        return await _database.WriteAsync("claim enrollments", (this, owner, now, maxItems, lease), static (session, s) =>
        {
            var (store, owner, now, maxItems, lease) = s;
            store.ReleaseExpiredLeases(session, now);
            // Two statements per queue: read the head in order, then lease exactly those rows (the same ordered
            // subquery in the same transaction), rather than one update per row. Timers due at the same instant go in
            // id order, as in the other stores, read in that order from ix_enrollments_timers (schema version 7).
            var expiresAt = now + lease;
            var timers = session.Command(DueTimersSql);
            timers.Parameters.AddWithValue("$now", now.UtcTicks);
            timers.Parameters.AddWithValue("$max", maxItems);
            var states = ReadAll(timers);
            if (states.Count > 0)
            {
                var leaseTimers = session.Command(LeaseDueTimersSql);
                leaseTimers.Parameters.AddWithValue("$expires", expiresAt.UtcTicks);
                leaseTimers.Parameters.AddWithValue("$owner", owner);
                leaseTimers.Parameters.AddWithValue("$now", now.UtcTicks);
                leaseTimers.Parameters.AddWithValue("$max", states.Count);
                leaseTimers.ExecuteNonQuery();
            }

            if (states.Count < maxItems)
            {
                var ready = session.Command($"SELECT {EnrollmentColumns}, sched_at FROM enrollments WHERE sched_kind = 0 ORDER BY sched_at LIMIT $max");
                ready.Parameters.AddWithValue("$max", maxItems - states.Count);
                var readyStates = new List<Enrollment>();
                long lastArrival = 0;
                using (var reader = ready.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        readyStates.Add(ReadEnrollment(reader));
                        lastArrival = reader.GetInt64(19);
                    }
                }

                if (readyStates.Count > 0)
                {
                    // Ready rows have distinct arrival numbers, so the head is every ready row up to the last one read.
                    var leaseReady = session.Command("UPDATE enrollments SET sched_kind = 2, sched_at = $expires, lease_owner = $owner WHERE sched_kind = 0 AND sched_at <= $last");
                    leaseReady.Parameters.AddWithValue("$expires", expiresAt.UtcTicks);
                    leaseReady.Parameters.AddWithValue("$owner", owner);
                    leaseReady.Parameters.AddWithValue("$last", lastArrival);
                    leaseReady.ExecuteNonQuery();
                    states.AddRange(readyStates);
                }
            }

            var claimed = new List<WorkItem>(states.Count);
            var events = EventsAfter(session, states);
            foreach (var state in states)
            {
                var inbox = events?.GetValueOrDefault(state.CustomerId);
                claimed.Add(inbox is null
                    ? new WorkItem(state, [], expiresAt)
                    : new WorkItem(state, After(inbox, state.EventCursor), expiresAt) { EarlierFeedback = EarlierFeedback(inbox, state) ?? [] });
            }

            return (IReadOnlyList<WorkItem>)claimed;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// One transaction, one conditional update per id through <c>ix_enrollments_id</c>: held means leased (schedule
    /// kind 2) to <paramref name="owner"/> with an expiry after <paramref name="now"/>.
    /// </remarks>
    public async ValueTask<IReadOnlyList<bool>> RenewLeasesAsync(string owner, IReadOnlyList<Guid> enrollmentIds, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(enrollmentIds);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        if (enrollmentIds.Count == 0)
        {
            return [];
        }

        return await _database.WriteAsync("renew enrollment leases", (owner, enrollmentIds, now, lease), static (session, s) =>
        {
            var (owner, ids, now, lease) = s;
            var renewed = new bool[ids.Count];
            for (var i = 0; i < renewed.Length; i++)
            {
                var renew = session.Command(
                    "UPDATE enrollments SET sched_at = max(sched_at, $until) WHERE id = $id AND sched_kind = 2 AND lease_owner = $owner AND sched_at > $now");
                renew.Parameters.AddWithValue("$until", (now + lease).UtcTicks);
                renew.Parameters.AddWithValue("$id", SqliteValues.Id(ids[i]));
                renew.Parameters.AddWithValue("$owner", owner);
                renew.Parameters.AddWithValue("$now", now.UtcTicks);
                renewed[i] = renew.ExecuteNonQuery() > 0;
            }

            return (IReadOnlyList<bool>)renewed;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// One transaction: each row leased (schedule kind 2) to <paramref name="owner"/>, expired or not, is put back where
    /// a claim puts an expired lease (ready queue, timers), its owner kept.
    /// </remarks>
    public async ValueTask<IReadOnlyList<bool>> ReleaseLeasesAsync(string owner, IReadOnlyList<Guid> enrollmentIds, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(enrollmentIds);
        if (enrollmentIds.Count == 0)
        {
            return [];
        }

        return await _database.WriteAsync("release enrollment leases", (this, owner, enrollmentIds), static (session, s) =>
        {
            var (store, owner, ids) = s;
            var released = new bool[ids.Count];
            for (var i = 0; i < released.Length; i++)
            {
                var leased = session.Command("SELECT customer_id, id, status, wake_at, event_cursor, wake_events FROM enrollments WHERE id = $id AND sched_kind = 2 AND lease_owner = $owner");
                leased.Parameters.AddWithValue("$id", SqliteValues.Id(ids[i]));
                leased.Parameters.AddWithValue("$owner", owner);
                released[i] = store.ReleaseLeases(session, leased) > 0;
            }

            return (IReadOnlyList<bool>)released;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Refused (false) like the in-memory store: unknown enrollment, stale token (a second checkpoint of one enrollment
    /// in a batch is stale once the first is applied), or a lease that is not <paramref name="owner"/>'s. Applied
    /// checkpoints and their outbox messages, customer field updates and summed statistic deltas are written in one
    /// transaction, each enrollment as one row update. A message an <paramref name="outboxHandoff"/> covers is inserted
    /// leased (schedule kind 1, lease expiry, owner), as a claim would have left it.
    /// </remarks>
    /// <exception cref="ArgumentException">
    /// A checkpoint is null or incomplete, changes an enrollment's id, journey, version or customer, or adds an outbox
    /// message whose id is already pending or repeated in the batch (nothing is written).
    /// </exception>
    public async ValueTask<IReadOnlyList<bool>> CommitAsync(string owner, IReadOnlyList<EnrollmentCheckpoint> checkpoints, OutboxHandoff? outboxHandoff, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        StoreArgumentChecks.Checkpoints(checkpoints, nameof(checkpoints));

        if (checkpoints.Count == 0)
        {
            return [];
        }

        var (applied, withdrew) = await _database.WriteAsync("commit a batch of checkpoints", (this, owner, checkpoints, outboxHandoff), static (session, s) =>
        {
            var (store, owner, checkpoints, handoff) = s;
            var applied = new bool[checkpoints.Count];
            var withdrew = false;
            List<CustomerFieldUpdate>? updates = null;
            var statistics = new StatisticsBuffer();
            // The outbox rows written before this commit: a conversion withdraws those, never the commit's own.
            var committedBefore = store._database.OutboxSequence;
            // One conditional update per checkpoint with a prepared statement whose parameters are reused: in order, so a
            // second checkpoint of one enrollment finds the token the first one wrote and is refused as stale.
            for (var i = 0; i < checkpoints.Count; i++)
            {
                applied[i] = store.TryApply(session, owner, checkpoints[i], i, handoff);
            }

            for (var i = 0; i < checkpoints.Count; i++)
            {
                var checkpoint = checkpoints[i];
                if (!applied[i])
                {
                    continue;
                }

                if (checkpoint.CustomerUpdates.Count > 0)
                {
                    (updates ??= []).AddRange(checkpoint.CustomerUpdates);
                }

                statistics.Add(checkpoint.Statistics);
                if (checkpoint.State.Status == EnrollmentStatus.Converted)
                {
                    withdrew |= store.Withdraw(session, checkpoint.State, null, committedBefore, statistics);
                }
                else
                {
                    foreach (var node in checkpoint.WithdrawNodeIds)
                    {
                        withdrew |= store.Withdraw(session, checkpoint.State, node, committedBefore, statistics);
                    }
                }
            }

            if (updates is not null)
            {
                // Every customer of the batch read once (one statement), updated in checkpoint order, written once.
                SqliteCustomerStore.ApplyUpdates(session, updates);
            }

            statistics.Write(session);
            return (applied, withdrew);
        }, cancellationToken).ConfigureAwait(false);

        if (withdrew)
        {
            Interlocked.Increment(ref _withdrawingCommits);
        }

        return applied;
    }

    /// <summary>
    /// An enrollment's outbox rows written before this commit (sequence at or below <paramref name="committedBefore"/>),
    /// all of them (a conversion, <paramref name="nodeId"/> null) or those made at <paramref name="nodeId"/> (a retargeting
    /// node left by its conversion event), leased ones included, deleted in the commit's transaction; each counts as
    /// Withdrawn at its node. A claimed one's later result or renewal then finds nothing, as after a cancel. Whether any went.
    /// </summary>
    private bool Withdraw(SqliteSession session, Enrollment enrollment, string? nodeId, long committedBefore, StatisticsBuffer statistics)
    {
        var drop = session.Command("""
            DELETE FROM outbox WHERE customer_id = $customer AND enrollment_id = $enrollment AND seq <= $before
                AND ($node IS NULL OR node_id = $node)
            RETURNING message_id, journey_id, journey_version, node_id
            """);
        drop.Parameters.AddWithValue("$customer", enrollment.CustomerId);
        drop.Parameters.AddWithValue("$enrollment", SqliteValues.Id(enrollment.Id));
        drop.Parameters.AddWithValue("$before", committedBefore);
        drop.Parameters.AddWithValue("$node", (object?)nodeId ?? DBNull.Value);
        using var reader = drop.ExecuteReader();
        var any = false;
        while (reader.Read())
        {
            any = true;
            _claimedMessages.Remove(reader.GetString(0));
            if (SqliteValues.NullableText(reader, 1) is { } journey && SqliteValues.NullableText(reader, 3) is { } node)
            {
                statistics.Add(new StatisticDelta(journey, reader.GetInt32(2), node, StatisticCounter.Withdrawn));
            }
        }

        return any;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Each event gets the next store-wide sequence number (persisted, so numbers never repeat after a restart or a
    /// purge). A waiting enrollment of the customer that is neither leased nor already ready, whose wake events hold the
    /// event's name, joins the ready queue; a leased one is re-examined at its commit or lease expiry.
    /// </remarks>
    public async ValueTask AppendEventsAsync(IReadOnlyList<CustomerEvent> events, CancellationToken cancellationToken = default) =>
        await AppendNewEventsAsync(events, StoreArgumentChecks.LatestEventTime(events), DateTimeOffset.MinValue, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    /// <remarks>
    /// In the append's write transaction, an event with an id first upserts its <c>event_ids</c> row, replacing only a
    /// row recorded before <paramref name="idsSince"/>; no row changed means a duplicate, which is not inserted.
    /// </remarks>
    public async ValueTask<IReadOnlyList<long>> AppendNewEventsAsync(IReadOnlyList<CustomerEvent> events, DateTimeOffset now, DateTimeOffset idsSince, CancellationToken cancellationToken = default)
    {
        StoreArgumentChecks.Events(events, nameof(events));
        if (events.Count == 0)
        {
            return [];
        }

        return await _database.WriteAsync("append customer events", (this, events, now, idsSince), static (session, s) =>
            (IReadOnlyList<long>)s.Item1.AppendEvents(session, s.events, s.now, s.idsSince), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// One write transaction: the events are appended as <see cref="AppendNewEventsAsync"/> appends them, then the
    /// appended events' entries are made as <see cref="EnrollAsync"/> makes them, their clicks counted and their
    /// statistics added; any failure (an entry's enrollment id already used included) writes nothing.
    /// </remarks>
    public async ValueTask<PublishedEvents?> PublishEventsAsync(
        IReadOnlyList<CustomerEvent> events, DateTimeOffset now, DateTimeOffset idsSince, IReadOnlyList<EventConsequence> consequences, EnrollmentLease? lease, CancellationToken cancellationToken = default)
    {
        StoreArgumentChecks.EventConsequences(events, consequences, nameof(consequences));
        return await _database.WriteAsync("publish customer events", (this, events, now, idsSince, consequences, lease), static (session, s) =>
        {
            var (store, events, now, idsSince, consequences, lease) = s;
            var sequences = store.AppendEvents(session, events, now, idsSince);
            var entries = PublishedEvents.EntriesToMake(consequences, sequences);
            var leased = new List<WorkItem>();
            var outcomes = entries.Count > 0 ? store.EnrollBatch(session, entries.Select(static e => e.Request).ToArray(), lease, leased) : [];
            var (clicks, deltas) = PublishedEvents.FeedbackToCount(consequences, sequences);
            CountClicks(session, ClicksPerEnrollment(clicks));
            if (deltas.Count > 0)
            {
                var buffer = new StatisticsBuffer();
                buffer.Add(deltas);
                buffer.Write(session);
            }

            return (PublishedEvents?)PublishedEvents.Of(sequences, consequences.Count, entries, new LeasedEnrollments(outcomes, leased));
        }, cancellationToken).ConfigureAwait(false);
    }

    private long[] AppendEvents(SqliteSession session, IReadOnlyList<CustomerEvent> events, DateTimeOffset now, DateTimeOffset idsSince)
    {
        var database = _database;
        var sequences = new long[events.Count];
        // The file's last number too, not only this process's: a second process on the file (not the intended
        // setup, but not refused) would otherwise number a customer's events below ones already stored, and an
        // enrollment whose cursor passed them would never see its events (or the insert would collide).
        var sequence = Math.Max(
            database.EventSequence,
            session.Command("SELECT value FROM journeys_meta WHERE key = 'event_seq'").ExecuteScalar() is long stored ? stored : 0);
        try
        {
            for (var i = 0; i < events.Count; i++)
            {
                var customerEvent = events[i];
                if (customerEvent.Id is { } eventId)
                {
                    var record = session.Command("""
                        INSERT INTO event_ids (customer_id, event_id, recorded_at) VALUES ($customer, $id, $now)
                        ON CONFLICT (customer_id, event_id) DO UPDATE SET recorded_at = excluded.recorded_at WHERE event_ids.recorded_at < $since
                        """);
                    record.Parameters.AddWithValue("$customer", customerEvent.CustomerId);
                    record.Parameters.AddWithValue("$id", eventId);
                    record.Parameters.AddWithValue("$now", now.UtcTicks);
                    record.Parameters.AddWithValue("$since", idsSince.UtcTicks);
                    if (record.ExecuteNonQuery() == 0)
                    {
                        continue;
                    }
                }

                sequence++;
                sequences[i] = sequence;
                var insert = session.Command("INSERT INTO events (customer_id, seq, name, time, message_id, properties, event_id) VALUES ($customer, $seq, $name, $time, $message, $properties, $id)");
                insert.Parameters.AddWithValue("$customer", customerEvent.CustomerId);
                insert.Parameters.AddWithValue("$seq", sequence);
                insert.Parameters.AddWithValue("$name", customerEvent.Name);
                insert.Parameters.AddWithValue("$time", customerEvent.Time.UtcTicks);
                insert.Parameters.AddWithValue("$message", SqliteValues.Text(customerEvent.MessageId));
                insert.Parameters.AddWithValue("$properties", customerEvent.Properties is { Count: > 0 } properties ? SqliteValues.EventProperties(properties) : DBNull.Value);
                insert.Parameters.AddWithValue("$id", SqliteValues.Text(customerEvent.Id));
                insert.ExecuteNonQuery();
                WakeWaiting(session, customerEvent);
            }

            var meta = session.Command("INSERT INTO journeys_meta (key, value) VALUES ('event_seq', $seq) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
            meta.Parameters.AddWithValue("$seq", sequence);
            meta.ExecuteNonQuery();
        }
        finally
        {
            // Numbers of a rolled-back batch are skipped, never reused: sequences only need to increase.
            database.EventSequence = sequence;
        }

        return sequences;
    }

    /// <inheritdoc />
    public ValueTask<DateTimeOffset?> GetNextWakeAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_database.Read("read the next timer", 0, static (session, _) =>
            session.Command("SELECT sched_at FROM enrollments WHERE sched_kind = 1 ORDER BY sched_at LIMIT 1").ExecuteScalar() is long ticks
                ? SqliteValues.Time(ticks)
                : (DateTimeOffset?)null));
    }

    /// <inheritdoc />
    /// <remarks>Newest first by <see cref="Enrollment.EnteredAt"/>, then by creation order (newest first).</remarks>
    public ValueTask<IReadOnlyList<Enrollment>> GetByCustomerAsync(string customerId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(customerId);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_database.Read("read a customer's enrollments", customerId, static (session, id) =>
        {
            var command = session.Command($"SELECT {EnrollmentColumns} FROM enrollments WHERE customer_id = $customer ORDER BY entered_at DESC, created_seq DESC");
            command.Parameters.AddWithValue("$customer", id);
            return (IReadOnlyList<Enrollment>)ReadAll(command);
        }));
    }

    /// <inheritdoc />
    /// <remarks>One primary-key read.</remarks>
    public ValueTask<Enrollment?> GetAsync(string customerId, Guid enrollmentId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(customerId);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_database.Read("read an enrollment", (customerId, enrollmentId), static (session, s) =>
        {
            var command = session.Command($"SELECT {EnrollmentColumns} FROM enrollments WHERE customer_id = $customer AND id = $id");
            command.Parameters.AddWithValue("$customer", s.customerId);
            command.Parameters.AddWithValue("$id", SqliteValues.Id(s.enrollmentId));
            return ReadAll(command) is [var enrollment] ? enrollment : null;
        }));
    }

    /// <inheritdoc />
    /// <remarks>One snapshot on a connection of its own, streamed in (customer id, entry time, creation) order.</remarks>
    public async IAsyncEnumerable<Enrollment> ListByJourneyAsync(string journeyId, int? version, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(journeyId);
        using var connection = _database.OpenStreamConnection("list a journey's enrollments");
        using var transaction = connection.BeginTransaction(deferred: true);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {EnrollmentColumns} FROM enrollments WHERE journey_id = $journey AND ($version IS NULL OR version = $version) ORDER BY customer_id, entered_at, created_seq";
        command.Parameters.AddWithValue("$journey", journeyId);
        command.Parameters.AddWithValue("$version", version is { } v ? v : DBNull.Value);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return ReadEnrollment(reader);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Like the in-memory store: active and waiting enrollments (leased ones too) become cancelled with the next
    /// token; each adds 1 to the Cancelled counter of its journey version and of the node it was at. The outbox rows
    /// matching the same filters are deleted in the same transaction (leased ones too).
    /// </remarks>
    public async ValueTask<int> CancelAsync(string? journeyId, int? version, string? customerId, string reason, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reason);
        return await _database.WriteAsync("cancel enrollments", (this, journeyId, version, customerId, reason, now), static (session, s) =>
        {
            var (store, journeyId, version, customerId, reason, now) = s;
            var select = customerId is not null
                ? session.Command("SELECT customer_id, id, journey_id, version, node_id, token FROM enrollments WHERE customer_id = $customer AND status < 2")
                : journeyId is not null
                    ? session.Command("SELECT customer_id, id, journey_id, version, node_id, token FROM enrollments WHERE journey_id = $journey AND status < 2")
                    : session.Command("SELECT customer_id, id, journey_id, version, node_id, token FROM enrollments WHERE status < 2");
            if (customerId is not null)
            {
                select.Parameters.AddWithValue("$customer", customerId);
            }
            else if (journeyId is not null)
            {
                select.Parameters.AddWithValue("$journey", journeyId);
            }

            var targets = new List<(string Customer, byte[] Id, string Journey, int Version, string? Node, long Token)>();
            using (var reader = select.ExecuteReader())
            {
                while (reader.Read())
                {
                    var target = (reader.GetString(0), SqliteValues.Blob(reader, 1), reader.GetString(2), reader.GetInt32(3), SqliteValues.NullableText(reader, 4), reader.GetInt64(5));
                    if ((journeyId is null || string.Equals(target.Item3, journeyId, StringComparison.Ordinal)) && (version is null || target.Item4 == version))
                    {
                        targets.Add(target);
                    }
                }
            }

            var statistics = new StatisticsBuffer();
            foreach (var target in targets)
            {
                var update = session.Command("""
                    UPDATE enrollments SET status = 6, node_id = NULL, wake_at = NULL, awaited_event = NULL, updated_at = $now, token = $token,
                        end_reason = $reason, lease_owner = NULL, sched_kind = NULL, sched_at = NULL
                    WHERE customer_id = $customer AND id = $id
                    """);
                update.Parameters.AddWithValue("$now", now.UtcTicks);
                update.Parameters.AddWithValue("$token", target.Token + 1);
                update.Parameters.AddWithValue("$reason", reason);
                update.Parameters.AddWithValue("$customer", target.Customer);
                update.Parameters.AddWithValue("$id", target.Id);
                update.ExecuteNonQuery();
                statistics.Add(new StatisticDelta(target.Journey, target.Version, null, StatisticCounter.Cancelled));
                if (target.Node is { } node)
                {
                    statistics.Add(new StatisticDelta(target.Journey, target.Version, node, StatisticCounter.Cancelled));
                }
            }

            // The outbox messages matching the same filters, leased ones included; each counts at its node unless its
            // enrollment was cancelled at that node just above.
            var cancelledAt = new HashSet<(Guid, string)>();
            foreach (var target in targets)
            {
                if (target.Node is { } node)
                {
                    cancelledAt.Add((new Guid(target.Id, bigEndian: true), node));
                }
            }

            var drop = session.Command("""
                DELETE FROM outbox WHERE ($journey IS NULL OR journey_id = $journey) AND ($version IS NULL OR journey_version = $version) AND ($customer IS NULL OR customer_id = $customer)
                RETURNING message_id, journey_id, journey_version, node_id, enrollment_id
                """);
            drop.Parameters.AddWithValue("$journey", (object?)journeyId ?? DBNull.Value);
            drop.Parameters.AddWithValue("$version", version is { } v ? v : DBNull.Value);
            drop.Parameters.AddWithValue("$customer", (object?)customerId ?? DBNull.Value);
            using (var reader = drop.ExecuteReader())
            {
                while (reader.Read())
                {
                    store._claimedMessages.Remove(reader.GetString(0));
                    if (SqliteValues.NullableText(reader, 1) is not { } journey || SqliteValues.NullableText(reader, 3) is not { } node)
                    {
                        continue;
                    }

                    if (!reader.IsDBNull(4) && cancelledAt.Contains((SqliteValues.Id(reader, 4), node)))
                    {
                        continue;
                    }

                    statistics.Add(new StatisticDelta(journey, reader.GetInt32(2), node, StatisticCounter.Cancelled));
                }
            }

            statistics.Write(session);
            return targets.Count;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// An event goes when its time is before <paramref name="olderThan"/> and every live enrollment of its customer has a
    /// cursor at or past it. The purge reads only the events older than the cut-off, through the time index, in steps of
    /// at most <see cref="PurgeStep"/> events, each a write of its own (the one writer is held for one step at a time,
    /// not for the whole purge): a step decides and deletes in one transaction, so an enrollment that moves meanwhile is
    /// seen either before or after. An event kept because an enrollment has not read it is stepped over, not read again
    /// in the same purge. The event ids recorded before the cut-off go the same way, in steps of their own.
    /// </remarks>
    public async ValueTask<int> PurgeEventsAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default)
    {
        var purged = 0;
        (long Time, string Customer, long Seq) after = (long.MinValue, string.Empty, long.MinValue);
        while (true)
        {
            var step = await _database.WriteAsync("purge customer events", (olderThan, after), static (session, state) =>
            {
                var select = session.Command("""
                    SELECT v.time, v.customer_id, v.seq, v.seq <= COALESCE(
                        (SELECT MIN(e.event_cursor) FROM enrollments e WHERE e.customer_id = v.customer_id AND e.status < 2),
                        9223372036854775807)
                    FROM events v INDEXED BY ix_events_time
                    WHERE v.time < $before AND (v.time, v.customer_id, v.seq) > ($afterTime, $afterCustomer, $afterSeq)
                    ORDER BY v.time, v.customer_id, v.seq
                    LIMIT $step
                    """);
                select.Parameters.AddWithValue("$before", state.olderThan.UtcTicks);
                select.Parameters.AddWithValue("$afterTime", state.after.Time);
                select.Parameters.AddWithValue("$afterCustomer", state.after.Customer);
                select.Parameters.AddWithValue("$afterSeq", state.after.Seq);
                select.Parameters.AddWithValue("$step", PurgeStep);
                var read = 0;
                var last = state.after;
                var doomed = new List<(string Customer, long Seq)>();
                using (var reader = select.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        read++;
                        last = (reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2));
                        if (reader.GetBoolean(3))
                        {
                            doomed.Add((last.Customer, last.Seq));
                        }
                    }
                }

                DeleteByKey(session, "DELETE FROM events WHERE customer_id = $customer AND seq = $key", SqliteType.Integer, doomed);

                return (Read: read, Deleted: doomed.Count, Last: last);
            }, cancellationToken).ConfigureAwait(false);
            purged += step.Deleted;
            if (step.Read < PurgeStep)
            {
                break;
            }

            after = step.Last;
        }

        while (true)
        {
            var ids = await _database.WriteAsync("purge event ids", olderThan, static (session, olderThan) =>
            {
                var delete = session.Command("""
                    DELETE FROM event_ids WHERE (customer_id, event_id) IN (
                        SELECT customer_id, event_id FROM event_ids INDEXED BY ix_event_ids_recorded WHERE recorded_at < $before LIMIT $step)
                    """);
                delete.Parameters.AddWithValue("$before", olderThan.UtcTicks);
                delete.Parameters.AddWithValue("$step", PurgeStep);
                return delete.ExecuteNonQuery();
            }, cancellationToken).ConfigureAwait(false);
            if (ids < PurgeStep)
            {
                return purged;
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// In steps of at most <see cref="PurgeStep"/> enrollments, each a write of its own (the one writer is held for one
    /// step at a time, not for the whole table), walking the table once in key order (customer, id). A step deletes an
    /// ended, unleased enrollment changed before the cut-off when an ended enrollment of the same customer and journey
    /// ended later (or at the same instant, with a greater id): the latest one never qualifies, so no step can delete
    /// what another step's decision relied on.
    /// </remarks>
    public async ValueTask<int> PurgeEndedAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default)
    {
        var removed = 0;
        (string Customer, byte[] Id)? after = null;
        while (true)
        {
            var step = await _database.WriteAsync("purge ended enrollments", (olderThan, after), static (session, state) =>
            {
                var select = session.Command("""
                    SELECT e.customer_id, e.id FROM enrollments e
                    WHERE (e.customer_id, e.id) > ($afterCustomer, $afterId)
                      AND e.status >= 2 AND e.updated_at < $before AND e.sched_kind IS NULL
                      AND EXISTS (SELECT 1 FROM enrollments n
                                  WHERE n.customer_id = e.customer_id AND n.journey_id = e.journey_id AND n.status >= 2
                                    AND (n.updated_at > e.updated_at OR (n.updated_at = e.updated_at AND n.id > e.id)))
                    ORDER BY e.customer_id, e.id
                    LIMIT $step
                    """);
                select.Parameters.AddWithValue("$afterCustomer", state.after?.Customer ?? string.Empty);
                select.Parameters.AddWithValue("$afterId", state.after?.Id ?? []);
                select.Parameters.AddWithValue("$before", state.olderThan.UtcTicks);
                select.Parameters.AddWithValue("$step", PurgeStep);
                var keys = new List<(string Customer, byte[] Id)>();
                using (var reader = select.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        keys.Add((reader.GetString(0), SqliteValues.Blob(reader, 1)));
                    }
                }

                DeleteByKey(session, "DELETE FROM enrollments WHERE customer_id = $customer AND id = $key", SqliteType.Blob, keys);

                return (Count: keys.Count, Last: keys.Count > 0 ? keys[^1] : ((string, byte[])?)null);
            }, cancellationToken).ConfigureAwait(false);
            removed += step.Count;
            if (step.Count < PurgeStep)
            {
                return removed;
            }

            after = step.Last;
        }
    }

    /// <inheritdoc />
    /// <remarks>One write transaction: the enrollments, the events and the event ids of the customer go together.</remarks>
    public ValueTask<int> EraseCustomerAsync(string customerId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(customerId);
        return _database.WriteAsync("erase customer", customerId, static (session, customerId) =>
        {
            var enrollments = session.Command("DELETE FROM enrollments WHERE customer_id = $customer AND status >= 2 AND sched_kind IS NULL");
            enrollments.Parameters.AddWithValue("$customer", customerId);
            var removed = enrollments.ExecuteNonQuery();
            var events = session.Command("""
                DELETE FROM events WHERE customer_id = $customer AND seq <= COALESCE(
                    (SELECT MIN(e.event_cursor) FROM enrollments e WHERE e.customer_id = $customer AND e.status < 2),
                    9223372036854775807)
                """);
            events.Parameters.AddWithValue("$customer", customerId);
            events.ExecuteNonQuery();
            var ids = session.Command("DELETE FROM event_ids WHERE customer_id = $customer");
            ids.Parameters.AddWithValue("$customer", customerId);
            ids.ExecuteNonQuery();
            return removed;
        }, cancellationToken);
    }

    /// <summary>Runs <paramref name="sql"/> (a delete by <c>$customer</c> and <c>$key</c>) once per key, one prepared statement.</summary>
    private static void DeleteByKey<TKey>(SqliteSession session, string sql, SqliteType keyType, List<(string Customer, TKey Key)> keys)
    {
        var delete = session.Command(sql);
        var customer = delete.Parameters.Add("$customer", SqliteType.Text);
        var key = delete.Parameters.Add("$key", keyType);
        foreach (var (customerId, value) in keys)
        {
            customer.Value = customerId;
            key.Value = value;
            delete.ExecuteNonQuery();
        }
    }

    /// <summary>The most enrollments one step of <see cref="PurgeEndedAsync"/> deletes, and the most events (or event ids) one step of <see cref="PurgeEventsAsync"/> reads.</summary>
    internal const int PurgeStep = 1_000;

    private static List<Enrollment> ReadAll(SqliteCommand command)
    {
        var states = new List<Enrollment>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            states.Add(ReadEnrollment(reader));
        }

        return states;
    }

    private void ReleaseExpiredLeases(SqliteSession session, DateTimeOffset now)
    {
        var expired = session.Command("SELECT customer_id, id, status, wake_at, event_cursor, wake_events FROM enrollments WHERE sched_kind = 2 AND sched_at <= $now");
        expired.Parameters.AddWithValue("$now", now.UtcTicks);
        ReleaseLeases(session, expired);
    }

    /// <summary>
    /// Puts the leased rows <paramref name="leased"/> selects (customer id, id, status, wake time, event cursor, wake
    /// events) back where they belong (ready queue, timers or nowhere), their owner kept; returns how many.
    /// </summary>
    private int ReleaseLeases(SqliteSession session, SqliteCommand leased)
    {
        var rows = new List<(string Customer, byte[] Id, EnrollmentStatus Status, DateTimeOffset? WakeAt, long Cursor, EquatableArray<string> WakeEvents)>();
        using (var reader = leased.ExecuteReader())
        {
            while (reader.Read())
            {
                rows.Add((reader.GetString(0), SqliteValues.Blob(reader, 1), (EnrollmentStatus)reader.GetInt32(2), SqliteValues.NullableTime(reader, 3), reader.GetInt64(4), SqliteValues.Names(reader, 5)));
            }
        }

        foreach (var row in rows)
        {
            var (kind, at) = Place(session, row.Customer, row.Status, row.WakeAt, row.Cursor, row.WakeEvents);
            var release = session.Command("UPDATE enrollments SET sched_kind = $kind, sched_at = $at WHERE customer_id = $customer AND id = $id");
            release.Parameters.AddWithValue("$kind", kind is { } k ? k : DBNull.Value);
            release.Parameters.AddWithValue("$at", at is { } a ? a : DBNull.Value);
            release.Parameters.AddWithValue("$customer", row.Customer);
            release.Parameters.AddWithValue("$id", row.Id);
            release.ExecuteNonQuery();
        }

        return rows.Count;
    }

    private void WakeWaiting(SqliteSession session, CustomerEvent customerEvent)
    {
        // Waiting, and neither ready already (0) nor leased (2): only timers (1) or nothing (null).
        var waiting = session.Command(WaitingOfCustomerSql);
        waiting.Parameters.AddWithValue("$customer", customerEvent.CustomerId);
        List<byte[]>? woken = null;
        using (var reader = waiting.ExecuteReader())
        {
            while (reader.Read())
            {
                if (Contains(SqliteValues.Names(reader, 1), customerEvent.Name))
                {
                    (woken ??= []).Add(SqliteValues.Blob(reader, 0));
                }
            }
        }

        if (woken is null)
        {
            return;
        }

        foreach (var id in woken)
        {
            var ready = session.Command("UPDATE enrollments SET sched_kind = 0, sched_at = $at WHERE customer_id = $customer AND id = $id");
            ready.Parameters.AddWithValue("$at", ++_database.ReadySequence);
            ready.Parameters.AddWithValue("$customer", customerEvent.CustomerId);
            ready.Parameters.AddWithValue("$id", id);
            ready.ExecuteNonQuery();
        }
    }

    /// <summary>
    /// The requests in order, with what the checks need read once for the whole batch (a few statements, not a few per
    /// request): ids already used, the customers' enrollments, their latest event, the journeys' entry counts. The
    /// batch's own creations update those in memory, so a later request sees the earlier ones.
    /// </summary>
    private EnrollmentOutcome[] EnrollBatch(SqliteSession session, IReadOnlyList<EnrollmentRequest> requests, EnrollmentLease? lease, List<WorkItem>? leased)
    {
        var used = session.Command("SELECT id FROM enrollments WHERE id IN (SELECT unhex(value) FROM json_each($ids))");
        used.Parameters.AddWithValue("$ids", SqliteValues.JsonArray(requests, static r => Convert.ToHexString(SqliteValues.Id(r.EnrollmentId))));
        using (var reader = used.ExecuteReader())
        {
            if (reader.Read())
            {
                throw new ArgumentException($"Enrollment id {SqliteValues.Id(reader, 0)} already exists; nothing was written.", nameof(requests));
            }
        }

        var customers = SqliteValues.JsonArray(requests, static r => r.CustomerId);

        // (customer, journey) → the live enrollment's id, or the latest end among ended ones: only the requests' own
        // (journey, customer) pairs are read (ix_enrollments_journey), not every enrollment of their customers.
        var previous = new Dictionary<(string Customer, string Journey), (Guid? Live, DateTimeOffset? LastEnd)>();
        var existing = session.Command(PreviousEnrollmentsSql);
        existing.Parameters.AddWithValue("$pairs", SqliteValues.JsonPairs(requests, static r => r.JourneyId, static r => r.CustomerId));
        using (var reader = existing.ExecuteReader())
        {
            while (reader.Read())
            {
                var key = (reader.GetString(0), reader.GetString(1));
                var known = previous.GetValueOrDefault(key);
                if (reader.GetInt32(3) < 2)
                {
                    known.Live = SqliteValues.Id(reader, 2);
                }
                else if (SqliteValues.Time(reader.GetInt64(4)) is var updated && (known.LastEnd is null || updated > known.LastEnd))
                {
                    known.LastEnd = updated;
                }

                previous[key] = known;
            }
        }

        var cursors = new Dictionary<string, long>(StringComparer.Ordinal);
        var latest = session.Command("SELECT customer_id, MAX(seq) FROM events WHERE customer_id IN (SELECT value FROM json_each($customers)) GROUP BY customer_id");
        latest.Parameters.AddWithValue("$customers", customers);
        using (var reader = latest.ExecuteReader())
        {
            while (reader.Read())
            {
                cursors[reader.GetString(0)] = reader.GetInt64(1);
            }
        }

        var entries = new Dictionary<string, (long Before, long Now)>(StringComparer.Ordinal);
        var outcomes = new EnrollmentOutcome[requests.Count];
        for (var i = 0; i < requests.Count; i++)
        {
            var request = requests[i];
            var key = (request.CustomerId, request.JourneyId);
            var known = previous.GetValueOrDefault(key);
            if (known.Live is { } live)
            {
                outcomes[i] = new EnrollmentOutcome(EnrollmentOutcomeKind.DuplicateActive, live);
                continue;
            }

            if (!entries.TryGetValue(request.JourneyId, out var entry))
            {
                var count = session.Command("SELECT created FROM journey_entries WHERE journey_id = $journey");
                count.Parameters.AddWithValue("$journey", request.JourneyId);
                var stored = count.ExecuteScalar() is long n ? n : 0;
                entry = (stored, stored);
            }

            if (EntryRuleChecks.Refusal(request, known.LastEnd, entry.Now) is { } refusal)
            {
                entries[request.JourneyId] = entry;
                outcomes[i] = new EnrollmentOutcome(refusal, null);
                continue;
            }

            entries[request.JourneyId] = (entry.Before, entry.Now + 1);
            previous[key] = (request.EnrollmentId, known.LastEnd);
            var insert = session.Statement(
                $"""
                INSERT INTO enrollments ({EnrollmentColumns}, lease_owner, sched_kind, sched_at, created_seq)
                VALUES ($customer, $id, $journey, $version, 0, $node, NULL, NULL, 0, $at, $at, 1, $cursor, $wakeEvents, $at, 0, NULL, 0, 0, $owner, $kind, $sched, $created)
                """,
                "$customer", "$id", "$journey", "$version", "$node", "$at", "$cursor", "$wakeEvents", "$sched", "$created", "$kind", "$owner");
            var latestEvent = cursors.GetValueOrDefault(request.CustomerId);
            var cursor = request.EventCursor is { } after && after < latestEvent ? Math.Max(after, 0) : latestEvent;

            // One whose cursor is below the customer's latest event has events to see: left for a claim, which reads them.
            var leaseIt = lease is not null && leased!.Count < lease.MaxItems && cursor == latestEvent;
            insert.Bind(0, request.CustomerId);
            insert.Bind(1, request.EnrollmentId);
            insert.Bind(2, request.JourneyId);
            insert.Bind(3, request.Version);
            insert.Bind(4, request.StartNodeId);
            insert.Bind(5, request.At.UtcTicks);
            insert.Bind(6, cursor);
            insert.Bind(7, request.WakeEvents, session.Scratch);
            insert.Bind(8, leaseIt ? lease!.ExpiresAt.UtcTicks : ++_database.ReadySequence);
            insert.Bind(9, ++_database.CreatedSequence);
            insert.Bind(10, leaseIt ? LeasedKind : ReadyKind);
            insert.Bind(11, leaseIt ? lease!.Owner : null);
            insert.Execute();
            if (leaseIt)
            {
                // As a claim returns it: the stored state, and no event (the cursor is the customer's latest).
                var state = new Enrollment(
                    request.EnrollmentId, request.JourneyId, request.Version, request.CustomerId, request.StartNodeId, EnrollmentStatus.Active,
                    null, null, 0, request.At, request.At, 1)
                {
                    WakeEvents = request.WakeEvents,
                    EventCursor = cursor,
                    NodeEnteredAt = request.At,
                };
                leased!.Add(new WorkItem(state, [], lease!.ExpiresAt));
            }

            outcomes[i] = new EnrollmentOutcome(EnrollmentOutcomeKind.Created, request.EnrollmentId);
        }

        foreach (var (journey, (before, now)) in entries)
        {
            if (now != before)
            {
                var counted = session.Command("INSERT INTO journey_entries (journey_id, created) VALUES ($journey, $created) ON CONFLICT (journey_id) DO UPDATE SET created = excluded.created");
                counted.Parameters.AddWithValue("$journey", journey);
                counted.Parameters.AddWithValue("$created", now);
                counted.ExecuteNonQuery();
            }
        }

        return outcomes;
    }

    /// <summary>
    /// Writes the checkpoint's state (all but the click counter, which belongs to <see cref="AddClicksAsync"/>) and outbox
    /// messages when the stored row has the expected token, is leased to <paramref name="owner"/> and is of the same
    /// journey and version: one conditional update. Only when it changes nothing is the row read, to tell a refusal
    /// (false) from a caller error.
    /// </summary>
    private bool TryApply(SqliteSession session, string owner, EnrollmentCheckpoint checkpoint, int index, OutboxHandoff? handoff)
    {
        var state = checkpoint.State;
        var (kind, at) = Place(session, state.CustomerId, state.Status, state.WakeAt, state.EventCursor, state.WakeEvents);
        var update = session.Statement(
            """
            UPDATE enrollments SET status = $status, node_id = $node, wake_at = $wakeAt, awaited_event = $awaited, visit = $visit,
                entered_at = $entered, updated_at = $updated, token = $token, event_cursor = $cursor, wake_events = $wakeEvents,
                node_entered_at = $nodeEntered, node_state = $nodeState, end_reason = $endReason,
                messages_sent = $messagesSent,
                lease_owner = NULL, sched_kind = $kind, sched_at = $at
            WHERE customer_id = $customer AND id = $id AND token = $expected AND lease_owner = $owner AND journey_id = $journey AND version = $version
            """,
            "$status", "$node", "$wakeAt", "$awaited", "$visit", "$entered", "$updated", "$token", "$cursor", "$wakeEvents", "$nodeEntered",
            "$nodeState", "$endReason", "$messagesSent", "$kind", "$at", "$customer", "$id", "$expected", "$owner", "$journey", "$version");
        update.Bind(0, (int)state.Status);
        update.Bind(1, state.CurrentNodeId);
        update.Bind(2, state.WakeAt);
        update.Bind(3, state.AwaitedEvent);
        update.Bind(4, state.Visit);
        update.Bind(5, state.EnteredAt.UtcTicks);
        update.Bind(6, state.UpdatedAt.UtcTicks);
        update.Bind(7, checkpoint.ExpectedToken + 1);
        update.Bind(8, state.EventCursor);
        update.Bind(9, state.WakeEvents, session.Scratch);
        update.Bind(10, state.NodeEnteredAt);
        update.Bind(11, state.NodeState);
        update.Bind(12, state.EndReason);
        update.Bind(13, state.MessagesSent);
        update.Bind(14, kind);
        update.Bind(15, at);
        update.Bind(16, state.CustomerId);
        update.Bind(17, state.Id);
        update.Bind(18, checkpoint.ExpectedToken);
        update.Bind(19, owner);
        update.Bind(20, state.JourneyId);
        update.Bind(21, state.Version);
        try
        {
            if (update.Execute() == 0)
            {
                return Refused(session, owner, checkpoint, SqliteValues.Id(state.Id), index);
            }
        }
        catch (SqliteException ex) when (ex.SqliteExtendedErrorCode is 1555 or 2067)
        {
            throw new ArgumentException($"Checkpoint at index {index} would give its customer a second live enrollment in journey '{state.JourneyId}'; nothing was written.", ex);
        }

        foreach (var message in checkpoint.Outbox)
        {
            AddOutbox(session, message, index, handoff is not null && handoff.Covers(message) ? owner : null, handoff?.ExpiresAt ?? default);
        }

        return true;
    }

    /// <summary>Why a conditional update changed nothing: false for a refusal, or the caller error it was.</summary>
    private static bool Refused(SqliteSession session, string owner, EnrollmentCheckpoint checkpoint, byte[] id, int index)
    {
        var state = checkpoint.State;
        var current = session.Command("SELECT token, lease_owner FROM enrollments WHERE customer_id = $customer AND id = $id");
        current.Parameters.AddWithValue("$customer", state.CustomerId);
        current.Parameters.AddWithValue("$id", id);
        using var reader = current.ExecuteReader();
        if (!reader.Read())
        {
            // Unknown, or known under another customer: the latter is a caller error, as in the in-memory store.
            var elsewhere = session.Command("SELECT 1 FROM enrollments WHERE id = $id");
            elsewhere.Parameters.AddWithValue("$id", id);
            return elsewhere.ExecuteScalar() is not null
                ? throw new ArgumentException($"Checkpoint at index {index} changes the journey, version or customer of enrollment {state.Id}; nothing was written.")
                : false;
        }

        // Token and lease hold, so the journey or version differs.
        return reader.GetInt64(0) == checkpoint.ExpectedToken && string.Equals(SqliteValues.NullableText(reader, 1), owner, StringComparison.Ordinal)
            ? throw new ArgumentException($"Checkpoint at index {index} changes the journey, version or customer of enrollment {state.Id}; nothing was written.")
            : false;
    }
}
