using Journeys.Storage;

namespace Journeys.Runtime;

/// <summary>
/// Keeps a stop a stop in this process. An entry (<see cref="IJourneyManager.EnrollAsync"/>, customers put or events
/// published, the engine's filter re-check, an activation's or a sending's pass) reads its journey as active, then
/// creates enrollments: a stop whose cancel ran in between does not see them. <see cref="CancelEntriesOfStoppedAsync"/>
/// reads each journey again after the create and cancels what was created in one no longer active. A stop saves the
/// stopped status before it cancels, so either that read sees the stop, or the stop's cancel runs after the create and
/// takes the enrollments itself: on every store and across hosts sharing one, as long as the journey store's reads
/// see what was saved before them. The same check, for entries that found their customers in the store, cancels what
/// was created for a customer deleted meanwhile (a deleted customer is never sent to).
/// </summary>
/// <remarks>
/// Every cancel made through this process (<see cref="CancelAsync"/>) also advances <see cref="Withdrawals"/>: the
/// engine's dispatcher then checks with the store, before sending, that the messages it took before the cancel
/// (handed over by a commit or claimed) are still there (a cancel deletes its messages from the store, not from the
/// dispatcher's queue). One counter read per batch otherwise.
/// </remarks>
internal sealed class JourneyStopGuard(IJourneyStore journeys, CompiledJourneyCache compiled, IEnrollmentStore enrollments, ICustomerStore customers, TimeProvider time) : IDisposable
{
    /// <summary>The end reason of enrollments cancelled because their customer was deleted.</summary>
    public const string CustomerDeletedReason = "customer deleted";

    private long _withdrawals;

    /// <summary>Orders this process's entries after the activations of new versions that returned before them (<see cref="EntryGate"/>).</summary>
    public EntryGate Entries { get; } = new();

    /// <summary>Lets one activation at a time in this process read a journey and save it active (<see cref="ActivationLock"/>).</summary>
    public ActivationLock Activations { get; } = new();

    /// <inheritdoc />
    public void Dispose()
    {
        Entries.Dispose();
        Activations.Dispose();
    }

    /// <summary>How many cancels (and engine commits with a conversion, which withdraw too) this process has made; read by the dispatcher before it takes messages.</summary>
    public long Withdrawals => Volatile.Read(ref _withdrawals);

    /// <summary>
    /// <see cref="IEnrollmentStore.CancelAsync"/>, then tells the dispatcher that messages it holds may be gone.
    /// </summary>
    /// <param name="journeyId">The journey, or <see langword="null"/> for every journey.</param>
    /// <param name="version">The version, or <see langword="null"/> for all.</param>
    /// <param name="customerId">Only this customer's enrollments, or <see langword="null"/> for all customers.</param>
    /// <param name="reason">Recorded as the end reason.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many enrollments were cancelled.</returns>
    public async ValueTask<int> CancelAsync(string? journeyId, int? version, string? customerId, string reason, CancellationToken cancellationToken)
    {
        try
        {
            return await enrollments.CancelAsync(journeyId, version, customerId, reason, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Also after a failure: the store may have applied the cancel before the failure reached here.
            NoteWithdrawal();
        }
    }

    /// <summary>A cancel ran (here, or on another host that shares the store): advances <see cref="Withdrawals"/>.</summary>
    public void NoteWithdrawal() => Interlocked.Increment(ref _withdrawals);

    /// <summary>
    /// Cancels the enrollments just created by <paramref name="requests"/> (<paramref name="outcomes"/>, in order)
    /// whose journey has no active version any more (stopped, archived or deleted after the entry read it active), as
    /// the stop would have cancelled them. One journey read per journey with created enrollments.
    /// <para>
    /// With <paramref name="customersMustExist"/>, also those whose customer no longer exists: for an entry that found
    /// the customer in the store (an audience scan, a filter re-check, a sending's checked list, customers just put)
    /// while a deletion ran before the create. Not for an entry by id (<see cref="IJourneyManager.EnrollAsync"/>, a
    /// published event), which may enroll customers the store never had. One batched customer read. A deletion saves
    /// nothing an entry could see before it cancels, so <see cref="Journeys.Audiences.IAudienceManager.DeleteCustomerAsync"/>
    /// cancels again once the record is gone: either this read sees the record gone, or that second cancel runs after
    /// the create and takes the enrollments.
    /// </para>
    /// </summary>
    /// <param name="requests">The entries.</param>
    /// <param name="outcomes">Their outcomes, in order.</param>
    /// <param name="reason">The end reason of what is cancelled because its journey stopped.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <param name="customersMustExist">Whether a created enrollment whose customer is gone is cancelled too (end reason <see cref="CustomerDeletedReason"/>).</param>
    /// <returns>How many of the created enrollments were cancelled (with their messages): in a journey no longer active (<see cref="CancelledEntries.Stopped"/>), and, of the others, of a customer deleted (<see cref="CancelledEntries.Deleted"/>).</returns>
    public async ValueTask<CancelledEntries> CancelEntriesOfStoppedAsync(IReadOnlyList<EnrollmentRequest> requests, IReadOnlyList<EnrollmentOutcome> outcomes, string reason, CancellationToken cancellationToken, bool customersMustExist = false)
    {
        List<int>? kept = null;
        // The usual call has one journey: read into locals, a dictionary only from the second journey on.
        string? firstId = null;
        var firstStopped = false;
        Dictionary<string, bool>? others = null;
        var cancelled = 0;
        for (var i = 0; i < outcomes.Count; i++)
        {
            if (outcomes[i].Kind != EnrollmentOutcomeKind.Created)
            {
                continue;
            }

            // Read through EnrollmentBatch's helpers: an activation's batch builds no request record for them.
            var journeyId = EnrollmentBatch.JourneyIdOf(requests, i);
            bool isStopped;
            if (firstId is null)
            {
                firstId = journeyId;
                isStopped = firstStopped = await ActiveVersionAsync(firstId, cancellationToken).ConfigureAwait(false) is null;
            }
            else if (string.Equals(firstId, journeyId, StringComparison.Ordinal))
            {
                isStopped = firstStopped;
            }
            else if (!(others ??= new(StringComparer.Ordinal)).TryGetValue(journeyId, out isStopped))
            {
                others[journeyId] = isStopped = await ActiveVersionAsync(journeyId, cancellationToken).ConfigureAwait(false) is null;
            }

            if (isStopped)
            {
                // A customer has at most one active enrollment in a journey: this one (a drained stop keeps the others).
                // It may have ended already (a send at the end of its path): its messages still go.
                await CancelAsync(journeyId, EnrollmentBatch.VersionOf(requests, i), EnrollmentBatch.CustomerIdOf(requests, i), reason, cancellationToken).ConfigureAwait(false);
                cancelled++;
            }
            else if (customersMustExist)
            {
                (kept ??= []).Add(i);
            }
        }

        return new(cancelled, kept is null ? 0 : await CancelEntriesOfDeletedCustomersAsync(requests, kept, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// The customer half of <see cref="CancelEntriesOfStoppedAsync"/> (with <c>customersMustExist</c>), for an entry
    /// that checks its journey its own way: cancels the enrollments just created whose customer no longer exists.
    /// </summary>
    /// <param name="requests">The entries.</param>
    /// <param name="outcomes">Their outcomes, in order.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many were cancelled (end reason <see cref="CustomerDeletedReason"/>).</returns>
    public ValueTask<int> CancelEntriesOfDeletedCustomersAsync(IReadOnlyList<EnrollmentRequest> requests, IReadOnlyList<EnrollmentOutcome> outcomes, CancellationToken cancellationToken)
    {
        List<int>? created = null;
        for (var i = 0; i < outcomes.Count; i++)
        {
            if (outcomes[i].Kind == EnrollmentOutcomeKind.Created)
            {
                (created ??= new List<int>(outcomes.Count)).Add(i);
            }
        }

        return created is null ? ValueTask.FromResult(0) : CancelEntriesOfDeletedCustomersAsync(requests, created, cancellationToken);
    }

    /// <summary>Cancels the created entries at <paramref name="created"/> whose customer the store no longer has; how many.</summary>
    private async ValueTask<int> CancelEntriesOfDeletedCustomersAsync(IReadOnlyList<EnrollmentRequest> requests, List<int> created, CancellationToken cancellationToken)
    {
        var ids = new string[created.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = EnrollmentBatch.CustomerIdOf(requests, created[i]);
        }

        var found = await customers.GetManyAsync(ids, cancellationToken).ConfigureAwait(false);
        var cancelled = 0;
        for (var i = 0; i < ids.Length; i++)
        {
            if (found[i] is null)
            {
                await CancelAsync(EnrollmentBatch.JourneyIdOf(requests, created[i]), EnrollmentBatch.VersionOf(requests, created[i]), ids[i], CustomerDeletedReason, cancellationToken).ConfigureAwait(false);
                cancelled++;
            }
        }

        return cancelled;
    }

    /// <summary>The journey's active version now, or <see langword="null"/> when none is (stopped, archived, deleted, never activated).</summary>
    /// <param name="journeyId">The journey.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<int?> ActiveVersionAsync(string journeyId, CancellationToken cancellationToken)
    {
        var record = await journeys.GetAsync(journeyId, cancellationToken).ConfigureAwait(false);
        return record is null ? null : (await compiled.FindActiveAsync(record, cancellationToken).ConfigureAwait(false))?.Version;
    }
}

/// <summary>What <see cref="JourneyStopGuard.CancelEntriesOfStoppedAsync"/> cancelled of the enrollments an entry created.</summary>
/// <param name="Stopped">Those in a journey no longer active.</param>
/// <param name="Deleted">Those, of the others, whose customer was deleted.</param>
internal readonly record struct CancelledEntries(int Stopped, int Deleted)
{
    /// <summary>All of them.</summary>
    public int Total => Stopped + Deleted;
}
