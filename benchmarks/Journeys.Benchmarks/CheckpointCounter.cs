using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Journeys.Benchmarks;

/// <summary>
/// Counts the durable checkpoints the engine commits: a decorator over the registered <see cref="IEnrollmentStore"/>
/// that adds the applied checkpoints of every <see cref="IEnrollmentStore.CommitAsync"/> (refused ones are not counted).
/// </summary>
internal sealed class CheckpointCounter(IEnrollmentStore inner, CheckpointCounter.Tally tally) : DelegatingEnrollmentStore(inner)
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

    public override async ValueTask<IReadOnlyList<bool>> CommitAsync(string owner, IReadOnlyList<EnrollmentCheckpoint> checkpoints, OutboxHandoff? outboxHandoff, CancellationToken cancellationToken = default)
    {
        var applied = await InnerStore.CommitAsync(owner, checkpoints, outboxHandoff, cancellationToken).ConfigureAwait(false);
        var count = 0;
        for (var i = 0; i < applied.Count; i++)
        {
            count += applied[i] ? 1 : 0;
        }

        tally.Add(count);
        return applied;
    }

    /// <summary>Applied checkpoints counted across invocations of one benchmark process.</summary>
    internal sealed class Tally
    {
        private long _count;

        public long Count => Interlocked.Read(ref _count);

        public void Add(int count) => Interlocked.Add(ref _count, count);

        public long Take() => Interlocked.Exchange(ref _count, 0);
    }
}
