using Journeys.Model;
using Journeys.Messaging;

namespace Journeys.Storage.InMemory;

/// <content>The outbox: pending messages ordered by due time, leases ordered by expiry.</content>
internal sealed partial class InMemoryEngineStore
{
    // The outbox has a lock of its own, taken after the store lock (a commit takes it to check and add its messages) and
    // before the statistics lock: the dispatcher's claims and completions do not wait for commits, claims of
    // enrollments or enrollment, only for the short moments a commit touches the outbox.
    private readonly Lock _outboxLock = new();

    // Keyed by the message itself, compared by id: an engine send's id is not made to find it (MessageIdComparer).
    private readonly Dictionary<OutboundMessage, OutboxEntry> _outbox = new(MessageIdComparer.Instance);

    // Unleased pending messages by (DueAt, arrival), for those that do not fit the queue below.
    private readonly IndexedHeap<OutboxEntry> _outboxDue = new(OutboxEntry.ByDueAt, OutboxEntry.DueSlot);

    // New messages in arrival order while their due times do not decrease (checkpoints add messages due "now", so
    // nearly all do): sorted by (DueAt, arrival) like the heap, at O(1) per message. A claim takes the smaller head of
    // the two; a message never claimed is only ever here or in the heap.
    private readonly Queue<OutboxEntry> _outboxQueue = new();

    // Leased messages: those leased in expiry order (hand-offs and claims lease until "now + lease": nearly all) in a
    // queue, sorted by expiry, that a completion unlinks them from in O(1); the others by (lease expiry, arrival) in a
    // heap. A message is in one of them at most (OutboxEntry.LeaseSlot says which).
    private readonly IndexedQueue<OutboxEntry> _outboxLeaseQueue = new(OutboxEntry.LeaseSlot);
    private readonly IndexedHeap<OutboxEntry> _outboxLeases = new(OutboxEntry.ByLeaseExpiry, OutboxEntry.LeaseSlot);
    private DateTimeOffset _outboxQueueLastDue;

    // A claim's entries, between ClaimLocked and its caller (under the outbox lock; cleared after each claim).
    private OutboxEntry[] _claimed = [];
    private long _outboxOrder;

    /// <inheritdoc />
    /// <remarks>
    /// Returns unleased messages with <see cref="OutboxMessage.DueAt"/> at or before <paramref name="now"/>, earliest
    /// first, and messages whose lease expired at or before <paramref name="now"/> (whoever held it). A message whose
    /// lease has not expired is not returned, not even to the owner that holds it.
    /// </remarks>
    ValueTask<IReadOnlyList<OutboxMessage>> IOutboxStore.ClaimAsync(string owner, DateTimeOffset now, int maxItems, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxItems);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_outboxLock)
        {
            var count = ClaimLocked(owner, now, maxItems, lease);
            var claimed = new OutboxMessage[count];
            for (var i = 0; i < count; i++)
            {
                claimed[i] = _claimed[i].ToRecord();
                _claimed[i] = null!;
            }

            return ValueTask.FromResult<IReadOnlyList<OutboxMessage>>(claimed);
        }
    }

    /// <summary>
    /// <see cref="IOutboxStore.ClaimAsync"/> for the engine's own dispatcher, with the same rules, returning the messages
    /// themselves (no <see cref="OutboxMessage"/> record per message: the dispatcher sends the message and nothing else).
    /// </summary>
    internal OutboundMessage[] ClaimMessages(string owner, DateTimeOffset now, int maxItems, TimeSpan lease)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxItems);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        lock (_outboxLock)
        {
            var count = ClaimLocked(owner, now, maxItems, lease);
            if (count == 0)
            {
                return [];
            }

            var claimed = new OutboundMessage[count];
            for (var i = 0; i < count; i++)
            {
                claimed[i] = _claimed[i].Message;
                _claimed[i] = null!;
            }

            return claimed;
        }
    }

    // A claim (the caller holds the outbox lock): puts expired leases back among the due messages, then leases up to
    // maxItems due at or before now, earliest first, to owner, into _claimed[0..count), which the caller clears.
    private int ClaimLocked(string owner, DateTimeOffset now, int maxItems, TimeSpan lease)
    {
        // The owner stays recorded: its late result is still accepted until someone else claims the message. The due heap
        // orders what expired, so the queue and the heap are swept one after the other.
        while (_outboxLeaseQueue.First is { } expired && expired.LeaseExpiresAt <= now)
        {
            _outboxLeaseQueue.Remove(expired);
            _outboxDue.Add(expired);
        }

        while (_outboxLeases.Count > 0 && _outboxLeases.Min.LeaseExpiresAt <= now)
        {
            var expired = _outboxLeases.Min;
            _outboxLeases.Remove(expired);
            _outboxDue.Add(expired);
        }

        var count = 0;
        var nowTicks = now.UtcTicks;
        while (count < maxItems && NextDueLocked() is { } entry && entry.DueTicks <= nowTicks)
        {
            if (_outboxQueue.Count > 0 && ReferenceEquals(_outboxQueue.Peek(), entry))
            {
                _outboxQueue.Dequeue();
            }
            else
            {
                _outboxDue.Remove(entry);
            }

            entry.LeaseOwner = owner;
            entry.LeaseExpiresAt = now + lease;
            AddOutboxLeaseLocked(entry);
            if (count == _claimed.Length)
            {
                Array.Resize(ref _claimed, Math.Max(64, Math.Min(maxItems, 2 * _claimed.Length)));
            }

            _claimed[count++] = entry;
        }

        return count;
    }

    /// <inheritdoc />
    /// <remarks>
    /// A success, or a failure without <see cref="OutboxResult.RetryAt"/>, removes the message. A failure with
    /// <see cref="OutboxResult.RetryAt"/> keeps it, due at that time, with one more attempt, lease released. A result
    /// for a message that is gone or that another owner has claimed since (after this owner's lease expired) is
    /// ignored, statistic deltas included: the newer claim's result counts instead.
    /// </remarks>
    public ValueTask CompleteAsync(string owner, IReadOnlyList<OutboxResult> results, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        StoreArgumentChecks.OutboxResults(results, nameof(results));

        cancellationToken.ThrowIfCancellationRequested();
        lock (_outboxLock)
        {
            try
            {
                var byId = _outbox.GetAlternateLookup<string>();
                foreach (var result in results)
                {
                    if (byId.Remove(result.MessageId, out _, out var entry))
                    {
                        CompleteLocked(owner, entry, result.Result, result.RetryAt, result.Statistics);
                    }
                }
            }
            finally
            {
                // The statistics of the results applied, added before the outbox lock is released.
                Flush(_outboxTally);
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// <see cref="CompleteAsync"/> for the engine's own dispatcher, with the same rules, from results held as values
    /// (no <see cref="OutboxResult"/> per message). A statistic array shared by consecutive results is checked once.
    /// </summary>
    internal void Complete(string owner, ReadOnlySpan<OutboxOutcome> results)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        StatisticDelta[]? checkedDeltas = null;
        for (var i = 0; i < results.Length; i++)
        {
            ref readonly var result = ref results[i];
            if (result.Message is not { HasMessageId: true } || result.Statistics is null)
            {
                throw new ArgumentException($"Outbox result at index {i} has a null message, message id or statistics.", nameof(results));
            }

            if (!ReferenceEquals(result.Statistics, checkedDeltas))
            {
                StoreArgumentChecks.Statistics(result.Statistics, nameof(results));
                checkedDeltas = result.Statistics;
            }
        }

        lock (_outboxLock)
        {
            try
            {
                foreach (ref readonly var result in results)
                {
                    if (_outbox.Remove(result.Message, out var entry))
                    {
                        CompleteLocked(owner, entry, result.Result, result.RetryAt, result.Statistics);
                    }
                }
            }
            finally
            {
                Flush(_outboxTally);
            }
        }
    }

    // One result for an entry the caller removed from the map (a success, the common result, is then one lookup; an
    // entry that stays is put back). The caller holds the outbox lock and flushes the tally.
    private void CompleteLocked(string owner, OutboxEntry entry, SendResult result, DateTimeOffset? retryAt, IReadOnlyList<StatisticDelta> statistics)
    {
        if (!string.Equals(entry.LeaseOwner, owner, StringComparison.Ordinal))
        {
            _outbox.Add(entry.Message, entry);
            return;
        }

        // A claimed entry sits in exactly one place: the leases, or the due heap once its lease expired.
        _outboxDue.Remove(entry);
        RemoveOutboxLeaseLocked(entry);

        entry.LeaseOwner = null;
        if (retryAt is { } at && !result.IsSuccess)
        {
            entry.DueAt = at;
            entry.Attempts++;
            _outbox.Add(entry.Message, entry);
            _outboxDue.Add(entry);
        }
        else
        {
            UnindexOutboxLocked(entry);
        }

        _outboxTally.Add(statistics);
    }

    /// <inheritdoc />
    /// <remarks>Held: in the lease heap (no result yet, not expired and put back by a claim), leased to <paramref name="owner"/>, expiring after <paramref name="now"/>.</remarks>
    public ValueTask<IReadOnlyList<bool>> RenewLeasesAsync(string owner, IReadOnlyList<string> messageIds, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(messageIds);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        cancellationToken.ThrowIfCancellationRequested();
        var until = now + lease;
        var renewed = new bool[messageIds.Count];
        lock (_outboxLock)
        {
            var byId = _outbox.GetAlternateLookup<string>();
            for (var i = 0; i < renewed.Length; i++)
            {
                if (messageIds[i] is { } id
                    && byId.TryGetValue(id, out var entry)
                    && HoldsOutboxLease(entry)
                    && entry.LeaseExpiresAt > now
                    && string.Equals(entry.LeaseOwner, owner, StringComparison.Ordinal))
                {
                    if (until > entry.LeaseExpiresAt)
                    {
                        RemoveOutboxLeaseLocked(entry);
                        entry.LeaseExpiresAt = until;
                        AddOutboxLeaseLocked(entry);
                    }

                    renewed[i] = true;
                }
            }
        }

        return ValueTask.FromResult<IReadOnlyList<bool>>(renewed);
    }

    /// <inheritdoc />
    /// <remarks>Held: in the lease heap (no result yet), leased to <paramref name="owner"/> (expired or not); put back among the due messages as a claim puts back an expired lease.</remarks>
    public ValueTask<IReadOnlyList<bool>> ReleaseLeasesAsync(string owner, IReadOnlyList<string> messageIds, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(messageIds);
        cancellationToken.ThrowIfCancellationRequested();
        var released = new bool[messageIds.Count];
        lock (_outboxLock)
        {
            var byId = _outbox.GetAlternateLookup<string>();
            for (var i = 0; i < released.Length; i++)
            {
                if (messageIds[i] is { } id
                    && byId.TryGetValue(id, out var entry)
                    && HoldsOutboxLease(entry)
                    && string.Equals(entry.LeaseOwner, owner, StringComparison.Ordinal))
                {
                    // The owner stays recorded, as after an expiry: its late result is accepted until someone else claims.
                    RemoveOutboxLeaseLocked(entry);
                    _outboxDue.Add(entry);
                    released[i] = true;
                }
            }
        }

        return ValueTask.FromResult<IReadOnlyList<bool>>(released);
    }

    /// <inheritdoc />
    /// <remarks>Leased messages are not counted: they are being sent, and come back only with a retry time or when their lease expires.</remarks>
    public ValueTask<DateTimeOffset?> GetNextDueAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_outboxLock)
        {
            return ValueTask.FromResult(NextDueLocked()?.DueAt);
        }
    }

    // CancelAsync's part (the caller holds the store, outbox and statistics locks): removes every message matching the
    // filters, leased ones included (a late result for one is then ignored), and counts each at its node as Cancelled
    // unless its enrollment is cancelled at that same node by this call (that enrollment counts there already). A scan
    // of the outbox: stops and customer deletions are rare, and the queue is rebuilt only when one of its entries went.
    private void DropOutboxLocked(string? journeyId, int? version, string? customerId, List<EnrollmentEntry> cancelled)
    {
        List<OutboxEntry>? dropped = null;
        foreach (var entry in _outbox.Values)
        {
            var message = entry.Message;
            if ((journeyId is null || string.Equals(message.JourneyId, journeyId, StringComparison.Ordinal))
                && (version is null || message.JourneyVersion == version)
                && (customerId is null || string.Equals(message.CustomerId, customerId, StringComparison.Ordinal)))
            {
                (dropped ??= []).Add(entry);
            }
        }

        if (dropped is null)
        {
            return;
        }

        HashSet<(Guid, string)>? cancelledAt = null;
        foreach (var enrollment in cancelled)
        {
            if (enrollment.CurrentNodeId is { } node)
            {
                (cancelledAt ??= []).Add((enrollment.Id, node));
            }
        }

        RemoveOutboxLocked(dropped);
        foreach (var entry in dropped)
        {
            var message = entry.Message;
            if (message.JourneyId is { } journey && message.NodeId is { } node
                && !(entry.EnrollmentId is { } id && cancelledAt is not null && cancelledAt.Contains((id, node))))
            {
                AddStatisticLocked(new StatisticDelta(journey, message.JourneyVersion, node, StatisticCounter.Cancelled));
            }
        }
    }

    // Takes messages out of the outbox map and of the queue, due heap or lease heap that holds each (the caller holds the
    // outbox lock). The queue is rebuilt only when one of its entries went.
    private void RemoveOutboxLocked(List<OutboxEntry> dropped)
    {
        var queued = false;
        foreach (var entry in dropped)
        {
            _outbox.Remove(entry.Message);
            queued |= !_outboxDue.Contains(entry) && !HoldsOutboxLease(entry);
            _outboxDue.Remove(entry);
            RemoveOutboxLeaseLocked(entry);
            entry.LeaseOwner = null;
            UnindexOutboxLocked(entry);
        }

        if (queued)
        {
            for (var count = _outboxQueue.Count; count > 0; count--)
            {
                var entry = _outboxQueue.Dequeue();
                if (_outbox.TryGetValue(entry.Message, out var kept) && ReferenceEquals(kept, entry))
                {
                    _outboxQueue.Enqueue(entry);
                }
            }
        }
    }

    // A committed message's entry (its id already in the map) where claims find it, in arrival order.
    private void PlaceOutboxLocked(OutboxEntry entry)
    {
        entry.Order = ++_outboxOrder;
        IndexOutboxLocked(entry);
        var dueAt = entry.DueAt;
        if (_outboxQueue.Count == 0 || dueAt >= _outboxQueueLastDue)
        {
            _outboxQueue.Enqueue(entry);
            _outboxQueueLastDue = dueAt;
        }
        else
        {
            _outboxDue.Add(entry);
        }
    }

    // A message handed over by its commit (OutboxHandoff): in the lease heap at once, as a claim would have put it.
    private void PlaceLeasedOutboxLocked(OutboxEntry entry, string owner, DateTimeOffset expiresAt)
    {
        entry.Order = ++_outboxOrder;
        IndexOutboxLocked(entry);
        entry.LeaseOwner = owner;
        entry.LeaseExpiresAt = expiresAt;
        AddOutboxLeaseLocked(entry);
    }

    // Whether the entry is leased: in the lease queue or the lease heap.
    private bool HoldsOutboxLease(OutboxEntry entry) => _outboxLeaseQueue.Contains(entry) || _outboxLeases.Contains(entry);

    // Adds the lease of an entry that holds none, its expiry set: to the queue when it expires no earlier than the
    // queue's newest (which keeps the queue sorted by expiry), else to the heap.
    private void AddOutboxLeaseLocked(OutboxEntry entry)
    {
        if (_outboxLeaseQueue.Last is { } last && entry.LeaseExpiresAt < last.LeaseExpiresAt)
        {
            _outboxLeases.Add(entry);
        }
        else
        {
            _outboxLeaseQueue.Enqueue(entry);
        }
    }

    // Removes the entry's lease if it holds one.
    private void RemoveOutboxLeaseLocked(OutboxEntry entry)
    {
        if (!_outboxLeaseQueue.Remove(entry))
        {
            _outboxLeases.Remove(entry);
        }
    }

    // The unleased message due first: the smaller of the heap's minimum and the queue's head by (DueAt, arrival).
    private OutboxEntry? NextDueLocked()
    {
        var queued = _outboxQueue.Count > 0 ? _outboxQueue.Peek() : null;
        var heaped = _outboxDue.Count > 0 ? _outboxDue.Min : null;
        if (queued is null || heaped is null)
        {
            return queued ?? heaped;
        }

        var byDue = queued.DueTicks.CompareTo(heaped.DueTicks);
        return byDue < 0 || (byDue == 0 && queued.Order < heaped.Order) ? queued : heaped;
    }

    // A pending message: the rendered message and what an OutboxMessage adds to it (its enrollment, due time and
    // attempts), kept as fields (an OutboxMessage record is built only when a claim returns the message: the engine's
    // sends are committed and handed over without one), and the store's own bookkeeping.
    private sealed class OutboxEntry(OutboundMessage message, Guid? enrollmentId, DateTimeOffset dueAt, int attempts) : IHeapNode
    {
        public const int DueSlot = 0;
        public const int LeaseSlot = 1;

        private int _dueIndex = -1;
        private int _leaseIndex = -1;

        // The lease expiry as UTC ticks (8 bytes, not a DateTimeOffset's 16): only ever compared as an instant.
        private long _leaseExpiresAt;

        // The due time as UTC ticks: ordered by the instant, given back with offset zero, as the SQL stores give it.
        private long _dueTicks = dueAt.UtcTicks;

        private readonly Guid _enrollmentId = enrollmentId ?? Guid.Empty;
        private readonly bool _hasEnrollment = enrollmentId.HasValue;

        public static readonly IComparer<OutboxEntry> ByDueAt = Comparer<OutboxEntry>.Create(static (x, y) =>
            x._dueTicks.CompareTo(y._dueTicks) is var c and not 0 ? c : x.Order.CompareTo(y.Order));

        public static readonly IComparer<OutboxEntry> ByLeaseExpiry = Comparer<OutboxEntry>.Create(static (x, y) =>
            x._leaseExpiresAt.CompareTo(y._leaseExpiresAt) is var c and not 0 ? c : x.Order.CompareTo(y.Order));

        public OutboundMessage Message { get; } = message;

        public Guid? EnrollmentId => _hasEnrollment ? _enrollmentId : null;

        // Never changed while the entry is in a heap or queue keyed on it.
        public DateTimeOffset DueAt
        {
            get => new(_dueTicks, TimeSpan.Zero);
            set => _dueTicks = value.UtcTicks;
        }

        public long DueTicks => _dueTicks;

        public int Attempts { get; set; } = attempts;

        // Arrival order, given when the commit places the entry (before that it is in no queue or heap).
        public long Order { get; set; }

        public string? LeaseOwner { get; set; }

        public DateTimeOffset LeaseExpiresAt
        {
            get => new(_leaseExpiresAt, TimeSpan.Zero);
            set => _leaseExpiresAt = value.UtcTicks;
        }

        /// <summary>The message as the outbox's contract returns it.</summary>
        public OutboxMessage ToRecord() => new(Message, EnrollmentId, DueAt, Attempts);

        public int GetHeapIndex(int slot) => slot == DueSlot ? _dueIndex : _leaseIndex;

        public void SetHeapIndex(int slot, int index)
        {
            if (slot == DueSlot)
            {
                _dueIndex = index;
            }
            else
            {
                _leaseIndex = index;
            }
        }
    }
}
