using System.Collections.Concurrent;
using Journeys.Model;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Journeys.Benchmarks;

/// <summary>
/// Measures the engine's timer lateness from outside the engine: a decorator over the registered
/// <see cref="IEnrollmentStore"/> that notes each claimed enrollment whose timer fell due (its
/// <see cref="Enrollment.WakeAt"/> is the due time) and, when that enrollment's next checkpoint is committed, records
/// commit time − due time on the same <see cref="TimeProvider"/> the engine reads. Taking the commit (after the resumed
/// steps ran and were stored) rather than the claim makes the figure an upper bound of when the enrollment resumed.
/// </summary>
internal sealed class TimerLatenessRecorder(IEnrollmentStore inner, TimeProvider time, LatencySamples samples) : DelegatingEnrollmentStore(inner)
{
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _due = new();

    /// <summary>Replaces the <see cref="IEnrollmentStore"/> registration with this decorator around the registered store.</summary>
    public static void Decorate(IServiceCollection services, LatencySamples samples)
    {
        var registered = services.LastOrDefault(d => d.ServiceType == typeof(IEnrollmentStore))
            ?? throw new InvalidOperationException("No IEnrollmentStore is registered: call AddJourneys first.");
        var factory = registered.ImplementationFactory
            ?? throw new InvalidOperationException("The IEnrollmentStore registration has no factory to decorate.");
        services.Replace(ServiceDescriptor.Singleton<IEnrollmentStore>(sp =>
            new TimerLatenessRecorder((IEnrollmentStore)factory(sp), sp.GetRequiredService<TimeProvider>(), samples)));
    }

    public override async ValueTask<IReadOnlyList<WorkItem>> ClaimAsync(string owner, DateTimeOffset now, int maxItems, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        var claimed = await InnerStore.ClaimAsync(owner, now, maxItems, lease, cancellationToken).ConfigureAwait(false);
        foreach (var item in claimed)
        {
            if (item.Enrollment is { Status: EnrollmentStatus.Waiting, WakeAt: { } due } && due <= now)
            {
                _due[item.Enrollment.Id] = due;
            }
        }

        return claimed;
    }

    public override async ValueTask<IReadOnlyList<bool>> CommitAsync(string owner, IReadOnlyList<EnrollmentCheckpoint> checkpoints, OutboxHandoff? outboxHandoff, CancellationToken cancellationToken = default)
    {
        var applied = await InnerStore.CommitAsync(owner, checkpoints, outboxHandoff, cancellationToken).ConfigureAwait(false);
        if (!_due.IsEmpty)
        {
            var committedAt = time.GetUtcNow();
            for (var i = 0; i < checkpoints.Count; i++)
            {
                if (applied[i] && _due.TryRemove(checkpoints[i].State.Id, out var due))
                {
                    samples.Add(committedAt - due);
                }
            }
        }

        return applied;
    }
}
