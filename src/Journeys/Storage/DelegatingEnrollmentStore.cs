using Journeys.Model;

namespace Journeys.Storage;

/// <summary>
/// An <see cref="IEnrollmentStore"/> that passes every call to another one, for decorators that observe or change a
/// few calls (metrics, tracing, fault injection in tests) and leave the rest alone, in the way
/// <see cref="System.Net.Http.DelegatingHandler"/> does for HTTP. Override only what the decorator changes.
/// </summary>
/// <param name="innerStore">The store every call goes to unless overridden.</param>
public abstract class DelegatingEnrollmentStore(IEnrollmentStore innerStore) : IEnrollmentStore
{
    /// <summary>The store every call goes to unless overridden.</summary>
    protected IEnrollmentStore InnerStore { get; } = innerStore ?? throw new ArgumentNullException(nameof(innerStore));

    /// <inheritdoc />
    public virtual ValueTask<IReadOnlyList<EnrollmentOutcome>> EnrollAsync(IReadOnlyList<EnrollmentRequest> requests, CancellationToken cancellationToken = default) =>
        InnerStore.EnrollAsync(requests, cancellationToken);

    /// <inheritdoc />
    /// <remarks>Passed to the inner store; a decorator that overrides <see cref="EnrollAsync"/> to change what is enrolled should override this too.</remarks>
    public virtual ValueTask<LeasedEnrollments> EnrollLeasedAsync(IReadOnlyList<EnrollmentRequest> requests, EnrollmentLease lease, CancellationToken cancellationToken = default) =>
        InnerStore.EnrollLeasedAsync(requests, lease, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<IReadOnlyList<WorkItem>> ClaimAsync(string owner, DateTimeOffset now, int maxItems, TimeSpan lease, CancellationToken cancellationToken = default) =>
        InnerStore.ClaimAsync(owner, now, maxItems, lease, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<IReadOnlyList<bool>> CommitAsync(string owner, IReadOnlyList<EnrollmentCheckpoint> checkpoints, OutboxHandoff? outboxHandoff, CancellationToken cancellationToken = default) =>
        InnerStore.CommitAsync(owner, checkpoints, outboxHandoff, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<IReadOnlyList<bool>> AddClicksAsync(IReadOnlyList<EnrollmentClick> clicks, CancellationToken cancellationToken = default) =>
        InnerStore.AddClicksAsync(clicks, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<IReadOnlyList<bool>> RenewLeasesAsync(string owner, IReadOnlyList<Guid> enrollmentIds, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default) =>
        InnerStore.RenewLeasesAsync(owner, enrollmentIds, now, lease, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<IReadOnlyList<bool>> ReleaseLeasesAsync(string owner, IReadOnlyList<Guid> enrollmentIds, CancellationToken cancellationToken = default) =>
        InnerStore.ReleaseLeasesAsync(owner, enrollmentIds, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask AppendEventsAsync(IReadOnlyList<CustomerEvent> events, CancellationToken cancellationToken = default) =>
        InnerStore.AppendEventsAsync(events, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<IReadOnlyList<long>> AppendNewEventsAsync(IReadOnlyList<CustomerEvent> events, DateTimeOffset now, DateTimeOffset idsSince, CancellationToken cancellationToken = default) =>
        InnerStore.AppendNewEventsAsync(events, now, idsSince, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<PublishedEvents?> PublishEventsAsync(
        IReadOnlyList<CustomerEvent> events, DateTimeOffset now, DateTimeOffset idsSince, IReadOnlyList<EventConsequence> consequences, EnrollmentLease? lease, CancellationToken cancellationToken = default) =>
        InnerStore.PublishEventsAsync(events, now, idsSince, consequences, lease, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<DateTimeOffset?> GetNextWakeAsync(CancellationToken cancellationToken = default) =>
        InnerStore.GetNextWakeAsync(cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<IReadOnlyList<Enrollment>> GetByCustomerAsync(string customerId, CancellationToken cancellationToken = default) =>
        InnerStore.GetByCustomerAsync(customerId, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<Enrollment?> GetAsync(string customerId, Guid enrollmentId, CancellationToken cancellationToken = default) =>
        InnerStore.GetAsync(customerId, enrollmentId, cancellationToken);

    /// <inheritdoc />
    public virtual IAsyncEnumerable<Enrollment> ListByJourneyAsync(string journeyId, int? version, CancellationToken cancellationToken = default) =>
        InnerStore.ListByJourneyAsync(journeyId, version, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<int> CancelAsync(string? journeyId, int? version, string? customerId, string reason, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        InnerStore.CancelAsync(journeyId, version, customerId, reason, now, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<int> PurgeEventsAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default) =>
        InnerStore.PurgeEventsAsync(olderThan, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<int> PurgeEndedAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default) =>
        InnerStore.PurgeEndedAsync(olderThan, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<int> EraseCustomerAsync(string customerId, CancellationToken cancellationToken = default) =>
        InnerStore.EraseCustomerAsync(customerId, cancellationToken);
}
