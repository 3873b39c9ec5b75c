using Journeys.Model;

namespace Journeys.Storage;

/// <summary>A request to enroll one customer into one journey version.</summary>
/// <param name="EnrollmentId">The id the enrollment gets when created.</param>
/// <param name="JourneyId">The journey.</param>
/// <param name="Version">The version to pin the enrollment to.</param>
/// <param name="CustomerId">The customer.</param>
/// <param name="StartNodeId">The journey's start node.</param>
/// <param name="At">The entry time.</param>
/// <param name="Rules">The journey's entry rules.</param>
/// <param name="WakeEvents">The journey's goal events (so a goal reached before the first step is not missed).</param>
public sealed record EnrollmentRequest(
    Guid EnrollmentId,
    string JourneyId,
    int Version,
    string CustomerId,
    string StartNodeId,
    DateTimeOffset At,
    EntryRules Rules,
    EquatableArray<string> WakeEvents)
{
    /// <summary>
    /// The sequence number of the event that made the customer enter, or <see langword="null"/>: the enrollment's
    /// <see cref="Enrollment.EventCursor"/> starts there (the customer's later events reach it, also ones another call
    /// appended before this entry was made) instead of at the customer's latest event. Never above the latest.
    /// </summary>
    public long? EventCursor { get; init; }
}
