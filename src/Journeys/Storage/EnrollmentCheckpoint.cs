using Journeys.Model;

namespace Journeys.Storage;

/// <summary>The result of processing one claimed enrollment, committed atomically.</summary>
/// <param name="State">The new state (its <see cref="Enrollment.ConcurrencyToken"/> is ignored: the store assigns the next one).</param>
/// <param name="ExpectedToken">The token the enrollment had when claimed.</param>
/// <param name="Outbox">Messages to send after the commit.</param>
/// <param name="CustomerUpdates">Customer fields set by update nodes.</param>
/// <param name="Statistics">Counter deltas.</param>
public sealed record EnrollmentCheckpoint(
    Enrollment State,
    long ExpectedToken,
    IReadOnlyList<OutboxMessage> Outbox,
    IReadOnlyList<CustomerFieldUpdate> CustomerUpdates,
    IReadOnlyList<StatisticDelta> Statistics);
