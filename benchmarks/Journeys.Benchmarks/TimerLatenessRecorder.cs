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
/// <para>
/// Allocation-free while the engine runs (the peer comparison's fairness rule: the harness must not spend the engine's
/// gen0 budget): the due and commit instants are kept as UTC ticks in arrays preallocated per customer and indexed by the
/// customer's number (<see cref="BenchmarkData.CustomerIndex"/>; one enrollment per customer in these benchmarks), and the
/// samples' lists get their capacity when the recorder is made. The maps it had before (keyed by enrollment id and
/// customer id) allocated ~270 B per customer of a delay run.
/// </para>
/// </remarks>
internal sealed class TimerLatenessRecorder : IChannelSender
{
    /// <summary>The journey's send node after the delay (<see cref="BenchmarkData.ThroughputJourney"/>).</summary>
    public const string FollowUpNode = "send-follow-up";

    // Per customer number, UTC ticks (0: nothing noted): the due time of a claimed due timer until its commit, the same until
    // its follow-up is sent, and the commit's time until then (Hop only).
    private readonly long[] _dueForCommit;
    private readonly long[] _dueForSend;
    private readonly long[] _committedAt;
    private readonly LatencySamples _committed;
    private readonly LatencySamples? _sent;
    private int _awaitingCommit;
    private TimeProvider? _time;

    private TimerLatenessRecorder(int customers, LatencySamples committed, LatencySamples? sent)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(customers);
        _dueForCommit = new long[customers];
        _dueForSend = sent is null ? [] : new long[customers];
        _committedAt = sent is null ? [] : new long[customers];
        _committed = committed;
        _sent = sent;
        committed.Reserve(customers);
        sent?.Reserve(customers);
    }

    /// <summary>
    /// Replaces the <see cref="IEnrollmentStore"/> registration with a decorator around the registered store that records
    /// due → commit into <paramref name="samples"/>, for the benchmark customers 0 to <paramref name="customers"/> − 1.
    /// </summary>
    public static void Decorate(IServiceCollection services, LatencySamples samples, int customers) => new TimerLatenessRecorder(customers, samples, null).DecorateStore(services);

    /// <summary>
    /// A recorder of both figures for the benchmark customers 0 to <paramref name="customers"/> − 1: due → commit into
    /// <paramref name="committed"/> once <see cref="DecorateStore"/> decorated the store, and due → the follow-up message
    /// sent into <paramref name="sent"/> when it is the engine's channel sender.
    /// </summary>
    public static TimerLatenessRecorder WithSends(int customers, LatencySamples committed, LatencySamples sent) => new(customers, committed, sent);

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
        if (_sent is not null && string.Equals(message.NodeId, FollowUpNode, StringComparison.Ordinal))
        {
            var customer = Index(message.CustomerId);
            var due = Interlocked.Exchange(ref _dueForSend[customer], 0);
            if (due != 0)
            {
                var time = _time ?? throw new InvalidOperationException("The follow-up was sent before the enrollment store was created: no clock to read.");
                var now = time.GetUtcNow().UtcTicks;
                _sent.Add(TimeSpan.FromTicks(now - due));
                StreamGc?.Note();
                StreamGc?.NoteSend();
                var committed = Interlocked.Exchange(ref _committedAt[customer], 0);
                if (Hop is { } hop && committed != 0)
                {
                    hop.Add(TimeSpan.FromTicks(now - committed));
                }
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

    private int Index(string customerId)
    {
        var customer = BenchmarkData.CustomerIndex(customerId);
        return (uint)customer < (uint)_dueForCommit.Length
            ? customer
            : throw new InvalidOperationException($"Customer #{customer} is outside the recorder's {_dueForCommit.Length} customers.");
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
                if (item.Claim is { Status: EnrollmentStatus.Waiting, WakeAt: { } due } && due <= now)
                {
                    recorder.StreamGc?.Note();
                    dueItems++;
                    var customer = recorder.Index(item.Claim.CustomerId);
                    if (Interlocked.Exchange(ref recorder._dueForCommit[customer], due.UtcTicks) == 0)
                    {
                        Interlocked.Increment(ref recorder._awaitingCommit);
                    }

                    if (recorder._sent is not null)
                    {
                        Volatile.Write(ref recorder._dueForSend[customer], due.UtcTicks);
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
            if (Volatile.Read(ref recorder._awaitingCommit) > 0)
            {
                var committedAt = time.GetUtcNow().UtcTicks;
                for (var i = 0; i < checkpoints.Count; i++)
                {
                    if (!applied[i])
                    {
                        continue;
                    }

                    var customer = recorder.Index(checkpoints[i].Identity.CustomerId);
                    var due = Interlocked.Exchange(ref recorder._dueForCommit[customer], 0);
                    if (due != 0)
                    {
                        Interlocked.Decrement(ref recorder._awaitingCommit);
                        recorder._committed.Add(TimeSpan.FromTicks(committedAt - due));
                        if (recorder.Hop is not null)
                        {
                            Volatile.Write(ref recorder._committedAt[customer], committedAt);
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
