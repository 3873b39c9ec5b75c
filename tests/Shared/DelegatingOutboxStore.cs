using Journeys.Storage;

namespace Journeys.Tests.Shared;

/// <summary>
/// An outbox store that passes every call to another (compiled into both test projects): a test's decorator overrides
/// only what it watches or changes, as <see cref="DelegatingEnrollmentStore"/> does for enrollments.
/// </summary>
internal abstract class DelegatingOutboxStore(IOutboxStore inner) : IOutboxStore
{
    /// <summary>The store every call goes to unless overridden.</summary>
    protected IOutboxStore InnerStore { get; } = inner;

    public virtual ValueTask<IReadOnlyList<OutboxMessage>> ClaimAsync(string owner, DateTimeOffset now, int maxItems, TimeSpan lease, CancellationToken cancellationToken = default) =>
        InnerStore.ClaimAsync(owner, now, maxItems, lease, cancellationToken);

    public virtual ValueTask CompleteAsync(string owner, IReadOnlyList<OutboxResult> results, CancellationToken cancellationToken = default) =>
        InnerStore.CompleteAsync(owner, results, cancellationToken);

    public virtual ValueTask<IReadOnlyList<bool>> RenewLeasesAsync(string owner, IReadOnlyList<string> messageIds, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default) =>
        InnerStore.RenewLeasesAsync(owner, messageIds, now, lease, cancellationToken);

    public virtual ValueTask<DateTimeOffset?> GetNextDueAsync(CancellationToken cancellationToken = default) => InnerStore.GetNextDueAsync(cancellationToken);
}
