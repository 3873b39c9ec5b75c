namespace Journeys.Storage;

/// <summary>
/// What never changes about an enrollment: its id, journey, version, customer and entry time. An <see cref="Model.Enrollment"/>
/// is one; so is the in-memory store's entry, which a claim (<see cref="ClaimedState"/>) refers to instead of copying.
/// </summary>
internal interface IEnrollmentIdentity
{
    Guid Id { get; }

    string JourneyId { get; }

    int Version { get; }

    string CustomerId { get; }

    DateTimeOffset EnteredAt { get; }
}
