namespace Journeys.Storage;

/// <summary>One click on a message of an enrollment, to add to its <see cref="Model.Enrollment.Clicks"/>.</summary>
/// <param name="CustomerId">The customer the click event came from; it must be the enrollment's customer.</param>
/// <param name="EnrollmentId">The enrollment whose message was clicked.</param>
public readonly record struct EnrollmentClick(string CustomerId, Guid EnrollmentId);
