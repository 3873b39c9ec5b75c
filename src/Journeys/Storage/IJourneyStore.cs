using Journeys.Model;

namespace Journeys.Storage;

/// <summary>
/// Journey definitions and their versions. A journey id has one or more versions; the latest is the one edited and
/// activated, older versions stay readable for the enrollments pinned to them. Writes are guarded by an ETag.
/// </summary>
public interface IJourneyStore
{
    /// <summary>
    /// Saves a journey version: creates the journey when <paramref name="expectedETag"/> is <see langword="null"/>,
    /// otherwise replaces its latest version or adds the next one (version = latest + 1), provided the latest
    /// version still has <paramref name="expectedETag"/>. In the same step it removes the journey's pending intake
    /// (<see cref="SaveIntakeAsync"/>) unless the saved version is the intake's and is active: a stop, an archive or a new
    /// version ends the intake, even one a host is running (its next claim fails).
    /// </summary>
    /// <param name="journey">The definition to save.</param>
    /// <param name="expectedETag">The ETag the caller read, or <see langword="null"/> to create.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The saved record with its new ETag.</returns>
    /// <exception cref="JourneyConcurrencyException">The journey exists (on create), does not exist, or changed since it was read; or the version is neither the latest nor the next.</exception>
    ValueTask<JourneyRecord> SaveAsync(JourneyDefinition journey, string? expectedETag, CancellationToken cancellationToken = default);

    /// <summary>
    /// Saves an active journey version and its audience's pending intake in one atomic step, both or neither: the journey
    /// as <see cref="SaveAsync"/> does (the same <paramref name="expectedETag"/> check), and <paramref name="intake"/> in
    /// place of the journey's earlier one, as <see cref="SaveIntakeAsync"/> does. A refused save (the journey changed since it was read) saves no intake either: of two hosts that
    /// activate a journey at once from one read, the one whose save succeeds has its intake pending, and the other
    /// changes nothing (the engine activates so).
    /// </summary>
    /// <remarks>
    /// The default implementation saves the intake (<see cref="SaveIntakeAsync"/>) and then the journey: not atomic, so
    /// it holds only for activations in one process (which the engine takes one at a time). A store that several hosts
    /// share must implement it as one step, with the ETag checked where the intake is written; the three stores of this
    /// library do.
    /// </remarks>
    /// <param name="journey">The definition to save: active, at <paramref name="intake"/>'s version.</param>
    /// <param name="expectedETag">The ETag the caller read, or <see langword="null"/> to create.</param>
    /// <param name="intake">The intake of the version's audience, with both or neither of <see cref="JourneyIntake.Owner"/> and <see cref="JourneyIntake.LeaseExpiresAt"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The saved record with its new ETag.</returns>
    /// <exception cref="ArgumentException">The journey is not active, or the intake is not its version's (<see cref="StoreArgumentChecks.IntakeOfJourney"/>).</exception>
    /// <exception cref="JourneyConcurrencyException">As <see cref="SaveAsync"/>; nothing was saved.</exception>
    async ValueTask<JourneyRecord> SaveWithIntakeAsync(JourneyDefinition journey, string? expectedETag, JourneyIntake intake, CancellationToken cancellationToken = default)
    {
        StoreArgumentChecks.IntakeOfJourney(journey, intake, nameof(intake));
        await SaveIntakeAsync(intake, cancellationToken).ConfigureAwait(false);
        return await SaveAsync(journey, expectedETag, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The latest version of a journey, or <see langword="null"/>.</summary>
    /// <param name="journeyId">The journey id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<JourneyRecord?> GetAsync(string journeyId, CancellationToken cancellationToken = default);

    /// <summary>One version of a journey, or <see langword="null"/>.</summary>
    /// <param name="journeyId">The journey id.</param>
    /// <param name="version">The version.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<JourneyRecord?> GetVersionAsync(string journeyId, int version, CancellationToken cancellationToken = default);

    /// <summary>The latest version of every journey, ordered by id.</summary>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    IAsyncEnumerable<JourneyRecord> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Saves a pending audience intake (<see cref="JourneyIntake"/>) in place of the journey's earlier one (a journey has
    /// at most one intake pending: its latest activation's), unclaimed, or claimed by its <see cref="JourneyIntake.Owner"/>
    /// until its <see cref="JourneyIntake.LeaseExpiresAt"/> when it has both (an activation that runs the intake itself
    /// saves it claimed, so no other host's runner takes it between the save and the run). Unconditional, whatever the
    /// journey's state: an activation saves its intake with the journey instead (<see cref="SaveWithIntakeAsync"/>), so
    /// that one whose save is refused does not replace the intake of the one whose save succeeded.
    /// </summary>
    /// <param name="intake">The intake, with both or neither of <see cref="JourneyIntake.Owner"/> and <see cref="JourneyIntake.LeaseExpiresAt"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask SaveIntakeAsync(JourneyIntake intake, CancellationToken cancellationToken = default);

    /// <summary>The pending intakes (saved and not completed), ordered by journey id, with their current claims.</summary>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    IAsyncEnumerable<JourneyIntake> ListIntakesAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims a pending intake for <paramref name="owner"/> until now + <paramref name="lease"/>, atomically: it is
    /// claimed when it is the journey's pending intake (same <paramref name="intakeId"/>) and nobody holds it (never
    /// claimed, claimed by <paramref name="owner"/>, or its lease expired at or before <paramref name="now"/>). The owner
    /// renews its claim by claiming again.
    /// </summary>
    /// <param name="journeyId">The journey.</param>
    /// <param name="intakeId">The intake's <see cref="JourneyIntake.Id"/>.</param>
    /// <param name="owner">The claiming host's id.</param>
    /// <param name="now">The current time.</param>
    /// <param name="lease">How long the claim holds.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The intake as it was before this claim (its <see cref="JourneyIntake.Owner"/> is not null when it was claimed before), or <see langword="null"/> when it was not claimed.</returns>
    ValueTask<JourneyIntake?> ClaimIntakeAsync(string journeyId, Guid intakeId, string owner, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default);

    /// <summary>Removes a pending intake that <paramref name="owner"/> claimed last: its audience has entered (or can no longer enter).</summary>
    /// <param name="journeyId">The journey.</param>
    /// <param name="intakeId">The intake's <see cref="JourneyIntake.Id"/>.</param>
    /// <param name="owner">The host that claimed it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>False when the journey has no such intake pending or another host claimed it since.</returns>
    ValueTask<bool> CompleteIntakeAsync(string journeyId, Guid intakeId, string owner, CancellationToken cancellationToken = default);

    /// <summary>
    /// Gives back a claim on a pending intake that <paramref name="owner"/> holds (a host stopping gracefully part-way
    /// through an audience), as if it had expired at <paramref name="now"/>: any host's next
    /// <see cref="ClaimIntakeAsync"/> at or after <paramref name="now"/> takes it, without waiting for the claim to run
    /// out. The owner stays recorded, so the host that takes it knows an earlier run made enrollments and skips them.
    /// Any other claim (another owner's, or an intake no longer pending) is left as it is.
    /// </summary>
    /// <remarks>
    /// Optional: the default implementation releases nothing, so a store without the feature stays correct (the intake
    /// then waits for its claim to expire, as after a crash). A store shared by several hosts should wake their intake
    /// runners, as a journey's save does.
    /// </remarks>
    /// <param name="journeyId">The journey.</param>
    /// <param name="intakeId">The intake's <see cref="JourneyIntake.Id"/>.</param>
    /// <param name="owner">The host that claimed it.</param>
    /// <param name="now">The current time: the claim's new expiry.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Whether the claim was <paramref name="owner"/>'s and is released.</returns>
    ValueTask<bool> ReleaseIntakeAsync(string journeyId, Guid intakeId, string owner, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(journeyId);
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        return ValueTask.FromResult(false);
    }

    /// <summary>Deletes a journey and all its versions (and its pending intake).</summary>
    /// <param name="journeyId">The journey id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>False when there was no such journey.</returns>
    ValueTask<bool> DeleteAsync(string journeyId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The journey store's part of erasing a customer (<see cref="Audiences.IAudienceManager.EraseCustomerAsync"/>): takes
    /// <paramref name="customerId"/> out of the customer list (<see cref="Model.CustomerListEntry"/>) of every stored
    /// version of every journey that names it (<see cref="JourneyDefinition.WithoutListedCustomer"/>), in place: the
    /// version keeps its number and status and gets a new ETag and <see cref="JourneyRecord.UpdatedAt"/>, so an edit of a
    /// journey read before is refused (<see cref="JourneyConcurrencyException"/>) instead of saving the id back. Nothing
    /// else changes: a pending intake of such a version then enrolls the list without the customer. A store shared by
    /// several hosts tells them, as a save does, so they forget what they compiled of those journeys.
    /// </summary>
    /// <remarks>
    /// Optional, but never silently: the default implementation throws <see cref="NotSupportedException"/>, so a store
    /// without the feature cannot make an erasure look done.
    /// </remarks>
    /// <param name="customerId">The customer id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The ids of the journeys with a version changed, in ordinal order; empty when no list named the customer.</returns>
    /// <exception cref="NotSupportedException">The store does not erase customers.</exception>
    ValueTask<IReadOnlyList<string>> EraseCustomerAsync(string customerId, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"{GetType().Name} does not erase customers (IJourneyStore.EraseCustomerAsync).");
}
