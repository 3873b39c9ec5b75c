using Journeys.Model;

namespace Journeys.Storage;

/// <summary>
/// The engine's work: enrollments, their timers and events, committed in batches. Every per-customer row carries the
/// customer id so a store can be partitioned by customer. Several engines (hosts) may share one store: work is
/// claimed with an expiring lease, and a commit from an owner whose lease expired or whose concurrency token is
/// stale is refused for that enrollment, so a step is never applied twice.
/// </summary>
public interface IEnrollmentStore
{
    /// <summary>
    /// Creates enrollments at their journey's start node, each atomically checked against the entry rules: never two
    /// active enrollments of one customer in one journey (whatever the version), re-entry (never / after exit / after
    /// a cooldown since the last end) and the entry cap (enrollments of the journey, all versions).
    /// </summary>
    /// <param name="requests">The entries; a request for a customer who is already in the batch counts as a duplicate.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One outcome per request, in order.</returns>
    ValueTask<IReadOnlyList<EnrollmentOutcome>> EnrollAsync(IReadOnlyList<EnrollmentRequest> requests, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates enrollments exactly as <see cref="EnrollAsync"/> does (same checks, same outcomes, nothing written on bad
    /// input) and writes up to <see cref="EnrollmentLease.MaxItems"/> of the created ones, the first in request order,
    /// already leased to <see cref="EnrollmentLease.Owner"/> until <see cref="EnrollmentLease.ExpiresAt"/>, as if that owner
    /// had claimed them at <see cref="EnrollmentLease.Now"/>: no other owner claims them before the lease expires, any owner
    /// may after; the owner renews them with <see cref="RenewLeasesAsync"/> and commits them with <see cref="CommitAsync"/>.
    /// The rest are created unleased, for <see cref="ClaimAsync"/>. Saves the enrolling engine a claim (one write and one
    /// read) per created enrollment.
    /// </summary>
    /// <remarks>
    /// Optional: the default implementation calls <see cref="EnrollAsync"/> and leases none, so a store without the
    /// feature stays correct (the engine then claims the new enrollments as before). A store that implements it must create
    /// and lease in one atomic step.
    /// </remarks>
    /// <param name="requests">The entries; a request for a customer who is already in the batch counts as a duplicate.</param>
    /// <param name="lease">The owner, clock reading, duration and most items of the leases.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One outcome per request, in order, and the enrollments created leased.</returns>
    async ValueTask<LeasedEnrollments> EnrollLeasedAsync(IReadOnlyList<EnrollmentRequest> requests, EnrollmentLease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var outcomes = await EnrollAsync(requests, cancellationToken).ConfigureAwait(false);
        return new LeasedEnrollments(outcomes, []);
    }

    /// <summary>
    /// Claims up to <paramref name="maxItems"/> enrollments that are ready: active (new or moving), waiting with a due
    /// timer, or waiting with a customer event among their <see cref="Enrollment.WakeEvents"/> newer than their
    /// <see cref="Enrollment.EventCursor"/>. Each is leased to <paramref name="owner"/> until now + <paramref name="lease"/>;
    /// enrollments leased to another owner whose lease has not expired are skipped.
    /// </summary>
    /// <param name="owner">The claiming engine's id.</param>
    /// <param name="now">The current time.</param>
    /// <param name="maxItems">The most to claim.</param>
    /// <param name="lease">How long the claim holds.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>
    /// The claimed work, with the customer's retained events newer than each enrollment's cursor, in order, and the
    /// retained ones at or before it that refer to the enrollment's own messages (<see cref="WorkItem.EarlierFeedback"/>).
    /// </returns>
    ValueTask<IReadOnlyList<WorkItem>> ClaimAsync(string owner, DateTimeOffset now, int maxItems, TimeSpan lease, CancellationToken cancellationToken = default);

    /// <summary>
    /// Commits a batch of checkpoints. Each checkpoint is applied whole (new state, outbox messages, customer field
    /// updates, statistic deltas; lease released) or not at all: it is refused when the stored token differs from
    /// <see cref="EnrollmentCheckpoint.ExpectedToken"/> or the lease is no longer <paramref name="owner"/>'s. The state's
    /// <see cref="Enrollment.Clicks"/> is ignored: the stored counter is kept (see <see cref="AddClicksAsync"/>).
    /// Outbox messages are written unleased, for any dispatcher to claim (<see cref="IOutboxStore.ClaimAsync"/>), except
    /// with an <paramref name="outboxHandoff"/>: then the applied checkpoints' messages it covers
    /// (<see cref="OutboxHandoff.Covers"/>) are written leased to <paramref name="owner"/> until
    /// <see cref="OutboxHandoff.ExpiresAt"/>, exactly as if <paramref name="owner"/> had claimed them at
    /// <see cref="OutboxHandoff.Now"/> (renewed with <see cref="IOutboxStore.RenewLeasesAsync"/>, settled with
    /// <see cref="IOutboxStore.CompleteAsync"/>, claimable by anyone once the lease expires), with no further write.
    /// An applied checkpoint whose state is <see cref="EnrollmentStatus.Converted"/> (a goal event) also withdraws, in the
    /// same atomic step, its enrollment's outbox messages written before this call (the set <see cref="CancelAsync"/>
    /// takes: pending, held, leased; a dispatcher's late result for one is ignored), each adding 1 to
    /// <see cref="StatisticCounter.Withdrawn"/> at its node; the checkpoint's own messages are written as given. No other
    /// end withdraws anything. An applied checkpoint that names nodes in <see cref="EnrollmentCheckpoint.WithdrawNodeIds"/>
    /// (a retargeting node left by its conversion event) withdraws the same way those of its enrollment's messages written
    /// before this call that were made at those nodes, and no others. A store that counts the calls that withdrew anything
    /// implements <see cref="IWithdrawalCounter"/>.
    /// </summary>
    /// <param name="owner">The engine that claimed the work.</param>
    /// <param name="checkpoints">The checkpoints.</param>
    /// <param name="outboxHandoff">Whether, and until when, the due outbox messages are leased to <paramref name="owner"/> as they are written; <see langword="null"/> for none.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>For each checkpoint, in order, whether it was applied.</returns>
    ValueTask<IReadOnlyList<bool>> CommitAsync(string owner, IReadOnlyList<EnrollmentCheckpoint> checkpoints, OutboxHandoff? outboxHandoff, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds one to <see cref="Enrollment.Clicks"/> of the named enrollment for each click, whatever its status (running,
    /// waiting or ended), atomically with respect to commits: the counter belongs to the store, a commit never writes it,
    /// so a click is neither lost nor counted twice when it races a commit of the same enrollment. A click whose
    /// enrollment does not exist, or belongs to another customer, changes nothing. A click named twice counts twice.
    /// </summary>
    /// <param name="clicks">The clicks.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>For each click, in order, whether its enrollment was found and counted it.</returns>
    ValueTask<IReadOnlyList<bool>> AddClicksAsync(IReadOnlyList<EnrollmentClick> clicks, CancellationToken cancellationToken = default);

    /// <summary>
    /// Extends the leases that <paramref name="owner"/> still holds on claimed enrollments it has not committed yet
    /// (a slow batch), so no other owner claims them meanwhile. A lease is held when it was taken by
    /// <paramref name="owner"/>, has not been released (by a commit or a cancellation) and has not expired
    /// (its expiry is after <paramref name="now"/>); a held lease then runs until now + <paramref name="lease"/> at the
    /// earliest (a renewal never shortens it). Any other lease is left as it is and reported as not held.
    /// </summary>
    /// <param name="owner">The engine that claimed the work.</param>
    /// <param name="enrollmentIds">The enrollments to renew.</param>
    /// <param name="now">The current time.</param>
    /// <param name="lease">How long the renewed claim holds from <paramref name="now"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>For each id, in order, whether the lease was still <paramref name="owner"/>'s and was renewed.</returns>
    ValueTask<IReadOnlyList<bool>> RenewLeasesAsync(string owner, IReadOnlyList<Guid> enrollmentIds, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default);

    /// <summary>
    /// Gives back the leases that <paramref name="owner"/> still holds on claimed enrollments it has not committed (an
    /// engine stopping gracefully hands back the work it claimed and will not do), as if they had expired now: any
    /// owner's next claim may take them, without waiting for the lease to run out. A lease is held as for
    /// <see cref="RenewLeasesAsync"/>, except that one already expired (and not claimed by anyone since) is given back
    /// too. Any other lease, and an enrollment committed or cancelled since its claim, is left as it is and reported
    /// as not released. As after an expiry, the owner's own late commit is still accepted until someone else claims
    /// the enrollment (its concurrency token still guards against a second commit).
    /// </summary>
    /// <remarks>
    /// Optional: the default implementation releases nothing, so a store without the feature stays correct (the
    /// engine's unfinished work then waits for its leases to expire, <see cref="Runtime.JourneysOptions.LeaseDuration"/>,
    /// as after a crash). A store that implements it should wake the other hosts that wait for work.
    /// </remarks>
    /// <param name="owner">The engine that claimed the work.</param>
    /// <param name="enrollmentIds">The enrollments to give back.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>For each id, in order, whether its lease was <paramref name="owner"/>'s and is released.</returns>
    ValueTask<IReadOnlyList<bool>> ReleaseLeasesAsync(string owner, IReadOnlyList<Guid> enrollmentIds, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(enrollmentIds);
        return ValueTask.FromResult<IReadOnlyList<bool>>(new bool[enrollmentIds.Count]);
    }

    /// <summary>Appends customer events to each customer's inbox (assigning increasing sequence numbers), waking the enrollments that wait for them.</summary>
    /// <param name="events">The events.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask AppendEventsAsync(IReadOnlyList<CustomerEvent> events, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends customer events as <see cref="AppendEventsAsync(IReadOnlyList{CustomerEvent}, CancellationToken)"/> does,
    /// except an event whose <see cref="CustomerEvent.Id"/> the store recorded for the same customer at or after
    /// <paramref name="idsSince"/> (in an earlier call or earlier in this one): that one is a retried publish and is not
    /// appended. The check and the append are one atomic step, so of two concurrent appends of one id exactly one appends
    /// it. An appended event with an id records the id at <paramref name="now"/> (a recorded id older than
    /// <paramref name="idsSince"/> is replaced). Events without an id are always appended.
    /// </summary>
    /// <remarks>
    /// The default implementation appends with <see cref="AppendEventsAsync(IReadOnlyList{CustomerEvent}, CancellationToken)"/>
    /// and reports -1 (appended, sequence not known) for each event; it refuses events with an id
    /// (<see cref="NotSupportedException"/>, nothing appended), as it cannot find duplicates.
    /// </remarks>
    /// <param name="events">The events.</param>
    /// <param name="now">The time the ids of appended events are recorded at.</param>
    /// <param name="idsSince">The oldest recorded id that still makes an event a duplicate.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>For each event, in order: its sequence number when appended, 0 when it was not (a duplicate id).</returns>
    async ValueTask<IReadOnlyList<long>> AppendNewEventsAsync(IReadOnlyList<CustomerEvent> events, DateTimeOffset now, DateTimeOffset idsSince, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        foreach (var customerEvent in events)
        {
            if (customerEvent?.Id is not null)
            {
                throw new NotSupportedException($"{GetType().Name} does not find duplicate event ids: an event with an id cannot be appended (nothing was).");
            }
        }

        await AppendEventsAsync(events, cancellationToken).ConfigureAwait(false);
        var sequences = new long[events.Count];
        Array.Fill(sequences, -1L);
        return sequences;
    }

    /// <summary>
    /// Appends customer events as <see cref="AppendNewEventsAsync(IReadOnlyList{CustomerEvent}, DateTimeOffset, DateTimeOffset, CancellationToken)"/>
    /// does and, in the same atomic step, makes what each appended event causes: its entries (enrolled as
    /// <see cref="EnrollAsync"/> does, after the call's events, each with its <see cref="EnrollmentRequest.EventCursor"/> at
    /// its event's sequence number; with a <paramref name="lease"/>, the first <see cref="EnrollmentLease.MaxItems"/> created
    /// leased as <see cref="EnrollLeasedAsync"/> leases them), its feedback statistics and its clicks (counted as
    /// <see cref="AddClicksAsync"/> does).
    /// The consequences of an event not appended (a duplicate id) are not made. So a publish that fails is either whole
    /// or absent: a retry with the same ids makes what the failed call did not, and nothing twice.
    /// </summary>
    /// <remarks>
    /// Optional: the default implementation writes nothing and returns <see langword="null"/>; the caller then appends,
    /// enrolls and counts in separate calls, and a call that fails between them leaves the rest undone for good (a retry
    /// finds the ids recorded).
    /// </remarks>
    /// <param name="events">The events.</param>
    /// <param name="now">The time the ids of appended events are recorded at.</param>
    /// <param name="idsSince">The oldest recorded id that still makes an event a duplicate.</param>
    /// <param name="consequences">What the events cause, each naming its event by index.</param>
    /// <param name="lease">Whether, and to whom, created entries are leased as they are written; <see langword="null"/> for none.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The sequences, entry outcomes and leased entries, or <see langword="null"/> when the store does not support the atomic step (nothing written).</returns>
    /// <exception cref="ArgumentException">An event, or a consequence or its entry request, is null or incomplete, names an event out of range, or an entry's enrollment id is already used (nothing is written).</exception>
    ValueTask<PublishedEvents?> PublishEventsAsync(
        IReadOnlyList<CustomerEvent> events, DateTimeOffset now, DateTimeOffset idsSince, IReadOnlyList<EventConsequence> consequences, EnrollmentLease? lease, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<PublishedEvents?>(null);

    /// <summary>The earliest timer of a waiting enrollment, or <see langword="null"/> when none waits on a timer.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<DateTimeOffset?> GetNextWakeAsync(CancellationToken cancellationToken = default);

    /// <summary>A customer's enrollments in every journey (active and ended), newest first.</summary>
    /// <param name="customerId">The customer id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<Enrollment>> GetByCustomerAsync(string customerId, CancellationToken cancellationToken = default);

    /// <summary>
    /// One enrollment of a customer (active or ended), or <see langword="null"/> when the customer has none with that id:
    /// what a feedback event (delivered, opened, clicked) reads for the message id it carries. A durable store answers
    /// from its primary key, whatever else the customer has (a sending leaves one enrollment per customer it reached).
    /// </summary>
    /// <remarks>
    /// Optional: the default implementation reads <see cref="GetByCustomerAsync"/> and picks the id, which is correct,
    /// and costs the customer's whole history.
    /// </remarks>
    /// <param name="customerId">The customer id.</param>
    /// <param name="enrollmentId">The enrollment id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    async ValueTask<Enrollment?> GetAsync(string customerId, Guid enrollmentId, CancellationToken cancellationToken = default)
    {
        foreach (var enrollment in await GetByCustomerAsync(customerId, cancellationToken).ConfigureAwait(false))
        {
            if (enrollment.Id == enrollmentId)
            {
                return enrollment;
            }
        }

        return null;
    }

    /// <summary>
    /// The enrollments of a journey (one version, or every version when <paramref name="version"/> is null), active and
    /// ended, ordered by customer id (ordinal) and then by entry time: the read side of per-customer exports. Streamed, so a
    /// journey with millions of enrollments is read in constant memory by a durable store.
    /// </summary>
    /// <param name="journeyId">The journey.</param>
    /// <param name="version">The version, or <see langword="null"/> for every version.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    IAsyncEnumerable<Enrollment> ListByJourneyAsync(string journeyId, int? version, CancellationToken cancellationToken = default);

    /// <summary>
    /// Cancels the active and waiting enrollments of a journey (one version, or all when <paramref name="version"/> is
    /// null), or of a customer when <paramref name="customerId"/> is given, and removes the outbox messages matching the
    /// same filters (by the message's journey, version and customer), atomically with the cancellation: a failed call
    /// changes neither.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The messages go whether their enrollment is cancelled by this call or ended already (a send at the end of a path
    /// completes its enrollment in the commit that queues the message): pending ones, ones held for quiet hours, a retry
    /// or an open circuit, and ones leased to a dispatcher. A message a dispatcher already holds (claimed, or handed over
    /// by its commit) may still go out; its result is then ignored like any result for a message that is gone, so it
    /// neither fails nor comes back. Each removed message adds 1 to the Cancelled counter of its node (not of the journey
    /// version, which counts enrollments), unless its enrollment is cancelled by this call while at that same node
    /// (which counts there already).
    /// </para>
    /// </remarks>
    /// <param name="journeyId">The journey, or <see langword="null"/> for every journey.</param>
    /// <param name="version">The version, or <see langword="null"/> for all.</param>
    /// <param name="customerId">Only this customer's enrollments, or <see langword="null"/> for all customers.</param>
    /// <param name="reason">Recorded as the end reason.</param>
    /// <param name="now">The current time.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many were cancelled.</returns>
    ValueTask<int> CancelAsync(string? journeyId, int? version, string? customerId, string reason, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes retained customer events older than <paramref name="olderThan"/> that every enrollment has seen, and the
    /// event ids recorded before <paramref name="olderThan"/> (an event published again with such an id is new again).
    /// </summary>
    /// <param name="olderThan">The cut-off time.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many were deleted.</returns>
    ValueTask<int> PurgeEventsAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes ended enrollments (completed, converted, exited, failed, cancelled) last changed before
    /// <paramref name="olderThan"/>, except the latest ended one of each customer in each journey (by
    /// <see cref="Enrollment.UpdatedAt"/>, then id): the entry rules read its end (<see cref="ReEntryMode.Never"/>,
    /// <see cref="ReEntryMode.AfterCooldown"/>: <see cref="EntryRuleChecks"/>), so entries decide as before. An active or
    /// waiting enrollment is never deleted, nor counted entries (entry caps). Deleted enrollments are gone from
    /// <see cref="GetByCustomerAsync"/> and from exports, and a late click or withdrawal of one counts nowhere.
    /// </summary>
    /// <remarks>
    /// Optional: the default implementation deletes nothing (and returns 0), so a store without the feature stays
    /// correct and keeps every enrollment. A store may delete in several steps (short write transactions); one that fails
    /// midway leaves whole enrollments, each deleted or kept.
    /// </remarks>
    /// <param name="olderThan">The cut-off time.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many were deleted.</returns>
    ValueTask<int> PurgeEndedAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(0);
    }

    /// <summary>
    /// The store's part of erasing a customer (<see cref="Audiences.IAudienceManager.EraseCustomerAsync"/>): deletes every
    /// ended enrollment of <paramref name="customerId"/> (the latest of each journey included: the customer is forgotten,
    /// so the re-entry rules no longer see them), the customer's retained events that no live enrollment of theirs still
    /// has to read (all of them when none is live), and the ids of their published events. A live enrollment is left
    /// (cancel it first, <see cref="CancelAsync"/>), as is one still leased or queued. The journeys' entry counts (caps) and
    /// the statistics, which hold no customer, are kept.
    /// </summary>
    /// <remarks>
    /// Optional, but never silently: the default implementation throws <see cref="NotSupportedException"/>, so a store
    /// without the feature cannot make an erasure look done.
    /// </remarks>
    /// <param name="customerId">The customer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many enrollments were deleted.</returns>
    /// <exception cref="NotSupportedException">The store does not erase customers.</exception>
    ValueTask<int> EraseCustomerAsync(string customerId, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"{GetType().Name} does not erase customers (IEnrollmentStore.EraseCustomerAsync).");
}
