using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Journeys.Benchmarks;

/// <summary>
/// Counts the durable checkpoints the engine commits: a decorator over the registered <see cref="IEnrollmentStore"/>
/// that adds the applied checkpoints of every <see cref="IEnrollmentStore.CommitAsync"/> (refused ones are not counted).
/// </summary>
internal sealed class CheckpointCounter(IEnrollmentStore inner, CheckpointCounter.Tally tally) : IEnrollmentStore
{
    /// <summary>Replaces the <see cref="IEnrollmentStore"/> registration with this decorator around the registered store.</summary>
    public static void Decorate(IServiceCollection services, Tally tally)
    {
        var registered = services.LastOrDefault(d => d.ServiceType == typeof(IEnrollmentStore))
            ?? throw new InvalidOperationException("No IEnrollmentStore is registered: call AddJourneys first.");
        var factory = registered.ImplementationFactory
            ?? throw new InvalidOperationException("The IEnrollmentStore registration has no factory to decorate.");
        services.Replace(ServiceDescriptor.Singleton<IEnrollmentStore>(sp => new CheckpointCounter((IEnrollmentStore)factory(sp), tally)));
    }

    public async ValueTask<IReadOnlyList<bool>> CommitAsync(string owner, IReadOnlyList<EnrollmentCheckpoint> checkpoints, CancellationToken cancellationToken = default)
    {
        var applied = await inner.CommitAsync(owner, checkpoints, cancellationToken).ConfigureAwait(false);
        var count = 0;
        for (var i = 0; i < applied.Count; i++)
        {
            count += applied[i] ? 1 : 0;
        }

        tally.Add(count);
        return applied;
    }

    public ValueTask<IReadOnlyList<WorkItem>> ClaimAsync(string owner, DateTimeOffset now, int maxItems, TimeSpan lease, CancellationToken cancellationToken = default) =>
        inner.ClaimAsync(owner, now, maxItems, lease, cancellationToken);

    public ValueTask<IReadOnlyList<bool>> RenewLeasesAsync(string owner, IReadOnlyList<Guid> enrollmentIds, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default) =>
        inner.RenewLeasesAsync(owner, enrollmentIds, now, lease, cancellationToken);

    public ValueTask<IReadOnlyList<EnrollmentOutcome>> EnrollAsync(IReadOnlyList<EnrollmentRequest> requests, CancellationToken cancellationToken = default) =>
        inner.EnrollAsync(requests, cancellationToken);

    public ValueTask AppendEventsAsync(IReadOnlyList<Model.CustomerEvent> events, CancellationToken cancellationToken = default) =>
        inner.AppendEventsAsync(events, cancellationToken);

    public ValueTask<DateTimeOffset?> GetNextWakeAsync(CancellationToken cancellationToken = default) =>
        inner.GetNextWakeAsync(cancellationToken);

    public ValueTask<IReadOnlyList<Model.Enrollment>> GetByCustomerAsync(string customerId, CancellationToken cancellationToken = default) =>
        inner.GetByCustomerAsync(customerId, cancellationToken);

    public IAsyncEnumerable<Model.Enrollment> ListByJourneyAsync(string journeyId, int? version, CancellationToken cancellationToken = default) =>
        inner.ListByJourneyAsync(journeyId, version, cancellationToken);

    public ValueTask<int> CancelAsync(string? journeyId, int? version, string? customerId, string reason, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        inner.CancelAsync(journeyId, version, customerId, reason, now, cancellationToken);

    public ValueTask<int> PurgeEventsAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default) =>
        inner.PurgeEventsAsync(olderThan, cancellationToken);

    public ValueTask<IReadOnlyList<bool>> AddClicksAsync(IReadOnlyList<EnrollmentClick> clicks, CancellationToken cancellationToken = default) =>
        inner.AddClicksAsync(clicks, cancellationToken);

    /// <summary>Applied checkpoints counted across invocations of one benchmark process.</summary>
    internal sealed class Tally
    {
        private long _count;

        public long Count => Interlocked.Read(ref _count);

        public void Add(int count) => Interlocked.Add(ref _count, count);

        public long Take() => Interlocked.Exchange(ref _count, 0);
    }
}
