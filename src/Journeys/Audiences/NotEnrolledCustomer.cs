using Journeys.Storage;

namespace Journeys.Audiences;

/// <summary>A customer of a list entry who was not enrolled, and why.</summary>
/// <param name="CustomerId">The customer.</param>
/// <param name="Reason">Why: already in the journey (<see cref="EnrollmentOutcomeKind.DuplicateActive"/>, also for an id listed twice), re-entry refused, cap reached, outside the entry window.</param>
public sealed record NotEnrolledCustomer(string CustomerId, EnrollmentOutcomeKind Reason);
