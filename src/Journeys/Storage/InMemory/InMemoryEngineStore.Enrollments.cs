using System.Runtime.InteropServices;
using Journeys.Model;

namespace Journeys.Storage.InMemory;

/// <content>Enrollments: entry rules, claims with leases, checkpoints, customer events, cancellation.</content>
internal sealed partial class InMemoryEngineStore
{
    // Every enrollment by id: one array slot each (the key is the entry's own Id), no dictionary entry.
    private readonly KeyedTable<Guid, EnrollmentEntry> _enrollments = new(static e => e.Id, EqualityComparer<Guid>.Default);

    // The first enrollment of each customer; the others follow through NextOfCustomer, in creation order: duplicate and
    // re-entry checks, event wake-ups, reads. A chain through the entries costs no list per customer.
    private readonly KeyedTable<string, EnrollmentEntry> _byCustomer = new(static e => e.CustomerId, StringComparer.Ordinal);

    // Enrollments not ended, per journey: cancellation without a scan of ended ones. A list threaded through the
    // entries (LivePrevious/LiveNext): no set entry per enrollment.
    private readonly Dictionary<string, LiveList> _liveByJourney = new(StringComparer.Ordinal);

    // Enrollments ever created per journey (all versions): entry caps.
    private readonly Dictionary<string, long> _createdByJourney = new(StringComparer.Ordinal);

    // Unleased waiting enrollments with a timer, by (WakeAt, id).
    private readonly IndexedHeap<EnrollmentEntry> _timers = new(EnrollmentEntry.ByWakeAt, EnrollmentEntry.TimerSlot);

    // ClaimAsync's items before they are copied out (under the lock; emptied after every claim, and cut back to
    // MaxClaimScratch items if a large claim grew it).
    private readonly List<WorkItem> _claimScratch = [];
    private const int MaxClaimScratch = 1024;

    // Unleased enrollments ready now, first in first out: active ones, and waiting ones with a pending wake event. A
    // list threaded through the entries themselves (ReadyPrevious/ReadyNext): queuing allocates nothing.
    private EnrollmentEntry? _readyFirst;
    private EnrollmentEntry? _readyLast;
    private int _readyCount;

    // Leased enrollments by (lease expiry, creation order) that do not fit the lease queue (InMemoryEngineStore.Leases.cs).
    private readonly IndexedHeap<EnrollmentEntry> _leases = new(EnrollmentEntry.ByLeaseExpiry, EnrollmentEntry.LeaseSlot);

    private readonly Dictionary<string, CustomerInbox> _inboxes = new(StringComparer.Ordinal);

    // The ids of published events, by (customer, id), with the time each was recorded: a retried publish is found here.
    private readonly Dictionary<(string CustomerId, string EventId), DateTimeOffset> _eventIds = [];

    /// <summary>How many customer events and event ids the store keeps (for tests of the purge).</summary>
    internal (int Events, int Ids) Retained
    {
        get
        {
            lock (_lock)
            {
                var events = 0;
                foreach (var inbox in _inboxes.Values)
                {
                    events += inbox.Events.Count;
                }

                return (events, _eventIds.Count);
            }
        }
    }

    // CommitAsync's scratch: the enrollments accepted so far, and the outbox entries of the batch (their ids already
    // reserved in the outbox map by the checks, placed where claims find them when the commit is applied).
    private readonly HashSet<Guid> _commitAccepted = [];
    private readonly List<OutboxEntry> _commitOutbox = [];

    // EnrollAsync's scratch: the enrollment ids of the call, to refuse one used twice.
    private readonly HashSet<Guid> _enrollIds = [];

    // CommitAsync's scratch: the entry of each accepted checkpoint, found once by the checks and used again to apply it.
    private readonly List<EnrollmentEntry> _commitEntries = [];
    private long _eventSequence;
    private int _enrollmentOrder;

    /// <inheritdoc />
    /// <remarks>
    /// Each request is checked and applied in order, under the store lock, so concurrent calls never create two active
    /// enrollments of one customer in one journey. Checks, first failing wins: an active enrollment in the journey (any
    /// version) → <see cref="EnrollmentOutcomeKind.DuplicateActive"/> with its id; <c>At</c> before the window start or
    /// at/after its end → <see cref="EnrollmentOutcomeKind.OutsideWindow"/>; re-entry <see cref="ReEntryMode.Never"/> and
    /// any earlier enrollment, or <see cref="ReEntryMode.AfterCooldown"/> and the last ended enrollment's
    /// <see cref="Enrollment.UpdatedAt"/> + cooldown after <c>At</c> → <see cref="EnrollmentOutcomeKind.ReEntryRefused"/>;
    /// enrollments ever created in the journey (all versions) at or above the cap →
    /// <see cref="EnrollmentOutcomeKind.CapReached"/>. A created enrollment is active at the start node, with
    /// <see cref="Enrollment.ConcurrencyToken"/> 1 and its <see cref="Enrollment.EventCursor"/> at the customer's latest
    /// retained event (or at the request's <see cref="EnrollmentRequest.EventCursor"/> when that is lower), so events from
    /// before the entry are not replayed to it.
    /// </remarks>
    /// <exception cref="ArgumentException">A request is null or incomplete, or its enrollment id is already used (nothing is written).</exception>
    public ValueTask<IReadOnlyList<EnrollmentOutcome>> EnrollAsync(IReadOnlyList<EnrollmentRequest> requests, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<EnrollmentOutcome>>(Enroll(requests, null, null, cancellationToken));

    /// <inheritdoc />
    /// <remarks>
    /// The checks and outcomes of <see cref="EnrollAsync"/>, under the same lock; each of the first
    /// <see cref="EnrollmentLease.MaxItems"/> created enrollments goes straight into the lease heap instead of the ready
    /// queue, as a claim at <see cref="EnrollmentLease.Now"/> would have put it.
    /// </remarks>
    /// <exception cref="ArgumentException">A request is null or incomplete, or its enrollment id is already used (nothing is written).</exception>
    public ValueTask<LeasedEnrollments> EnrollLeasedAsync(IReadOnlyList<EnrollmentRequest> requests, EnrollmentLease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var leased = new List<WorkItem>(Math.Min(lease.MaxItems, requests?.Count ?? 0));
        var outcomes = Enroll(requests!, lease, leased, cancellationToken);
        return ValueTask.FromResult(new LeasedEnrollments(outcomes, leased));
    }

    private EnrollmentOutcome[] Enroll(IReadOnlyList<EnrollmentRequest> requests, EnrollmentLease? lease, List<WorkItem>? leased, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);

        // An activation's batch is read through its columns: no request record is built for its entries.
        var batch = requests as EnrollmentBatch;
        for (var i = 0; i < requests.Count; i++)
        {
            if (batch is null)
            {
                StoreArgumentChecks.EnrollmentRequest(requests[i], i, nameof(requests));
            }
            else
            {
                StoreArgumentChecks.EnrollmentEntry(batch.Entry(i), i, nameof(requests));
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        var skipUsed = batch is { SkipUsedIds: true };
        lock (_lock)
        {
            // The ids are checked before anything is written; the set is the store's scratch (under its lock), not a new
            // set per call. A batch that skips used ids has each checked as it is applied instead (nothing to refuse).
            var ids = _enrollIds;
            ids.EnsureCapacity(skipUsed ? 0 : requests.Count);
            try
            {
                for (var i = 0; !skipUsed && i < requests.Count; i++)
                {
                    var id = batch is not null ? batch.EnrollmentId(i) : requests[i].EnrollmentId;
                    if (!ids.Add(id))
                    {
                        throw new ArgumentException($"Enrollment id {id} is used twice in the batch (index {i}); nothing was written.", nameof(requests));
                    }

                    if (_enrollments.ContainsKey(id))
                    {
                        throw new ArgumentException($"Enrollment id {id} already exists; nothing was written.", nameof(requests));
                    }
                }
            }
            finally
            {
                ids.Clear();
            }

            // Room for the whole intake at once (at most one enrollment, and one new customer, per request, and as many
            // for the entries an activation's batch says are still to come): a bulk enrollment grows each table once, not
            // through every size in between. Its leases, taken in creation order with one expiry, join the lease queue,
            // which needs no room.
            var room = requests.Count + (batch is null ? 0 : batch.MoreExpected);
            _enrollments.EnsureCapacity(_enrollments.Count + room);
            _byCustomer.EnsureCapacity(_byCustomer.Count + room);

            var outcomes = new EnrollmentOutcome[requests.Count];
            for (var i = 0; i < requests.Count; i++)
            {
                if (skipUsed && _enrollments.ContainsKey(batch!.EnrollmentId(i)))
                {
                    // Its customer entered through this intake already (an earlier entry of the list, of this batch or not).
                    outcomes[i] = new EnrollmentOutcome(EnrollmentOutcomeKind.DuplicateActive, batch.EnrollmentId(i));
                    continue;
                }

                outcomes[i] = EnrollLocked(batch is not null ? batch.Entry(i) : EntryFields.Of(requests[i]), out var added);
                if (added is not null && lease is not null && leased!.Count < lease.MaxItems)
                {
                    leased.Add(Lease(added, lease.Owner, lease.ExpiresAt));
                }
            }

            return outcomes;
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Due timers come first, in (wake time, id) order, then the ready queue in arrival order (new or moving
    /// enrollments, and waiting ones an event woke). An enrollment leased to anyone, this owner included, is skipped
    /// until its lease expires (expiry at or before <paramref name="now"/>); then any owner may claim it. Ended
    /// enrollments are never returned.
    /// </remarks>
    public ValueTask<IReadOnlyList<WorkItem>> ClaimAsync(string owner, DateTimeOffset now, int maxItems, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxItems);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            while (LeaseCount > 0 && MinLease is var expired && expired.LeaseExpiresAt <= now)
            {
                RemoveLease(expired);

                // The owner stays recorded: its late commit is still accepted until someone else claims the enrollment.
                Place(expired);
            }

            // Collected in the store's scratch list, then copied to an array of the claimed count: the caller keeps the
            // result (the engine's lease renewal holds it until the items are finished), and a list sized beforehand
            // would be sized to every timer (due or not) and every ready item, up to maxItems (4 KB per claim at the
            // engine's 512), where a due-timer claim usually takes a few. A claim that finds nothing allocates nothing.
            var claimed = _claimScratch;
            try
            {
                var expiresAt = now + lease;
                var nowTicks = now.UtcTicks;
                while (claimed.Count < maxItems && _timers.Count > 0 && _timers.Min.WakeAtTicks <= nowTicks)
                {
                    claimed.Add(Lease(_timers.Min, owner, expiresAt));
                }

                while (claimed.Count < maxItems && _readyFirst is { } first)
                {
                    claimed.Add(Lease(first, owner, expiresAt));
                }

                return ValueTask.FromResult<IReadOnlyList<WorkItem>>(claimed.Count == 0 ? Array.Empty<WorkItem>() : claimed.ToArray());
            }
            finally
            {
                claimed.Clear();
                if (claimed.Capacity > MaxClaimScratch)
                {
                    claimed.Capacity = MaxClaimScratch;
                }
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>Held: in the lease heap (not released, not expired and put back by a claim), leased to <paramref name="owner"/>, expiring after <paramref name="now"/>.</remarks>
    public ValueTask<IReadOnlyList<bool>> RenewLeasesAsync(string owner, IReadOnlyList<Guid> enrollmentIds, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(enrollmentIds);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        cancellationToken.ThrowIfCancellationRequested();
        var until = now + lease;
        var renewed = new bool[enrollmentIds.Count];
        lock (_lock)
        {
            for (var i = 0; i < renewed.Length; i++)
            {
                if (_enrollments.TryGetValue(enrollmentIds[i], out var entry)
                    && HoldsLease(entry)
                    && entry.LeaseExpiresAt > now
                    && string.Equals(entry.LeaseOwner, owner, StringComparison.Ordinal))
                {
                    if (until > entry.LeaseExpiresAt)
                    {
                        // The leases are ordered by the expiry: out, change, back in.
                        RemoveLease(entry);
                        entry.LeaseExpiresAt = until;
                        AddLease(entry);
                    }

                    renewed[i] = true;
                }
            }
        }

        return ValueTask.FromResult<IReadOnlyList<bool>>(renewed);
    }

    /// <inheritdoc />
    /// <remarks>Held: in the lease heap, leased to <paramref name="owner"/> (expired or not); released as a claim releases an expired lease.</remarks>
    public ValueTask<IReadOnlyList<bool>> ReleaseLeasesAsync(string owner, IReadOnlyList<Guid> enrollmentIds, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(enrollmentIds);
        cancellationToken.ThrowIfCancellationRequested();
        var released = new bool[enrollmentIds.Count];
        lock (_lock)
        {
            for (var i = 0; i < released.Length; i++)
            {
                if (_enrollments.TryGetValue(enrollmentIds[i], out var entry)
                    && string.Equals(entry.LeaseOwner, owner, StringComparison.Ordinal)
                    && RemoveLease(entry))
                {
                    // The owner stays recorded, as after an expiry: its late commit is accepted until someone else claims.
                    Place(entry);
                    released[i] = true;
                }
            }
        }

        return ValueTask.FromResult<IReadOnlyList<bool>>(released);
    }

    /// <inheritdoc />
    /// <remarks>
    /// A checkpoint is refused when the enrollment does not exist, its token differs from the expected one (it was
    /// committed or cancelled since the claim; a second checkpoint for one enrollment in a batch is stale too), or its
    /// lease is not <paramref name="owner"/>'s: another owner claimed it after this owner's lease expired, or it was
    /// never claimed, or the lease was released by a commit or a cancellation. A lease that expired but that nobody
    /// else has claimed since still belongs to its owner: nothing else can have changed the enrollment, and the token
    /// still guards against a second commit. All applied checkpoints (states, outbox messages, customer field updates,
    /// statistic deltas) become visible together; the messages an <paramref name="outboxHandoff"/> covers go straight into
    /// the lease heap, leased to <paramref name="owner"/>.
    /// </remarks>
    /// <exception cref="ArgumentException">
    /// A checkpoint is null or incomplete, changes an enrollment's id, journey, version or customer, or adds an outbox
    /// message whose id is already pending or repeated in the batch (nothing is written).
    /// </exception>
    public ValueTask<IReadOnlyList<bool>> CommitAsync(string owner, IReadOnlyList<EnrollmentCheckpoint> checkpoints, OutboxHandoff? outboxHandoff, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        StoreArgumentChecks.Checkpoints(checkpoints, nameof(checkpoints));

        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            try
            {
                return ValueTask.FromResult<IReadOnlyList<bool>>(CommitLocked(owner, checkpoints, outboxHandoff));
            }
            finally
            {
                // Scratch of the store, used only under its lock: a commit allocates no set, and keeps no id. The tally is
                // empty after a commit that went through (flushed); after one that failed, nothing of it is counted.
                _commitTally.Clear();
                _commitAccepted.Clear();
                _commitOutbox.Clear();
                _commitEntries.Clear();
            }
        }
    }

    private bool[] CommitLocked(string owner, IReadOnlyList<EnrollmentCheckpoint> checkpoints, OutboxHandoff? outboxHandoff)
    {
        var applied = new bool[checkpoints.Count];
        var accepted = _commitAccepted;
        var outbox = _commitOutbox;
        var entries = _commitEntries;

        // The outbox lock only while the pending ids are checked (and reserved) and while the messages are placed: the
        // dispatcher's claims and completions wait for those moments, not for the whole commit.
        using (_outboxLock.EnterScope())
        {
            ValidateLocked(owner, checkpoints, applied, accepted, outbox, entries);
        }

        try
        {
            lock (_customers.SyncRoot)
            {
                // The entries the checks found, one per applied checkpoint in order: no second lookup by id.
                var next = 0;
                for (var i = 0; i < checkpoints.Count; i++)
                {
                    if (applied[i])
                    {
                        ApplyLocked(entries[next++], checkpoints[i]);
                    }
                }

                _customers.ApplyFieldUpdatesLocked(checkpoints, applied);
            }
        }
        catch
        {
            // Not expected (the checks passed); if it happens, the message ids this commit reserved are not left taken
            // by messages that will never be placed.
            using (_outboxLock.EnterScope())
            {
                RemoveReservedLocked(outbox);
            }

            throw;
        }

        // Messages and statistics last, under the outbox lock: a claim that sees this commit's messages comes after its
        // statistics were added too (a statistics read needs only the statistics lock; state reads wait for the store lock).
        // The entries are in the outbox map since the checks, but in no queue or heap until here, so no claim, completion
        // or renewal could see them in between (each finds a message through those, or needs its lease).
        using (_outboxLock.EnterScope())
        {
            WithdrawLocked(checkpoints, applied);
            foreach (var entry in outbox)
            {
                if (outboxHandoff is not null && outboxHandoff.CoversDue(entry.DueAt))
                {
                    PlaceLeasedOutboxLocked(entry, owner, outboxHandoff.ExpiresAt);
                }
                else
                {
                    PlaceOutboxLocked(entry);
                }
            }

            Flush(_commitTally);
        }

        return applied;
    }

    // The checks of a commit, before anything is visible (the caller holds the store lock and the outbox lock). The
    // messages of accepted checkpoints get their entries and their ids in the outbox map here, one lookup each (a
    // repeated or pending id is found by the same lookup); if a check fails, the ids reserved so far are removed again.
    private void ValidateLocked(string owner, IReadOnlyList<EnrollmentCheckpoint> checkpoints, bool[] applied, HashSet<Guid> accepted, List<OutboxEntry> outboxEntries, List<EnrollmentEntry> entries)
    {
        try
        {
            for (var i = 0; i < checkpoints.Count; i++)
            {
                var checkpoint = checkpoints[i];

                // Only the identity is checked here: an executor's checkpoint is not made to build its state record.
                var state = checkpoint.Identity;
                if (!_enrollments.TryGetValue(state.Id, out var entry)
                    || entry.ConcurrencyToken != checkpoint.ExpectedToken
                    || !string.Equals(entry.LeaseOwner, owner, StringComparison.Ordinal)
                    || !accepted.Add(state.Id))
                {
                    continue;
                }

                if (!string.Equals(state.JourneyId, entry.JourneyId, StringComparison.Ordinal)
                    || state.Version != entry.Version
                    || !string.Equals(state.CustomerId, entry.CustomerId, StringComparison.Ordinal))
                {
                    throw new ArgumentException($"Checkpoint at index {i} changes the journey, version or customer of enrollment {state.Id}; nothing was written.", nameof(checkpoints));
                }

                // Indexed, not foreach: an enumerator of the interface list is an object per checkpoint.
                // The executor's sends are read as they are: no OutboxMessage record is built for them.
                var outbox = checkpoint.Sends;
                for (var m = 0; m < outbox.Count; m++)
                {
                    if (outbox.Message(m) is not { HasMessageId: true } message)
                    {
                        throw new ArgumentException($"Checkpoint at index {i} has a null outbox message; nothing was written.", nameof(checkpoints));
                    }

                    ref var reserved = ref CollectionsMarshal.GetValueRefOrAddDefault(_outbox, message, out var exists);
                    if (exists)
                    {
                        throw new ArgumentException($"Checkpoint at index {i} adds outbox message '{message.MessageId}', which is already pending; nothing was written.", nameof(checkpoints));
                    }

                    reserved = new OutboxEntry(message, outbox.EnrollmentId(m), outbox.DueAt(m), outbox.Attempts(m));
                    outboxEntries.Add(reserved);
                }

                applied[i] = true;
                entries.Add(entry);
            }
        }
        catch
        {
            // Nothing was written: the ids this commit reserved go again (they are its own: a pending id was refused).
            RemoveReservedLocked(outboxEntries);
            throw;
        }
    }

    // Removes the outbox ids a commit reserved and did not place (the caller holds the outbox lock).
    private void RemoveReservedLocked(List<OutboxEntry> reserved)
    {
        foreach (var entry in reserved)
        {
            _outbox.Remove(entry.Message);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// One store-wide counter numbers the events in call order; each customer keeps its events in sequence order. A
    /// waiting, unleased enrollment of the customer whose <see cref="Enrollment.WakeEvents"/> holds the event's name
    /// (ordinal) joins the ready queue; a leased one is re-examined when its checkpoint is committed or its lease
    /// expires, so an event that arrives while its enrollment is processed is not lost.
    /// </remarks>
    public async ValueTask AppendEventsAsync(IReadOnlyList<CustomerEvent> events, CancellationToken cancellationToken = default) =>
        await AppendNewEventsAsync(events, StoreArgumentChecks.LatestEventTime(events), DateTimeOffset.MinValue, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    /// <remarks>The ids are checked and recorded under the store's lock, with the append.</remarks>
    public ValueTask<IReadOnlyList<long>> AppendNewEventsAsync(IReadOnlyList<CustomerEvent> events, DateTimeOffset now, DateTimeOffset idsSince, CancellationToken cancellationToken = default)
    {
        StoreArgumentChecks.Events(events, nameof(events));
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return ValueTask.FromResult<IReadOnlyList<long>>(AppendLocked(events, now, idsSince));
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Under the store's lock (the entries enter it again): the entries' ids are checked against the stored enrollments
    /// first, then the events are appended, the appended events' entries made and their clicks counted, and their
    /// statistics added under the statistics lock taken inside the store lock (as a cancellation takes it), so nothing
    /// of the call is seen half-made and nothing can fail once the first event is appended.
    /// </remarks>
    public ValueTask<PublishedEvents?> PublishEventsAsync(
        IReadOnlyList<CustomerEvent> events, DateTimeOffset now, DateTimeOffset idsSince, IReadOnlyList<EventConsequence> consequences, EnrollmentLease? lease, CancellationToken cancellationToken = default)
    {
        var ids = StoreArgumentChecks.EventConsequences(events, consequences, nameof(consequences));
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            foreach (var id in ids)
            {
                if (_enrollments.ContainsKey(id))
                {
                    throw new ArgumentException($"Enrollment id {id} already exists; nothing was written.", nameof(consequences));
                }
            }

            var sequences = AppendLocked(events, now, idsSince);
            var entries = PublishedEvents.EntriesToMake(consequences, sequences);
            var leased = new List<WorkItem>();
            var outcomes = entries.Count > 0 ? Enroll(entries.Select(static e => e.Request).ToArray(), lease, leased, CancellationToken.None) : [];
            var (clicks, deltas) = PublishedEvents.FeedbackToCount(consequences, sequences);
            AddClicksLocked(clicks);
            lock (_statisticsLock)
            {
                AddStatisticsLocked(deltas);
            }

            return ValueTask.FromResult<PublishedEvents?>(PublishedEvents.Of(sequences, consequences.Count, entries, new LeasedEnrollments(outcomes, leased)));
        }
    }

    private long[] AppendLocked(IReadOnlyList<CustomerEvent> events, DateTimeOffset now, DateTimeOffset idsSince)
    {
        var sequences = new long[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            var customerEvent = events[i];
            if (customerEvent.Id is { } eventId)
            {
                ref var recorded = ref CollectionsMarshal.GetValueRefOrAddDefault(_eventIds, (customerEvent.CustomerId, eventId), out var exists);
                if (exists && recorded >= idsSince)
                {
                    continue;
                }

                recorded = now;
            }

            if (!_inboxes.TryGetValue(customerEvent.CustomerId, out var inbox))
            {
                inbox = new CustomerInbox();
                _inboxes.Add(customerEvent.CustomerId, inbox);
            }

            var sequence = ++_eventSequence;
            sequences[i] = sequence;
            inbox.Events.Add(new SequencedEvent(sequence, Stored(customerEvent)));
            inbox.LastSequence = sequence;
            _byCustomer.TryGetValue(customerEvent.CustomerId, out var first);
            for (var entry = first; entry is not null; entry = entry.NextOfCustomer)
            {
                if (entry.Status == EnrollmentStatus.Waiting && !entry.Leased && !entry.InReady
                    && Contains(entry.WakeEvents, customerEvent.Name))
                {
                    AddReady(entry);
                }
            }
        }

        return sequences;
    }

    /// <summary>
    /// The event as kept: as given (shared with the caller) but with its time at offset zero and its properties' names
    /// matched whatever their case, as the SQL stores give it back; a copy only when it differs.
    /// </summary>
    private static CustomerEvent Stored(CustomerEvent customerEvent)
    {
        var properties = customerEvent.Properties;
        var ignoringCase = properties.Count == 0 || properties.KeyComparer == StringComparer.OrdinalIgnoreCase;
        if (customerEvent.Time.Offset == TimeSpan.Zero && ignoringCase)
        {
            return customerEvent;
        }

        return customerEvent with
        {
            Time = customerEvent.Time.ToUniversalTime(),
            Properties = ignoringCase ? properties : properties.WithComparers(StringComparer.OrdinalIgnoreCase),
        };
    }

    // An entry's first cursor: the entering event's sequence when the request names one below the customer's latest.
    private static long StartCursor(in EntryFields request, long latest) =>
        request.EventCursor is { } cursor && cursor < latest ? Math.Max(cursor, 0) : latest;

    /// <inheritdoc />
    /// <remarks>Leased enrollments are not counted: their next timer arrives with their checkpoint.</remarks>
    public ValueTask<DateTimeOffset?> GetNextWakeAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return ValueTask.FromResult(_timers.Count > 0 ? _timers.Min.WakeAt : null);
        }
    }

    /// <inheritdoc />
    /// <remarks>Newest first by <see cref="Enrollment.EnteredAt"/>, then by creation order (newest first).</remarks>
    public ValueTask<IReadOnlyList<Enrollment>> GetByCustomerAsync(string customerId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(customerId);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (!_byCustomer.TryGetValue(customerId, out var first))
            {
                return ValueTask.FromResult<IReadOnlyList<Enrollment>>([]);
            }

            var ordered = new List<EnrollmentEntry>();
            for (var entry = first; entry is not null; entry = entry.NextOfCustomer)
            {
                ordered.Add(entry);
            }

            ordered.Sort(static (x, y) => y.EnteredAt.CompareTo(x.EnteredAt) is var c and not 0 ? c : y.Order.CompareTo(x.Order));
            var result = new Enrollment[ordered.Count];
            for (var i = 0; i < ordered.Count; i++)
            {
                result[i] = ordered[i].State;
            }

            return ValueTask.FromResult<IReadOnlyList<Enrollment>>(result);
        }
    }

    /// <inheritdoc />
    public ValueTask<Enrollment?> GetAsync(string customerId, Guid enrollmentId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(customerId);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return ValueTask.FromResult(_enrollments.TryGetValue(enrollmentId, out var entry) && string.Equals(entry.CustomerId, customerId, StringComparison.Ordinal) ? entry.State : null);
        }
    }

    /// <inheritdoc />
    /// <remarks>A snapshot taken under the store lock when the enumeration starts.</remarks>
    public async IAsyncEnumerable<Enrollment> ListByJourneyAsync(string journeyId, int? version, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(journeyId);
        cancellationToken.ThrowIfCancellationRequested();
        List<(Enrollment State, long Order)> matches = [];
        lock (_lock)
        {
            foreach (var first in _byCustomer)
            {
                for (var entry = first; entry is not null; entry = entry.NextOfCustomer)
                {
                    if (string.Equals(entry.JourneyId, journeyId, StringComparison.Ordinal) && (version is null || entry.Version == version))
                    {
                        matches.Add((entry.State, entry.Order));
                    }
                }
            }
        }

        matches.Sort(static (x, y) =>
            string.CompareOrdinal(x.State.CustomerId, y.State.CustomerId) is var c and not 0 ? c
            : x.State.EnteredAt.CompareTo(y.State.EnteredAt) is var d and not 0 ? d
            : x.Order.CompareTo(y.Order));
        foreach (var (state, _) in matches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return state;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Active and waiting enrollments (leased ones too) become <see cref="EnrollmentStatus.Cancelled"/> with no current
    /// node, timer or awaited event, the reason as <see cref="Enrollment.EndReason"/>, <paramref name="now"/> as
    /// <see cref="Enrollment.UpdatedAt"/> and the next token, so a later commit of the old token is refused. Each adds 1 to
    /// the Cancelled counter of its journey version and of the node it was at. The outbox messages matching the same
    /// filters go with them, leased ones included (see <see cref="IEnrollmentStore.CancelAsync"/>), in the same step.
    /// </remarks>
    public ValueTask<int> CancelAsync(string? journeyId, int? version, string? customerId, string reason, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reason);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var targets = new List<EnrollmentEntry>();
            if (customerId is not null)
            {
                if (_byCustomer.TryGetValue(customerId, out var first))
                {
                    for (var entry = first; entry is not null; entry = entry.NextOfCustomer)
                    {
                        if (!entry.IsEnded && Matches(entry, journeyId, version))
                        {
                            targets.Add(entry);
                        }
                    }
                }
            }
            else if (journeyId is not null)
            {
                if (_liveByJourney.TryGetValue(journeyId, out var live))
                {
                    for (var entry = live.First; entry is not null; entry = entry.LiveNext)
                    {
                        if (Matches(entry, journeyId, version))
                        {
                            targets.Add(entry);
                        }
                    }
                }
            }
            else
            {
                foreach (var live in _liveByJourney.Values)
                {
                    for (var entry = live.First; entry is not null; entry = entry.LiveNext)
                    {
                        if (Matches(entry, null, version))
                        {
                            targets.Add(entry);
                        }
                    }
                }
            }

            // The cancellation's counters become visible together (the statistics lock is taken inside the store lock),
            // and its outbox messages go in the same step (the outbox lock sits between the two).
            lock (_outboxLock)
            lock (_statisticsLock)
            {
                DropOutboxLocked(journeyId, version, customerId, targets);
                foreach (var entry in targets)
                {
                    Unslot(entry);
                    entry.LeaseOwner = null;
                    var nodeId = entry.CurrentNodeId;
                    entry.Status = EnrollmentStatus.Cancelled;
                    entry.CurrentNodeId = null;
                    entry.WakeAt = null;
                    entry.AwaitedEvent = null;
                    entry.UpdatedAt = now;
                    entry.ConcurrencyToken++;
                    entry.EndReason = reason;
                    RemoveLive(entry, entry.JourneyId);
                    AddStatisticLocked(new StatisticDelta(entry.JourneyId, entry.Version, null, StatisticCounter.Cancelled));
                    if (nodeId is not null)
                    {
                        AddStatisticLocked(new StatisticDelta(entry.JourneyId, entry.Version, nodeId, StatisticCounter.Cancelled));
                    }
                }
            }

            return ValueTask.FromResult(targets.Count);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// An event is deleted when its time is before <paramref name="olderThan"/> and every enrollment of its customer
    /// that has not ended has a cursor at or past its sequence. This walks every retained event: it is maintenance,
    /// not a hot path.
    /// </remarks>
    public ValueTask<int> PurgeEventsAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var removed = 0;
            List<string>? empty = null;
            foreach (var (customerId, inbox) in _inboxes)
            {
                var seenByAll = SeenByEveryLive(customerId);
                removed += inbox.Events.RemoveAll(e => e.Event.Time < olderThan && e.Sequence <= seenByAll);
                if (inbox.Events.Count == 0)
                {
                    (empty ??= []).Add(customerId);
                }
            }

            // An empty inbox is forgotten: a new enrollment then starts at cursor 0, which skips exactly the same (no) events.
            if (empty is not null)
            {
                foreach (var customerId in empty)
                {
                    _inboxes.Remove(customerId);
                }
            }

            List<(string, string)>? expired = null;
            foreach (var (key, recorded) in _eventIds)
            {
                if (recorded < olderThan)
                {
                    (expired ??= []).Add(key);
                }
            }

            if (expired is not null)
            {
                foreach (var key in expired)
                {
                    _eventIds.Remove(key);
                }
            }

            return ValueTask.FromResult(removed);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Walks every customer's enrollments under the store lock (maintenance, not a hot path). An ended enrollment still in
    /// a queue (a lease not yet given back) is left for the next purge.
    /// </remarks>
    public ValueTask<int> PurgeEndedAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var heads = new List<EnrollmentEntry>(_byCustomer.Count);
            foreach (var head in _byCustomer)
            {
                heads.Add(head);
            }

            var removed = 0;
            var latest = new Dictionary<string, EnrollmentEntry>(StringComparer.Ordinal);
            foreach (var head in heads)
            {
                if (!AnyPurgeable(head, olderThan))
                {
                    continue;
                }

                // The latest ended enrollment of each of the customer's journeys stays: the entry rules read its end.
                latest.Clear();
                for (var entry = head; entry is not null; entry = entry.NextOfCustomer)
                {
                    if (entry.IsEnded && (!latest.TryGetValue(entry.JourneyId, out var kept) || entry.UpdatedAt > kept.UpdatedAt))
                    {
                        latest[entry.JourneyId] = entry;
                    }
                }

                removed += RemoveOfCustomer(head, entry => Purgeable(entry, olderThan) && !ReferenceEquals(latest[entry.JourneyId], entry));
            }

            return ValueTask.FromResult(removed);
        }

        static bool AnyPurgeable(EnrollmentEntry head, DateTimeOffset olderThan)
        {
            var ended = 0;
            for (var entry = head; entry is not null; entry = entry.NextOfCustomer)
            {
                ended += Purgeable(entry, olderThan) ? 1 : 0;
            }

            // One purgeable enrollment alone may be its journey's latest: the walk above decides.
            return ended > 0 && head.NextOfCustomer is not null;
        }

        static bool Purgeable(EnrollmentEntry entry, DateTimeOffset olderThan) =>
            entry.IsEnded && entry.UpdatedAt < olderThan && !entry.Queued;
    }

    /// <inheritdoc />
    public ValueTask<int> EraseCustomerAsync(string customerId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(customerId);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var removed = 0;
            if (_byCustomer.TryGetValue(customerId, out var head))
            {
                removed = RemoveOfCustomer(head, static entry => entry.IsEnded && !entry.Queued);
            }

            // What is left is live (or still queued): the events it has not read stay.
            var seenByAll = SeenByEveryLive(customerId);

            if (_inboxes.TryGetValue(customerId, out var inbox))
            {
                inbox.Events.RemoveAll(e => e.Sequence <= seenByAll);
                if (inbox.Events.Count == 0)
                {
                    _inboxes.Remove(customerId);
                }
            }

            foreach (var key in _eventIds.Keys.Where(k => string.Equals(k.CustomerId, customerId, StringComparison.Ordinal)).ToList())
            {
                _eventIds.Remove(key);
            }

            return ValueTask.FromResult(removed);
        }
    }

    /// <summary>
    /// The highest event sequence every live enrollment of the customer has read (the lowest live cursor), or
    /// <see cref="long.MaxValue"/> when none is live (the caller holds the store lock).
    /// </summary>
    private long SeenByEveryLive(string customerId)
    {
        var seen = long.MaxValue;
        if (_byCustomer.TryGetValue(customerId, out var first))
        {
            for (var entry = first; entry is not null; entry = entry.NextOfCustomer)
            {
                if (!entry.IsEnded)
                {
                    seen = Math.Min(seen, entry.EventCursor);
                }
            }
        }

        return seen;
    }

    /// <summary>
    /// Removes the enrollments of <paramref name="head"/>'s customer that <paramref name="remove"/> selects from the
    /// customer's list and from the id table (the caller holds the store lock; they must be in no queue). The customer's
    /// key then finds the list's new first enrollment, or nothing once none is left.
    /// </summary>
    /// <returns>How many were removed.</returns>
    private int RemoveOfCustomer(EnrollmentEntry head, Func<EnrollmentEntry, bool> remove)
    {
        var removed = 0;
        EnrollmentEntry? previous = null;
        var first = head;
        for (var entry = head; entry is not null;)
        {
            var next = entry.NextOfCustomer;
            if (remove(entry))
            {
                if (previous is null)
                {
                    first = next;
                }
                else
                {
                    previous.NextOfCustomer = next;
                }

                entry.NextOfCustomer = null;
                _enrollments.Remove(entry.Id);
                removed++;
            }
            else
            {
                previous = entry;
            }

            entry = next;
        }

        if (first is null)
        {
            _byCustomer.Remove(head.CustomerId);
        }
        else if (!ReferenceEquals(first, head))
        {
            _byCustomer.Replace(first);
        }

        return removed;
    }

    private static bool Matches(EnrollmentEntry entry, string? journeyId, int? version) =>
        (journeyId is null || string.Equals(entry.JourneyId, journeyId, StringComparison.Ordinal))
        && (version is null || entry.Version == version);

    private EnrollmentOutcome EnrollLocked(in EntryFields request, out EnrollmentEntry? added)
    {
        added = null;
        // The customer id is hashed once: its hash is kept for the add below.
        _byCustomer.TryGetValue(request.CustomerId, out var first, out var customerHash);
        EnrollmentEntry? last = null;
        DateTimeOffset? lastEnd = null;
        if (first is not null)
        {
            for (var entry = first; entry is not null; entry = entry.NextOfCustomer)
            {
                last = entry;
                if (!string.Equals(entry.JourneyId, request.JourneyId, StringComparison.Ordinal))
                {
                    continue;
                }

                if (!entry.IsEnded)
                {
                    return new EnrollmentOutcome(EnrollmentOutcomeKind.DuplicateActive, entry.Id);
                }

                if (lastEnd is null || entry.UpdatedAt > lastEnd)
                {
                    lastEnd = entry.UpdatedAt;
                }
            }
        }

        var created = _createdByJourney.GetValueOrDefault(request.JourneyId);
        if (EntryRuleChecks.Refusal(request.Rules, request.At, lastEnd, created) is { } refusal)
        {
            return new EnrollmentOutcome(refusal, null);
        }

        // The entry is the enrollment: no Enrollment record is kept (one is built per claim or read).
        added = new EnrollmentEntry(request.EnrollmentId, request.JourneyId, request.Version, request.CustomerId, request.At, checked(++_enrollmentOrder))
        {
            CurrentNodeId = request.StartNodeId,
            Status = EnrollmentStatus.Active,
            UpdatedAt = request.At,
            ConcurrencyToken = 1,
            WakeEvents = request.WakeEvents,
            NodeEnteredAt = request.At,
            EventCursor = StartCursor(request, _inboxes.TryGetValue(request.CustomerId, out var inbox) ? inbox.LastSequence : 0),
        };
        _enrollments.Add(added);
        if (last is null)
        {
            _byCustomer.Add(added, customerHash);
        }
        else
        {
            last.NextOfCustomer = added;
        }

        if (!_liveByJourney.TryGetValue(request.JourneyId, out var live))
        {
            live = new LiveList();
            _liveByJourney.Add(request.JourneyId, live);
        }

        live.Add(added);
        _createdByJourney[request.JourneyId] = created + 1;
        Place(added);
        return new EnrollmentOutcome(EnrollmentOutcomeKind.Created, added.Id);
    }

    private void ApplyLocked(EnrollmentEntry entry, EnrollmentCheckpoint checkpoint)
    {
        Unslot(entry);
        entry.LeaseOwner = null;

        // Copied into the entry in place: the checkpoint's record is not kept, so it dies young. An executor's checkpoint
        // carries the run's changed fields, copied straight in: its state record is never built.
        if (checkpoint.TryGetChange(out var change))
        {
            entry.Set(change, checkpoint.ExpectedToken + 1);
        }
        else
        {
            entry.Set(checkpoint.State, checkpoint.ExpectedToken + 1);
        }

        if (entry.IsEnded)
        {
            RemoveLive(entry, entry.JourneyId);
        }

        Place(entry);

        // The outbox messages are added after the states (CommitLocked), the statistics when the commit ends.
        _commitTally.Add(checkpoint.Statistics);
    }

    private WorkItem Lease(EnrollmentEntry entry, string owner, DateTimeOffset expiresAt)
    {
        Unslot(entry);
        entry.LeaseOwner = owner;
        entry.LeaseExpiresAt = expiresAt;
        AddLease(entry);
        // The claim-time state is copied into the item (under the lock: a later change of the entry does not reach it), with
        // the entry as its identity, which never changes: no Enrollment record is built unless someone reads one.
        return EarlierFeedback(entry) is { } earlier
            ? new WorkItem(entry.Claimed, EventsAfter(entry), expiresAt) { EarlierFeedback = earlier }
            : new WorkItem(entry.Claimed, EventsAfter(entry), expiresAt);
    }

    // Puts an unleased, unslotted enrollment where claims find it.
    private void Place(EnrollmentEntry entry)
    {
        if (entry.Status == EnrollmentStatus.Active || (entry.Status == EnrollmentStatus.Waiting && HasPendingWakeEvent(entry)))
        {
            AddReady(entry);
        }

        if (entry.Status == EnrollmentStatus.Waiting && entry.WakeAt is not null)
        {
            _timers.Add(entry);
        }
    }

    private void Unslot(EnrollmentEntry entry)
    {
        if (entry.InReady)
        {
            RemoveReady(entry);
        }

        _timers.Remove(entry);
        RemoveLease(entry);
    }

    private void RemoveLive(EnrollmentEntry entry, string journeyId)
    {
        if (_liveByJourney.TryGetValue(journeyId, out var live) && live.Remove(entry) && live.First is null)
        {
            _liveByJourney.Remove(journeyId);
        }
    }

    private void AddReady(EnrollmentEntry entry)
    {
        if (entry.InLeaseQueue)
        {
            // The ready links are the lease queue's while an entry is leased.
            throw new InvalidOperationException($"Enrollment {entry.Id} is leased; it cannot be ready.");
        }

        entry.InReady = true;
        Append(ref _readyFirst, ref _readyLast, entry);
        _readyCount++;
    }

    private void RemoveReady(EnrollmentEntry entry)
    {
        Unlink(ref _readyFirst, ref _readyLast, entry);
        entry.InReady = false;
        _readyCount--;
    }

    private bool HasPendingWakeEvent(EnrollmentEntry state)
    {
        if (state.WakeEvents.IsEmpty || !_inboxes.TryGetValue(state.CustomerId, out var inbox))
        {
            return false;
        }

        var events = inbox.Events;
        for (var i = FirstAfter(events, state.EventCursor); i < events.Count; i++)
        {
            if (Contains(state.WakeEvents, events[i].Event.Name))
            {
                return true;
            }
        }

        return false;
    }

    private IReadOnlyList<SequencedEvent> EventsAfter(EnrollmentEntry state)
    {
        if (!_inboxes.TryGetValue(state.CustomerId, out var inbox))
        {
            return Array.Empty<SequencedEvent>();
        }

        var events = inbox.Events;
        var first = FirstAfter(events, state.EventCursor);
        return first == events.Count ? Array.Empty<SequencedEvent>() : events.GetRange(first, events.Count - first);
    }

    /// <summary>
    /// The retained events at or before the entry's cursor that refer to one of its own messages
    /// (<see cref="WorkItem.EarlierFeedback"/>), or null when there are none (the common case: nothing is allocated).
    /// </summary>
    private List<SequencedEvent>? EarlierFeedback(EnrollmentEntry state)
    {
        if (!_inboxes.TryGetValue(state.CustomerId, out var inbox))
        {
            return null;
        }

        var events = inbox.Events;
        List<SequencedEvent>? earlier = null;
        for (var i = 0; i < events.Count && events[i].Sequence <= state.EventCursor; i++)
        {
            if (WorkItem.IsOwnMessage(events[i].Event.MessageId, state.Id))
            {
                (earlier ??= []).Add(events[i]);
            }
        }

        return earlier;
    }

    // The index of the first event with a sequence above the cursor (events are in sequence order).
    private static int FirstAfter(List<SequencedEvent> events, long cursor)
    {
        int low = 0, high = events.Count;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (events[middle].Sequence <= cursor)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    // A journey's enrollments that have not ended, linked through the entries.
    private sealed class LiveList
    {
        public EnrollmentEntry? First { get; private set; }

        private EnrollmentEntry? _last;

        public void Add(EnrollmentEntry entry)
        {
            entry.LivePrevious = _last;
            entry.LiveNext = null;
            if (_last is null)
            {
                First = entry;
            }
            else
            {
                _last.LiveNext = entry;
            }

            _last = entry;
        }

        /// <summary>Unlinks the entry; false when it is not in this list (already removed).</summary>
        public bool Remove(EnrollmentEntry entry)
        {
            if (entry.LivePrevious is null)
            {
                if (!ReferenceEquals(First, entry))
                {
                    return false;
                }

                First = entry.LiveNext;
            }
            else
            {
                entry.LivePrevious.LiveNext = entry.LiveNext;
            }

            if (entry.LiveNext is null)
            {
                _last = entry.LivePrevious;
            }
            else
            {
                entry.LiveNext.LivePrevious = entry.LivePrevious;
            }

            entry.LivePrevious = null;
            entry.LiveNext = null;
            return true;
        }
    }

    private sealed class CustomerInbox
    {
        public List<SequencedEvent> Events { get; } = [];

        public long LastSequence { get; set; }
    }

    /// <summary>
    /// One enrollment, its fields kept in place (a commit copies the checkpoint's state in; nothing else is kept per
    /// enrollment), with its slots in the claim structures. Kept small because a store holds one per enrollment, most
    /// of them waiting: instants are UTC ticks (8 bytes, where a <see cref="DateTimeOffset"/> takes 16 and a nullable one
    /// 24; the stores keep instants, not offsets, see <c>docs/storage.md</c>), strings and wake-event arrays are the
    /// caller's (the engine passes its compiled version's node ids and event names, so they are shared), and the
    /// indexes link through the entry instead of holding an entry record per enrollment.
    /// </summary>
    private sealed class EnrollmentEntry(Guid id, string journeyId, int version, string customerId, DateTimeOffset enteredAt, int order) : IHeapNode, IEnrollmentIdentity
    {
        public const int TimerSlot = 0;
        public const int LeaseSlot = 1;

        // No instant: the ticks of a null DateTimeOffset?.
        private const long NoTime = long.MinValue;

        // _heap's value for an entry in the lease queue (1 + slot for the heaps).
        private const byte InLeaseQueueMark = 3;

        private readonly long _enteredAt = enteredAt.UtcTicks;
        private long _wakeAt = NoTime;
        private long _updatedAt;
        private long _nodeEnteredAt = NoTime;
        private long _leaseExpiresAt;
        // An entry is in at most one heap at a time (a claim takes it out of the timer heap before leasing it): one
        // index, and which heap it belongs to (0: none, 1 + slot).
        private int _heapIndex = -1;
        private byte _heap;
        private byte _status;

        // Only entries with a timer are in the timer heap, so the null case never reaches the comparison.
        public static readonly IComparer<EnrollmentEntry> ByWakeAt = Comparer<EnrollmentEntry>.Create(static (x, y) =>
            x._wakeAt.CompareTo(y._wakeAt) is var c and not 0 ? c : x.Id.CompareTo(y.Id));

        public static readonly IComparer<EnrollmentEntry> ByLeaseExpiry = Comparer<EnrollmentEntry>.Create(CompareLeases);

        public Guid Id { get; } = id;

        public string JourneyId { get; } = journeyId;

        public int Version { get; } = version;

        public string CustomerId { get; } = customerId;

        public DateTimeOffset EnteredAt => FromTicks(_enteredAt);

        public int Order { get; } = order;

        // The mutable state. WakeAt is never changed while the entry is in the timer heap (Unslot first).
        public string? CurrentNodeId { get; set; }

        public EnrollmentStatus Status
        {
            get => (EnrollmentStatus)_status;
            set => _status = checked((byte)value);
        }

        // The timer heap's key (only read for entries in it, which have a timer).
        public long WakeAtTicks => _wakeAt;

        public DateTimeOffset? WakeAt
        {
            get => _wakeAt == NoTime ? null : FromTicks(_wakeAt);
            set => _wakeAt = value is { } time ? time.UtcTicks : NoTime;
        }

        public string? AwaitedEvent { get; set; }

        public int Visit { get; set; }

        public DateTimeOffset UpdatedAt
        {
            get => FromTicks(_updatedAt);
            set => _updatedAt = value.UtcTicks;
        }

        public long ConcurrencyToken { get; set; }

        public EquatableArray<string> WakeEvents { get; set; }

        public long EventCursor { get; set; }

        public DateTimeOffset? NodeEnteredAt
        {
            get => _nodeEnteredAt == NoTime ? null : FromTicks(_nodeEnteredAt);
            set => _nodeEnteredAt = value is { } time ? time.UtcTicks : NoTime;
        }

        public int NodeState { get; set; }

        public string? EndReason { get; set; }

        public int MessagesSent { get; set; }

        public int Clicks { get; set; }

        public bool IsEnded => Status is not (EnrollmentStatus.Active or EnrollmentStatus.Waiting);

        /// <summary>A new record of the current state (the caller holds the store lock).</summary>
        public Enrollment State => Claimed.ToRecord();

        /// <summary>The current state as a claim carries it, the entry as its identity (the caller holds the store lock).</summary>
        public ClaimedState Claimed => new(this, CurrentNodeId, Status, WakeAt, AwaitedEvent, Visit, UpdatedAt, ConcurrencyToken, WakeEvents, EventCursor, NodeEnteredAt, NodeState, EndReason, MessagesSent, Clicks);

        public string? LeaseOwner { get; set; }

        public DateTimeOffset LeaseExpiresAt
        {
            get => FromTicks(_leaseExpiresAt);
            set => _leaseExpiresAt = value.UtcTicks;
        }

        public bool Leased => _heap is 1 + LeaseSlot or InLeaseQueueMark;

        /// <summary>Whether the entry is in a heap, the lease queue or the ready queue (a purge leaves it then).</summary>
        public bool Queued => _heap != 0 || InReady;

        // The leases' order: (lease expiry, creation order).
        public static int CompareLeases(EnrollmentEntry x, EnrollmentEntry y) =>
            x._leaseExpiresAt.CompareTo(y._leaseExpiresAt) is var c and not 0 ? c : x.Order.CompareTo(y.Order);

        // In the lease queue (InMemoryEngineStore.Leases.cs), which links through the ready links: in no heap then.
        public bool InLeaseQueue
        {
            get => _heap == InLeaseQueueMark;
            set
            {
                if (value && _heap != 0)
                {
                    throw new InvalidOperationException($"Enrollment {Id} is in a heap; it cannot join the lease queue.");
                }

                _heap = value ? InLeaseQueueMark : (byte)0;
            }
        }

        // The ready queue's links.
        public bool InReady { get; set; }

        public EnrollmentEntry? ReadyPrevious { get; set; }

        public EnrollmentEntry? ReadyNext { get; set; }

        // The customer's next enrollment in creation order.
        public EnrollmentEntry? NextOfCustomer { get; set; }

        // The links of the journey's live list (not ended).
        public EnrollmentEntry? LivePrevious { get; set; }

        public EnrollmentEntry? LiveNext { get; set; }

        /// <summary>Takes a committed state (identity fields were checked equal) with the token the commit assigns; the click counter stays.</summary>
        public void Set(Enrollment state, long token)
        {
            CurrentNodeId = state.CurrentNodeId;
            Status = state.Status;
            WakeAt = state.WakeAt;
            AwaitedEvent = state.AwaitedEvent;
            Visit = state.Visit;
            UpdatedAt = state.UpdatedAt;
            ConcurrencyToken = token;
            WakeEvents = state.WakeEvents;
            EventCursor = state.EventCursor;
            NodeEnteredAt = state.NodeEnteredAt;
            NodeState = state.NodeState;
            EndReason = state.EndReason;
            MessagesSent = state.MessagesSent;

            // Clicks is not taken: the store owns it (AddClicksAsync), and the state may predate a click.
        }

        /// <summary>Takes a run's changed fields (<see cref="Set(Enrollment, long)"/> without the record); the click counter stays.</summary>
        public void Set(in EnrollmentChange change, long token)
        {
            CurrentNodeId = change.CurrentNodeId;
            Status = change.Status;
            WakeAt = change.WakeAt;
            AwaitedEvent = change.AwaitedEvent;
            Visit = change.Visit;
            UpdatedAt = change.UpdatedAt;
            ConcurrencyToken = token;
            WakeEvents = change.WakeEvents;
            EventCursor = change.EventCursor;
            NodeEnteredAt = change.NodeEnteredAt;
            NodeState = change.NodeState;
            EndReason = change.EndReason;
            MessagesSent = change.MessagesSent;
        }

        public int GetHeapIndex(int slot) => _heap == 1 + slot ? _heapIndex : -1;

        public void SetHeapIndex(int slot, int index)
        {
            if (index < 0)
            {
                _heap = 0;
                _heapIndex = -1;
                return;
            }

            if (_heap != 0 && _heap != 1 + slot)
            {
                throw new InvalidOperationException($"Enrollment {Id} is in the timer heap and the lease heap at once.");
            }

            _heap = (byte)(1 + slot);
            _heapIndex = index;
        }

        private static DateTimeOffset FromTicks(long utcTicks) => new(utcTicks, TimeSpan.Zero);
    }
}
