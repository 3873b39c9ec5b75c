namespace Journeys.Storage;

/// <summary>What <see cref="IEnrollmentStore.EnrollLeasedAsync"/> did.</summary>
/// <param name="Outcomes">One outcome per request, in order, as <see cref="IEnrollmentStore.EnrollAsync"/> returns them.</param>
/// <param name="Leased">
/// The created enrollments written leased to the lease's owner, in request order, as a claim returns them (state as
/// stored, events newer than the cursor, lease expiry); empty when the store leases none (a store without the feature).
/// </param>
public sealed record LeasedEnrollments(IReadOnlyList<EnrollmentOutcome> Outcomes, IReadOnlyList<WorkItem> Leased);
