using System.Collections.Concurrent;
using Journeys.Messaging;
using Journeys.Storage;
using Microsoft.Extensions.Logging;

namespace Journeys.Runtime;

/// <summary>
/// Keeps the leases of work the engine still holds: enrollments claimed but not committed yet (waiting in a shard
/// inbox or in a slow batch) and outbox messages claimed or handed over by a commit and not sent yet (waiting for the
/// dispatcher, or a slow sender). Every third of the lease duration it
/// renews, in one store call per kind, the leases of work held longer than a third of the lease, so another host
/// never claims work this one is still doing; work that is done, or that the store says is no longer ours, is
/// forgotten.
/// </summary>
/// <remarks>
/// The hot path pays almost nothing: the pump hands over each claimed batch as it is (one queue slot per claim, no
/// copy), a shard adds its batch size to its own counter when a batch is finished, and each outbox batch is added to and
/// removed from a short list (one entry per batch, not per message). Which enrollments are still held is worked out here, off the hot path: each shard
/// processes its inbox in order, so an item is finished exactly when its shard's finished count has passed the
/// item's place in that shard's order, which this class recomputes from the claims (with the engine's shard hash)
/// only when some claim is not finished yet.
/// <para>
/// The claims handed over are references to the claimed <see cref="WorkItem"/> lists (their enrollments and events):
/// held until a renewal round looks at them (every third of the lease, 100 s by default), every claimed item would
/// outlive its batch and be promoted by the garbage collector with the engine's live state. So the shard whose batch
/// brings the finished count level with the items handed over (nothing in flight) drops them at once
/// (<see cref="DropIfAllFinished"/>): the claims of a burst die young.
/// </para>
/// </remarks>
internal sealed partial class LeaseRenewal
{
    private readonly IEnrollmentStore _enrollments;
    private readonly IOutboxStore _outbox;
    private readonly string _owner;
    private readonly TimeSpan _lease;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    // Claims handed over by the pump, not yet looked at by the renewal loop, and how many items they had in all (only
    // ever grows; a claim's items are counted before they are handed to the shards).
    private readonly ConcurrentQueue<IReadOnlyList<WorkItem>> _claims = new();
    private long _handedOver;

    // Items finished per shard; each counter is written only by its shard worker.
    private readonly long[] _finished;

    // The renewal loop's own state (under _roundLock, which a shard that finds nothing in flight also takes to drop the
    // claims): items it has placed per shard, items handed over in all, claims not finished yet.
    private readonly Lock _roundLock = new();
    private readonly long[] _placed;
    private readonly List<HeldClaim> _held = [];
    private readonly List<IReadOnlyList<WorkItem>> _fresh = [];
    private long _registered;

    // The outbox batches held (claimed, or handed over by a commit) and not settled yet, with when their leases run out
    // (under _sendingLock). Short: the dispatcher's current batch and the hand-offs queued for it.
    private readonly Lock _sendingLock = new();
    private readonly List<HeldOutbox> _sending = [];

    // Batches settled while a dispatcher claim was under way (under _sendingLock): the store may have given their messages
    // back to that claim before their results were recorded, so its WithoutHeld must still see them. Kept only while a
    // claim is under way.
    private readonly List<HeldOutbox> _settledDuringClaim = [];
    private int _claimsUnderWay;

    public LeaseRenewal(IEnrollmentStore enrollments, IOutboxStore outbox, string owner, TimeSpan lease, int shardCount, TimeProvider time, ILogger logger)
    {
        _enrollments = enrollments;
        _outbox = outbox;
        _owner = owner;
        _lease = lease;
        _time = time;
        _logger = logger;
        _finished = new long[shardCount];
        _placed = new long[shardCount];
    }

    /// <summary>How often the loop looks, and how long work must have been held before it is renewed: a third of the lease.</summary>
    public TimeSpan Period => _lease / 3;

    /// <summary>The shard of a customer, as the pump routes it.</summary>
    public static int ShardOf(string customerId, int shardCount) => (int)(StableHash.Hash(customerId, 0) % (ulong)shardCount);

    /// <summary>The pump claimed <paramref name="claimed"/>; call before its items are handed to the shards.</summary>
    public void Claimed(IReadOnlyList<WorkItem> claimed)
    {
        if (claimed.Count > 0)
        {
            _claims.Enqueue(claimed);
            Interlocked.Add(ref _handedOver, claimed.Count);
        }
    }

    /// <summary>A shard finished (committed, or gave up on) <paramref name="batch"/>, all of one shard, taken from its inbox in order.</summary>
    public void Finished(List<WorkItem> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        var shard = ShardOf(batch[0].Claim.CustomerId, _finished.Length);
        Volatile.Write(ref _finished[shard], _finished[shard] + batch.Count);

        // Finished counts first, then what was handed over: a finished item was counted as handed over before it was
        // finished, so equal means nothing handed over so far is in flight.
        long finished = 0;
        for (var s = 0; s < _finished.Length; s++)
        {
            finished += Volatile.Read(ref _finished[s]);
        }

        if (finished == Volatile.Read(ref _handedOver))
        {
            DropIfAllFinished();
        }
    }

    /// <summary>
    /// Forgets the claims handed over if every item of them is finished, as a renewal round would, without waiting for
    /// one: they hold the claimed items. A shard never waits here: while a round looks at the claims it leaves them to it.
    /// </summary>
    private void DropIfAllFinished()
    {
        if (!_roundLock.TryEnter())
        {
            return;
        }

        try
        {
            // Another claim may have been handed over since the caller looked: then it is kept for the round (_fresh).
            TakeClaimsOrForgetAll(out _);
        }
        finally
        {
            _roundLock.Exit();
        }
    }

    /// <summary>
    /// Takes the claims handed over since the last look (into <see cref="_fresh"/>) and, when every item handed over is
    /// finished, forgets them all. Finished counts first, claims second: every finished item was handed over before it
    /// was finished, so it is among the claims taken here, and "all finished" is exact. The caller holds the round's lock.
    /// </summary>
    /// <param name="finished">The finished count of each shard, as read.</param>
    /// <returns>Whether everything handed over was finished (and is forgotten).</returns>
    private bool TakeClaimsOrForgetAll(out long[] finished)
    {
        finished = ReadFinished(out var finishedTotal);
        while (_claims.TryDequeue(out var claim))
        {
            _fresh.Add(claim);
            _registered += claim.Count;
        }

        if (finishedTotal != _registered)
        {
            return false;
        }

        ForgetAll(finished);
        return true;
    }

    /// <summary>Every finished count, read once, and their sum.</summary>
    private long[] ReadFinished(out long total)
    {
        var finished = new long[_finished.Length];
        total = 0;
        for (var s = 0; s < finished.Length; s++)
        {
            finished[s] = Volatile.Read(ref _finished[s]);
            total += finished[s];
        }

        return finished;
    }

    /// <summary>Everything handed over is finished: nothing is held, and the next item of each shard comes after its finished ones.</summary>
    private void ForgetAll(long[] finished)
    {
        _fresh.Clear();
        _held.Clear();
        Array.Copy(finished, _placed, finished.Length);
    }

    /// <summary>Claims handed over and not forgotten yet (queued, taken from the queue, or held by the round). For tests.</summary>
    internal int HeldClaims
    {
        get
        {
            lock (_roundLock)
            {
                return _claims.Count + _fresh.Count + _held.Count;
            }
        }
    }

    /// <summary>
    /// The engine holds <paramref name="messages"/> until <paramref name="expiresAt"/>: claimed by the dispatcher, or
    /// handed over by a commit (<see cref="OutboxHandoff"/>) and queued for it. Held until <see cref="Sent"/>.
    /// </summary>
    public void Sending(IReadOnlyList<OutboundMessage> messages, DateTimeOffset expiresAt)
    {
        lock (_sendingLock)
        {
            _sending.Add(new HeldOutbox(messages, expiresAt));
        }
    }

    /// <summary>The dispatcher recorded the results of <paramref name="messages"/> (or gave up on them): nothing of them is held any more.</summary>
    public void Sent(IReadOnlyList<OutboundMessage> messages)
    {
        lock (_sendingLock)
        {
            for (var i = 0; i < _sending.Count; i++)
            {
                if (ReferenceEquals(_sending[i].Messages, messages))
                {
                    if (_claimsUnderWay > 0)
                    {
                        _settledDuringClaim.Add(_sending[i]);
                    }

                    _sending.RemoveAt(i);
                    return;
                }
            }
        }
    }

    /// <summary>
    /// A dispatcher claim from the outbox starts: a batch settled (<see cref="Sent"/>) from now until
    /// <see cref="ClaimEnded"/> still counts as held for <see cref="WithoutHeld"/>. The store may give a message whose
    /// lease ran out back to the claim and the send in progress then record its result and settle it, all before the
    /// claim is checked: checked against the batches held at that moment only, the claim would send it again.
    /// </summary>
    public void ClaimStarting()
    {
        lock (_sendingLock)
        {
            _claimsUnderWay++;
        }
    }

    /// <summary>The claim <see cref="ClaimStarting"/> announced has been checked (or failed).</summary>
    public void ClaimEnded()
    {
        lock (_sendingLock)
        {
            if (--_claimsUnderWay == 0)
            {
                _settledDuringClaim.Clear();
            }
        }
    }

    /// <summary>
    /// <paramref name="claimed"/> without the messages this engine is still sending: messages whose lease ran out while
    /// they were held (the renewal failed, the process was paused, or the clock jumped past the lease), so the store
    /// returned them to this owner's claim at <paramref name="now"/> with a fresh lease. The send in progress records
    /// their result; sending them again would deliver them twice. Only batches whose lease had run out by
    /// <paramref name="now"/> can be in a claim (the store returns a leased message only after its lease expired, and
    /// each batch's recorded expiry is the store's), so the usual claim costs one look at each held batch.
    /// </summary>
    public OutboundMessage[] WithoutHeld(OutboundMessage[] claimed, DateTimeOffset now)
    {
        if (claimed.Length == 0)
        {
            return claimed;
        }

        HashSet<string>? held = null;
        lock (_sendingLock)
        {
            foreach (var batch in _sending)
            {
                AddIfExpired(batch, now, ref held);
            }

            // Settled since the claim started: the claim may hold them all the same (see ClaimStarting).
            foreach (var batch in _settledDuringClaim)
            {
                AddIfExpired(batch, now, ref held);
            }
        }

        if (held is null)
        {
            return claimed;
        }

        var kept = new List<OutboundMessage>(claimed.Length);
        foreach (var message in claimed)
        {
            if (!held.Contains(message.MessageId))
            {
                kept.Add(message);
            }
        }

        if (kept.Count < claimed.Length)
        {
            LogStillSending(_logger, claimed.Length - kept.Count);
        }

        return [.. kept];
    }

    private static void AddIfExpired(HeldOutbox batch, DateTimeOffset now, ref HashSet<string>? held)
    {
        if (batch.ExpiresAt <= now)
        {
            held ??= new HashSet<string>(StringComparer.Ordinal);
            foreach (var message in batch.Messages)
            {
                held.Add(message.MessageId);
            }
        }
    }

    /// <summary>Outbox messages held now (claimed or handed over, not settled). For tests.</summary>
    internal int HeldMessages
    {
        get
        {
            lock (_sendingLock)
            {
                return _sending.Sum(static h => h.Messages.Count);
            }
        }
    }

    /// <summary>
    /// What the engine still holds once its shards and dispatchers have stopped: the enrollments handed over and not
    /// finished (claimed or leased at entry, never committed) and the messages handed over by commits and never taken by
    /// a dispatcher (a batch a dispatcher took is settled with <see cref="Sent"/> however its sends ended, so one whose
    /// send started is never among them). Call it only after the shards and dispatchers have ended.
    /// </summary>
    public (List<Guid> Enrollments, List<string> Messages) Unfinished()
    {
        var enrollments = new List<Guid>();
        lock (_roundLock)
        {
            if (!TakeClaimsOrForgetAll(out var finished))
            {
                foreach (var claim in _fresh)
                {
                    _held.Add(Place(claim));
                }

                _fresh.Clear();
                foreach (var claim in _held)
                {
                    for (var i = 0; i < claim.Items.Count; i++)
                    {
                        if (!claim.Lost[i] && finished[claim.Shards[i]] <= claim.Places[i])
                        {
                            enrollments.Add(claim.Items[i].Claim.Id);
                        }
                    }
                }
            }
        }

        var messages = new List<string>();
        lock (_sendingLock)
        {
            foreach (var held in _sending)
            {
                foreach (var message in held.Messages)
                {
                    messages.Add(message.MessageId);
                }
            }
        }

        return (enrollments, messages);
    }

    /// <summary>Renews every <see cref="Period"/> until <paramref name="stoppingToken"/> is cancelled; then the leases run out on their own.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        // A periodic timer keeps the rounds a third of a lease apart however long a round takes (a tick that falls due
        // during a round is delivered when it ends), so renewal does not drift behind the leases it keeps.
        using var timer = new PeriodicTimer(Period, _time);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
                {
                    return;
                }

                await RenewAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The next round tries again; a lease that runs out meanwhile hands the work to another host, whose
                // commit then wins (this one's is refused), so nothing is applied twice.
                LogRenewalFailed(_logger, ex);
            }
        }
    }

    /// <summary>One round: renews what has been held longer than a third of the lease. Internal for tests.</summary>
    internal async ValueTask RenewAsync(CancellationToken cancellationToken)
    {
        await RenewEnrollmentsAsync(cancellationToken).ConfigureAwait(false);
        await RenewOutboxAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask RenewEnrollmentsAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var renewBefore = now + _lease - Period;
        var ids = new List<Guid>();
        var owners = new List<(HeldClaim Claim, int Index)>();
        lock (_roundLock)
        {
            if (TakeClaimsOrForgetAll(out var finished))
            {
                // Everything handed over is finished (the usual case): no per-item work at all.
                return;
            }

            foreach (var claim in _fresh)
            {
                _held.Add(Place(claim));
            }

            _fresh.Clear();
            for (var c = _held.Count - 1; c >= 0; c--)
            {
                var claim = _held[c];
                var any = false;
                for (var i = 0; i < claim.Items.Count; i++)
                {
                    if (claim.Lost[i] || finished[claim.Shards[i]] > claim.Places[i])
                    {
                        continue;
                    }

                    any = true;
                    if (claim.ExpiresAt <= renewBefore)
                    {
                        ids.Add(claim.Items[i].Claim.Id);
                        owners.Add((claim, i));
                    }
                }

                if (!any)
                {
                    _held.RemoveAt(c);
                }
            }
        }

        if (ids.Count == 0)
        {
            return;
        }

        var renewed = await _enrollments.RenewLeasesAsync(_owner, ids, now, _lease, cancellationToken).ConfigureAwait(false);
        var lost = 0;
        for (var i = 0; i < owners.Count; i++)
        {
            var (claim, index) = owners[i];
            if (renewed[i])
            {
                claim.ExpiresAt = now + _lease;
            }
            else
            {
                // Committed meanwhile, or taken over: either way nothing more to renew; a late commit is refused by the store.
                claim.Lost[index] = true;
                lost++;
            }
        }

        LogRenewed(_logger, "enrollment", ids.Count - lost, lost);
    }

    private HeldClaim Place(IReadOnlyList<WorkItem> items)
    {
        var shards = new int[items.Count];
        var places = new long[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            var shard = ShardOf(items[i].Claim.CustomerId, _placed.Length);
            shards[i] = shard;
            places[i] = _placed[shard]++;
        }

        // One claim, one expiry (the store stamps now + lease on every item it returns).
        return new HeldClaim(items, shards, places, items[0].LeaseExpiresAt);
    }

    private async ValueTask RenewOutboxAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var renewBefore = now + _lease - Period;
        List<HeldOutbox>? due = null;
        lock (_sendingLock)
        {
            foreach (var held in _sending)
            {
                if (held.ExpiresAt <= renewBefore)
                {
                    (due ??= []).Add(held);
                }
            }
        }

        if (due is null)
        {
            return;
        }

        var ids = new List<string>();
        foreach (var held in due)
        {
            foreach (var message in held.Messages)
            {
                ids.Add(message.MessageId);
            }
        }

        var renewed = await _outbox.RenewLeasesAsync(_owner, ids, now, _lease, cancellationToken).ConfigureAwait(false);
        var kept = 0;
        var next = 0;
        lock (_sendingLock)
        {
            // A batch settled meanwhile is no longer in the list and needs nothing; a batch whose every lease was renewed
            // now runs until now + lease. A batch with a lease that was not renewed keeps its old expiry: the lease had
            // run out (stores renew only unexpired leases) or is another host's, and WithoutHeld must still see that a
            // claim may bring its messages back.
            foreach (var held in due)
            {
                var all = true;
                for (var i = 0; i < held.Messages.Count; i++)
                {
                    all &= renewed[next++];
                }

                if (all)
                {
                    held.ExpiresAt = now + _lease;
                }
            }
        }

        foreach (var ok in renewed)
        {
            kept += ok ? 1 : 0;
        }

        LogRenewed(_logger, "outbox message", kept, ids.Count - kept);
    }

    [LoggerMessage(50, LogLevel.Debug, "Renewed {Renewed} {Kind} leases held longer than a third of the lease; {Lost} were no longer held")]
    private static partial void LogRenewed(ILogger logger, string kind, int renewed, int lost);

    [LoggerMessage(52, LogLevel.Warning, "{Count} outbox messages this engine is still sending came back to its claim (their lease ran out while held: a failed renewal, a paused process or a clock jump); they are not sent again")]
    private static partial void LogStillSending(ILogger logger, int count);

    [LoggerMessage(51, LogLevel.Warning, "Renewing the leases of held work failed; retrying at the next round")]
    private static partial void LogRenewalFailedRedacted(ILogger logger, Exception exception);

    /// <summary><see cref="LogRenewalFailedRedacted"/> with the exception's message withheld (<see cref="RedactedException"/>), then the whole exception at Debug level.</summary>
    private static void LogRenewalFailed(ILogger logger, Exception exception)
    {
        LogRenewalFailedRedacted(logger, RedactedException.From(exception));
        FailureDetailLog.Write(logger, exception);
    }

    private sealed class HeldOutbox(IReadOnlyList<OutboundMessage> messages, DateTimeOffset expiresAt)
    {
        public IReadOnlyList<OutboundMessage> Messages { get; } = messages;

        public DateTimeOffset ExpiresAt { get; set; } = expiresAt;
    }

    private sealed class HeldClaim(IReadOnlyList<WorkItem> items, int[] shards, long[] places, DateTimeOffset expiresAt)
    {
        public IReadOnlyList<WorkItem> Items { get; } = items;

        public int[] Shards { get; } = shards;

        public long[] Places { get; } = places;

        public bool[] Lost { get; } = new bool[items.Count];

        public DateTimeOffset ExpiresAt { get; set; } = expiresAt;
    }
}
