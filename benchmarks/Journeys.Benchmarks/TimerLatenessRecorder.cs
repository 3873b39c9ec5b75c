using System.Collections.Concurrent;
using Journeys.Messaging;
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
/// <remarks>
/// Made <see cref="WithSends"/>, it is also the engine's channel sender (a
/// <see cref="NullChannelSender"/> that notes the time): when the journey's follow-up message (node
/// <see cref="FollowUpNode"/>, the send after the delay) reaches it, it records send time − due time, keyed by customer
/// (one enrollment per customer in these benchmarks). That is the moment the peer comparison also takes for WorkflowCore
/// (its follow-up step calling the same sender), so both engines' lateness is the same observable: due → the message
/// after the delay handed to the channel sender, the commit and the dispatcher's hop included for Journeys.
/// </remarks>
internal sealed class TimerLatenessRecorder : IChannelSender
{
    /// <summary>The journey's send node after the delay (<see cref="BenchmarkData.ThroughputJourney"/>).</summary>
    public const string FollowUpNode = "send-follow-up";

    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _due = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _dueByCustomer = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _committedByCustomer = new(StringComparer.Ordinal);
    private readonly LatencySamples _committed;
    private readonly LatencySamples? _sent;
    private TimeProvider? _time;

    private TimerLatenessRecorder(LatencySamples committed, LatencySamples? sent)
    {
        _committed = committed;
        _sent = sent;
    }

    /// <summary>Replaces the <see cref="IEnrollmentStore"/> registration with a decorator around the registered store that records due → commit into <paramref name="samples"/>.</summary>
    public static void Decorate(IServiceCollection services, LatencySamples samples) => new TimerLatenessRecorder(samples, null).DecorateStore(services);

    /// <summary>
    /// A recorder of both figures: due → commit into <paramref name="committed"/> once <see cref="DecorateStore"/> decorated
    /// the store, and due → the follow-up message sent into <paramref name="sent"/> when it is the engine's channel sender.
    /// </summary>
    public static TimerLatenessRecorder WithSends(LatencySamples committed, LatencySamples sent) => new(committed, sent);

    /// <summary>
    /// When set (before the run), the hop of each follow-up message: the resumed run's commit → the message handed to the
    /// sender (the hand-off to the shard's dispatcher loop and the sends queued before it). <c>lateness-probe</c> only.
    /// </summary>
    public LatencySamples? Hop { get; set; }

    /// <summary>
    /// When set (before the run), the recorder's own work in a commit is left out of the batch costs
    /// <see cref="BatchCostListener"/> measures. <c>lateness-probe</c> only.
    /// </summary>
    public bool MeasuresCost { get; set; }

    /// <summary>
    /// When set (before the run), noted at every claim of due timers and every follow-up message sent: the collections
    /// and allocation of the resumed stream. <c>lateness-probe</c> only.
    /// </summary>
    public ResumedStreamGc? StreamGc { get; set; }

    /// <inheritdoc />
    public ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        if (_sent is not null && string.Equals(message.NodeId, FollowUpNode, StringComparison.Ordinal) && _dueByCustomer.TryRemove(message.CustomerId, out var due))
        {
            var time = _time ?? throw new InvalidOperationException("The follow-up was sent before the enrollment store was created: no clock to read.");
            var now = time.GetUtcNow();
            _sent.Add(now - due);
            StreamGc?.Note();
            StreamGc?.NoteSend();
            if (Hop is { } hop && _committedByCustomer.TryRemove(message.CustomerId, out var committed))
            {
                hop.Add(now - committed);
            }
        }

        return NullChannelSender.Instance.SendAsync(message, cancellationToken);
    }

    /// <summary>Replaces the <see cref="IEnrollmentStore"/> registration with this recorder's decorator around the registered store.</summary>
    public void DecorateStore(IServiceCollection services)
    {
        var registered = services.LastOrDefault(d => d.ServiceType == typeof(IEnrollmentStore))
            ?? throw new InvalidOperationException("No IEnrollmentStore is registered: call AddJourneys first.");
        var factory = registered.ImplementationFactory
            ?? throw new InvalidOperationException("The IEnrollmentStore registration has no factory to decorate.");
        services.Replace(ServiceDescriptor.Singleton<IEnrollmentStore>(sp =>
        {
            _time = sp.GetRequiredService<TimeProvider>();
            return new Store((IEnrollmentStore)factory(sp), _time, this);
        }));
    }

    private sealed class Store(IEnrollmentStore inner, TimeProvider time, TimerLatenessRecorder recorder) : DelegatingEnrollmentStore(inner)
    {
        public override async ValueTask<IReadOnlyList<WorkItem>> ClaimAsync(string owner, DateTimeOffset now, int maxItems, TimeSpan lease, CancellationToken cancellationToken = default)
        {
            var claimed = await InnerStore.ClaimAsync(owner, now, maxItems, lease, cancellationToken).ConfigureAwait(false);
            var dueItems = 0;
            var bookkeeping = GC.GetAllocatedBytesForCurrentThread();
            foreach (var item in claimed)
            {
                if (item.Enrollment is { Status: EnrollmentStatus.Waiting, WakeAt: { } due } && due <= now)
                {
                    recorder.StreamGc?.Note();
                    dueItems++;
                    recorder._due[item.Enrollment.Id] = due;
                    if (recorder._sent is not null)
                    {
                        recorder._dueByCustomer[item.Enrollment.CustomerId] = due;
                    }
                }
            }

            if (dueItems > 0 && recorder.StreamGc is { } streamGc)
            {
                ResumedStreamGc.ExcludeBookkeeping(GC.GetAllocatedBytesForCurrentThread() - bookkeeping);
                streamGc.NoteClaim(dueItems);
            }

            return claimed;
        }

        public override async ValueTask<IReadOnlyList<bool>> CommitAsync(string owner, IReadOnlyList<EnrollmentCheckpoint> checkpoints, OutboxHandoff? outboxHandoff, CancellationToken cancellationToken = default)
        {
            var applied = await InnerStore.CommitAsync(owner, checkpoints, outboxHandoff, cancellationToken).ConfigureAwait(false);
            var bookkeeping = recorder.MeasuresCost ? ThreadCost.Now() : default;
            if (!recorder._due.IsEmpty)
            {
                var committedAt = time.GetUtcNow();
                for (var i = 0; i < checkpoints.Count; i++)
                {
                    if (applied[i] && recorder._due.TryRemove(checkpoints[i].Identity.Id, out var due))
                    {
                        recorder._committed.Add(committedAt - due);
                        if (recorder.Hop is not null)
                        {
                            recorder._committedByCustomer[checkpoints[i].Identity.CustomerId] = committedAt;
                        }
                    }
                }
            }

            if (recorder.MeasuresCost)
            {
                BatchCostListener.Exclude(bookkeeping);
            }

            return applied;
        }
    }
}
