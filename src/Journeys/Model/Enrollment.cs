using System.Collections.Frozen;
using System.Collections.Immutable;

namespace Journeys.Model;

/// <summary>A customer's state in one journey version.</summary>
/// <param name="Id">The enrollment id.</param>
/// <param name="JourneyId">The journey.</param>
/// <param name="Version">The journey version it is pinned to.</param>
/// <param name="CustomerId">The customer.</param>
/// <param name="CurrentNodeId">The node it is at, or <see langword="null"/> once ended.</param>
/// <param name="Status">Its status.</param>
/// <param name="WakeAt">When its timer fires, while waiting on one.</param>
/// <param name="AwaitedEvent">The event it waits for, while waiting on one.</param>
/// <param name="Visit">How many node visits it has made; part of idempotency keys.</param>
/// <param name="EnteredAt">When it entered.</param>
/// <param name="UpdatedAt">When it last changed.</param>
/// <param name="ConcurrencyToken">Changes with every committed change; a stale token is refused.</param>
public sealed record Enrollment(
    Guid Id,
    string JourneyId,
    int Version,
    string CustomerId,
    string? CurrentNodeId,
    EnrollmentStatus Status,
    DateTimeOffset? WakeAt,
    string? AwaitedEvent,
    int Visit,
    DateTimeOffset EnteredAt,
    DateTimeOffset UpdatedAt,
    long ConcurrencyToken)
{
    /// <summary>True when the enrollment has ended (completed, converted, exited, failed or cancelled).</summary>
    public bool IsEnded => Status is not (EnrollmentStatus.Active or EnrollmentStatus.Waiting);
}
