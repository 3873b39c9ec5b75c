using Journeys.Model;

namespace Journeys.Storage;

/// <summary>The outcome of one enrollment request.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="EnrollmentId">The created enrollment, or the active one that made it a duplicate.</param>
public readonly record struct EnrollmentOutcome(EnrollmentOutcomeKind Kind, Guid? EnrollmentId);
