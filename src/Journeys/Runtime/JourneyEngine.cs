using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Channel = System.Threading.Channels.Channel;
using Journeys.Conditions;
using Journeys.Messaging;
using Journeys.Model;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Journeys.Runtime;

/// <summary>
/// The engine: a pump claims ready enrollments from the store and routes each to the shard of its customer
/// (a bounded <see cref="Channel{T}"/>, so a slow shard slows intake); each shard worker runs its batch through the
/// <see cref="StepExecutor"/> and commits it with one store call; a dispatcher sends the committed outbox through the
/// channel senders. Timers live in the store: the pump sleeps until the next due one, or until it is notified.
/// A shard's commit hands its due outbox messages to this engine's dispatcher (<see cref="OutboxHandoff"/>): the store
/// writes them already leased to this engine, and the dispatcher takes them from memory instead of claiming them again.
/// </summary>
internal sealed partial class JourneyEngine : IJourneyEngineSignal, IJourneyEngineMonitor
{
    private readonly IEnrollmentStore _enrollments;
    private readonly IOutboxStore _outbox;
    private readonly IStatisticsStore _statistics;
    private readonly ICustomerStore _customers;
    private readonly InMemoryCustomerStore? _memoryCustomers;

    // The in-memory outbox takes the dispatcher's results as values (InMemoryEngineStore.Complete): no record per message.
    private readonly InMemoryEngineStore? _memoryOutbox;
    private readonly bool _checkpointStateRecords;

    // The bare in-memory store (not a decorator of it) keeps no checkpoint it commits: a shard refills its own
    // (ReusedCheckpoints) instead of making one per run.
    private readonly bool _reuseCheckpoints;
    private readonly CompiledJourneyCache _journeys;
    private readonly SenderRegistry _senders;
    private readonly WebhookInvoker? _webhooks;
    private readonly FilterEntryRecheck? _filters;
    private readonly JourneyStopGuard? _stopGuard;

    // The store's count of commits that withdrew outbox messages, when it keeps one (see NoteWithdrawals).
    private readonly IWithdrawalCounter? _withdrawingCommits;
    private readonly JourneysOptions _options;
    private readonly TimeProvider _time;

    // The pump holds for the last moment before a due timer only on the system clock: a fake clock moves only when a
    // test moves it, so holding on it would never end. Zero: no hold (JourneysOptions.TimerWakeLead).
    private readonly TimeSpan _wakeLead;

    // The pump's waits for the next timer on the system clock (null on any other clock, whose timers a test drives); made
    // when the engine runs and disposed when it stops.
    private SystemClockWaiter? _timerWaiter;
    private readonly ILogger _logger;
    private readonly Channel<bool> _workSignal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Channel<bool> _outboxSignal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Written when a journey changed (here or, through the store, on another host): the entry-window intakes look again.</summary>
    private readonly Channel<bool> _journeySignal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly ConcurrentDictionary<string, TimeZoneInfo?> _zones = new(StringComparer.Ordinal);
    private readonly Channel<WorkItem>[] _shards;
    private readonly IFrequencyCapStore _frequencyCap;
    private readonly SingleDeltaCache _sendDeltas = new();
    private readonly LeaseRenewal _renewal;

    // Outbox messages committed already leased to this engine (OutboxHandoff), one array per commit, waiting for the
    // dispatcher; _handedOver counts their messages. Past HandoffCapacity a commit hands nothing over (its messages wait
    // in the store for a claim), so a slow sender bounds this queue instead of growing it. One queue per shard, each
    // sent by its own dispatcher loop in commit order (a customer's messages all come from its one shard, so they are
    // still sent in the order they were committed); _handoffSignals[i] wakes loop i ([0] is _outboxSignal: loop 0
    // also claims from the store).
    // Each with the count of this process's cancels (JourneyStopGuard) read before its commit.
    private readonly ConcurrentQueue<(OutboundMessage[] Messages, long Withdrawals)>[] _handoffs;
    private readonly Channel<bool>[] _handoffSignals;
    private int _handedOver;
    private int _inFlight;

    // Enrollments created already leased to this engine (IEnrollmentStore.EnrollLeasedAsync), one list per enroll call,
    // waiting for the pump to register them for renewal and route them to their shards: the pump stays the only writer
    // of the shard inboxes, so each shard's inbox order is the order the renewal registered (LeaseRenewal). _intakeReserved
    // counts the leases reserved for enroll calls under way plus the items queued here; with the items in flight it
    // bounds what leasing at enrollment may hold (JourneysOptions.IntakeLeaseLimit, and the inboxes' free room).
    private readonly ConcurrentQueue<IReadOnlyList<WorkItem>> _leasedAtEntry = new();
    private int _intakeReserved;

    // Enrollments of batches whose commit a stop interrupted (the renewal counts them finished): handed back at the end
    // of RunAsync with the rest of the unfinished work (HandBackAsync); the store ignores any that the commit did apply.
    private readonly ConcurrentQueue<Guid> _uncommittedAtStop = new();

    // Messages a dispatcher took and never began to send when the stop came (the rest of a batch behind sends that were
    // under way): handed back with the rest (HandBackAsync). A message whose send began is never among them.
    private readonly ConcurrentQueue<string> _unsentAtStop = new();
    private volatile bool _pumping;

    // What GetStatus reports besides the counters: the engine's state, a failed loop, failing store calls.
    private readonly EngineHealth _health;

    public JourneyEngine(
        IEnrollmentStore enrollments,
        IOutboxStore outbox,
        IStatisticsStore statistics,
        ICustomerStore customers,
        CompiledJourneyCache journeys,
        SenderRegistry senders,
        IOptions<JourneysOptions> options,
        TimeProvider time,
        ILogger<JourneyEngine> logger,
        WebhookInvoker? webhooks = null,
        FilterEntryRecheck? filters = null,
        JourneyStopGuard? stopGuard = null)
    {
        _stopGuard = stopGuard;
        _enrollments = enrollments;
        _withdrawingCommits = enrollments as IWithdrawalCounter;
        _outbox = outbox;
        _statistics = statistics;
        _customers = customers;
        _memoryCustomers = customers as InMemoryCustomerStore;
        _memoryOutbox = outbox as InMemoryEngineStore;

        // The store's shared record of sends when it keeps one (every host on it, across restarts); else this host's own.
        _frequencyCap = outbox as IFrequencyCapStore ?? new FrequencyTracker();

        // A durable store reads each checkpoint's state record: built at once, one record (no change kept beside it).
        _checkpointStateRecords = _memoryOutbox is null;
        _reuseCheckpoints = !_checkpointStateRecords && enrollments is InMemoryEngineStore;
        _journeys = journeys;
        _senders = senders;
        _webhooks = webhooks;
        _filters = filters;
        _options = options.Value;
        _time = time;
        _wakeLead = ReferenceEquals(time, TimeProvider.System) ? _options.TimerWakeLead : TimeSpan.Zero;
        _logger = logger;
        _shards = new Channel<WorkItem>[_options.ShardCount];
        for (var i = 0; i < _shards.Length; i++)
        {
            _shards[i] = Channel.CreateBounded<WorkItem>(new BoundedChannelOptions(_options.InboxCapacity) { SingleReader = true, SingleWriter = true });
        }

        _handoffs = new ConcurrentQueue<(OutboundMessage[] Messages, long Withdrawals)>[_shards.Length];
        _handoffSignals = new Channel<bool>[_shards.Length];
        for (var i = 0; i < _shards.Length; i++)
        {
            _handoffs[i] = new ConcurrentQueue<(OutboundMessage[] Messages, long Withdrawals)>();
            _handoffSignals[i] = i == 0 ? _outboxSignal : Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        }

        _renewal = new LeaseRenewal(enrollments, outbox, _options.OwnerId, _options.LeaseDuration, _shards.Length, time, logger);
        _health = new EngineHealth(time);
    }

    /// <inheritdoc />
    public JourneyEngineStatus GetStatus()
    {
        var storeFailure = _health.OldestStoreFailure();
        return new JourneyEngineStatus(
            _options.OwnerId,
            _health.State,
            _health.Fault,
            storeFailure?.Since,
            storeFailure?.Failure,
            _senders.Circuits(),
            InboxDepth,
            InFlight,
            _time.GetUtcNow());
    }

    /// <summary>Work items waiting in the shard inboxes.</summary>
    public int InboxDepth => _shards.Sum(s => s.Reader.Count);

    /// <summary>Enrollments claimed and not yet committed.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Outbox messages handed over by commits and not taken by the dispatcher yet.</summary>
    public int HandedOver => Volatile.Read(ref _handedOver);

    /// <summary>The most handed-over messages that may wait for the dispatcher: four full batches per shard.</summary>
    private int HandoffCapacity => 4 * _options.BatchSize * _shards.Length;

    /// <summary>The lease renewal of this engine's held work. Internal for tests.</summary>
    internal LeaseRenewal Renewal => _renewal;

    /// <summary>
    /// The engine is about to run (its host started it): enrollments may be created leased to it from now on, its pump
    /// routes them when it runs. Until then, or once it stopped, they are created unleased.
    /// </summary>
    internal void MarkStarting()
    {
        _pumping = true;
        _health.Started();
    }

    /// <summary>Marks the engine as stopped once its hosted service stopped it, whether or not <see cref="RunAsync(CancellationToken)"/> ran.</summary>
    internal void MarkStopped()
    {
        _pumping = false;
        _health.Stopped();
    }

    /// <summary>How long published event ids are remembered (<see cref="JourneysOptions.EventIdWindow"/>).</summary>
    internal TimeSpan EventIdWindow => _options.EventIdWindow;

    /// <summary>Leases reserved for enrollments being created and enrollments created leased that the pump has not routed yet.</summary>
    internal int IntakeReserved => Volatile.Read(ref _intakeReserved);

    /// <summary>
    /// Creates enrollments (<see cref="IEnrollmentStore.EnrollAsync"/>'s checks and outcomes) and, while this engine runs
    /// and has room, has the store create them already leased to this engine, so the pump routes them to their shards
    /// without claiming them (<see cref="IEnrollmentStore.EnrollLeasedAsync"/>). Past
    /// <see cref="JourneysOptions.IntakeLeaseLimit"/> work in flight, or when the shard inboxes have no room, or when the
    /// store does not lease, they are created unleased and the pump claims them as before.
    /// </summary>
    /// <param name="requests">The entries.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One outcome per request, in order.</returns>
    internal ValueTask<IReadOnlyList<EnrollmentOutcome>> EnrollAsync(IReadOnlyList<EnrollmentRequest> requests, CancellationToken cancellationToken) =>
        EnrollAsync(requests, null, cancellationToken);

    /// <summary>
    /// <see cref="EnrollAsync(IReadOnlyList{EnrollmentRequest}, CancellationToken)"/>, with <paramref name="beforeHandOff"/>
    /// run on the outcomes once the store created the enrollments and before those leased to this engine reach its
    /// shards: a check that cancels some of them in the store (a list intake's erased customers) then runs before any
    /// of them can be executed; the cancelled ones' commits are refused (their token moved). Enrollments created
    /// unleased (no room) can be claimed meanwhile, as before.
    /// </summary>
    /// <param name="requests">The entries.</param>
    /// <param name="beforeHandOff">Runs after the create, before the hand-off (which happens even if it throws).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One outcome per request, in order.</returns>
    internal async ValueTask<IReadOnlyList<EnrollmentOutcome>> EnrollAsync(
        IReadOnlyList<EnrollmentRequest> requests, Func<IReadOnlyList<EnrollmentOutcome>, ValueTask>? beforeHandOff, CancellationToken cancellationToken)
    {
        var reserved = ReserveIntakeLeases(requests.Count);
        if (reserved == 0)
        {
            var outcomes = await _enrollments.EnrollAsync(requests, cancellationToken).ConfigureAwait(false);
            if (beforeHandOff is not null)
            {
                await beforeHandOff(outcomes).ConfigureAwait(false);
            }

            return outcomes;
        }

        LeasedEnrollments result;
        try
        {
            var lease = new EnrollmentLease(_options.OwnerId, _time.GetUtcNow(), _options.LeaseDuration, reserved);
            result = await _enrollments.EnrollLeasedAsync(requests, lease, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Interlocked.Add(ref _intakeReserved, -reserved);
            throw;
        }

        try
        {
            if (beforeHandOff is not null)
            {
                await beforeHandOff(result.Outcomes).ConfigureAwait(false);
            }
        }
        finally
        {
            TakeLeasedAtEntry(reserved, result.Leased);
        }

        return result.Outcomes;
    }

    /// <summary>
    /// <see cref="IEnrollmentStore.PublishEventsAsync"/> with the entries leased to this engine as <see cref="EnrollAsync(IReadOnlyList{EnrollmentRequest}, CancellationToken)"/>
    /// leases them; <see langword="null"/> when the store does not support the one-step publish (nothing written).
    /// </summary>
    internal async ValueTask<PublishedEvents?> PublishEventsAsync(
        IReadOnlyList<CustomerEvent> events, DateTimeOffset now, IReadOnlyList<EventConsequence> consequences, CancellationToken cancellationToken)
    {
        var reserved = ReserveIntakeLeases(consequences.Count(static c => c.Entry is not null));
        PublishedEvents? result;
        try
        {
            var lease = reserved == 0 ? null : new EnrollmentLease(_options.OwnerId, _time.GetUtcNow(), _options.LeaseDuration, reserved);
            result = await _enrollments.PublishEventsAsync(events, now, now - EventIdWindow, consequences, lease, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Interlocked.Add(ref _intakeReserved, -reserved);
            throw;
        }

        TakeLeasedAtEntry(reserved, result?.Leased ?? []);
        return result;
    }

    // The reservation now counts exactly the items queued for the pump (none when the store leases none).
    private void TakeLeasedAtEntry(int reserved, IReadOnlyList<WorkItem> leased)
    {
        Interlocked.Add(ref _intakeReserved, leased.Count - reserved);
        if (leased.Count > 0)
        {
            _leasedAtEntry.Enqueue(leased);
            NotifyWork();
        }
    }

    /// <summary>
    /// How many of <paramref name="wanted"/> new enrollments may be created leased to this engine: none unless the pump
    /// runs (leased work it would never route waits for its lease to expire); at most the inboxes' free room and
    /// <see cref="JourneysOptions.IntakeLeaseLimit"/> less the work in flight, each less what is already reserved.
    /// </summary>
    private int ReserveIntakeLeases(int wanted)
    {
        var limit = _options.IntakeLeaseLimit;
        if (!_pumping || wanted == 0 || limit == 0)
        {
            return 0;
        }

        var room = (_shards.Length * _options.InboxCapacity) - InboxDepth;
        var inFlight = InFlight;
        while (true)
        {
            var reserved = Volatile.Read(ref _intakeReserved);
            var take = Math.Min(wanted, Math.Min(room - reserved, limit - inFlight - reserved));
            if (take <= 0)
            {
                return 0;
            }

            if (Interlocked.CompareExchange(ref _intakeReserved, reserved + take, reserved) == reserved)
            {
                return take;
            }
        }
    }

    /// <summary>
    /// Routes the enrollments created leased to this engine to their shards, registered for renewal first exactly like
    /// claimed work. False when stopping interrupted it (what was not routed waits for its lease to expire, as claimed work does).
    /// </summary>
    private async ValueTask<bool> RouteLeasedAtEntryAsync(CancellationToken stoppingToken)
    {
        while (_leasedAtEntry.TryDequeue(out var leased))
        {
            if (!await RouteToShardsAsync(leased, leasedAtEntry: true, stoppingToken).ConfigureAwait(false))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Registers leased work for renewal and writes each item to its customer's shard (<see cref="LeaseRenewal.ShardOf"/>),
    /// in order. Work created leased at entry leaves <see cref="_intakeReserved"/> as it is written. False when stopping
    /// interrupted it.
    /// </summary>
    private async ValueTask<bool> RouteToShardsAsync(IReadOnlyList<WorkItem> items, bool leasedAtEntry, CancellationToken stoppingToken)
    {
        _renewal.Claimed(items);
        var routedAt = JourneysTelemetry.StepLatency.Enabled ? _time.GetTimestamp() : 0;
        foreach (var item in items)
        {
            item.RoutedAt = routedAt;
            Interlocked.Increment(ref _inFlight);
            var shard = _shards[LeaseRenewal.ShardOf(item.Claim.CustomerId, _shards.Length)];
            try
            {
                await shard.Writer.WriteAsync(item, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return false;
            }

            if (leasedAtEntry)
            {
                Interlocked.Decrement(ref _intakeReserved);
            }
        }

        return true;
    }

    /// <summary>Wakes the pump: there may be new ready work (entries, events, a timer moved earlier).</summary>
    public void NotifyWork() => _workSignal.Writer.TryWrite(true);

    /// <summary>Wakes the dispatcher: there may be new outbox messages.</summary>
    public void NotifyOutbox() => _outboxSignal.Writer.TryWrite(true);

    /// <inheritdoc />
    public void NotifyWithdrawn() => _stopGuard?.NoteWithdrawal();

    /// <inheritdoc />
    public void NotifyJourneyChanged(string journeyId)
    {
        ArgumentNullException.ThrowIfNull(journeyId);
        _journeys.Forget(journeyId);
        NotifyJourneysChanged();
    }

    /// <inheritdoc />
    public void NotifySchemaChanged()
    {
        _journeys.Clear();

        // Also told after the store's change feed was lost (journeys may have changed unannounced meanwhile).
        NotifyJourneysChanged();
    }

    /// <summary>Wakes the entry-window intakes (<see cref="JourneyManager.RunEntryWindowsAsync"/>): a journey may have been activated, stopped or changed.</summary>
    internal void NotifyJourneysChanged() => _journeySignal.Writer.TryWrite(true);

    /// <summary>This host's id in the stores' leases (<see cref="JourneysOptions.OwnerId"/>): also the owner of the audience intakes it claims.</summary>
    internal string OwnerId => _options.OwnerId;

    /// <summary>How long a lease holds (<see cref="JourneysOptions.LeaseDuration"/>): also an audience intake's claim.</summary>
    internal TimeSpan LeaseDuration => _options.LeaseDuration;

    /// <summary>The audience intakes this host is running (by <see cref="JourneyIntake.Id"/>), which its other runs leave alone (<see cref="JourneyManager.RunDueIntakesAsync"/>).</summary>
    internal ConcurrentDictionary<Guid, bool> RunningIntakes { get; } = new();

    /// <summary>The signal of <see cref="NotifyJourneysChanged"/>.</summary>
    internal ChannelReader<bool> JourneysChanged => _journeySignal.Reader;

    /// <summary>Runs the pump, the shards and the dispatcher until <paramref name="stoppingToken"/> is cancelled.</summary>
    /// <param name="stoppingToken">The host's stop.</param>
    /// <returns>A task that ends when the engine stopped.</returns>
    public Task RunAsync(CancellationToken stoppingToken) => RunAsync([], stoppingToken);

    /// <summary>
    /// Runs the pump, the shards, the dispatchers, the lease renewal and <paramref name="companions"/> (the hosted
    /// service's other loops) until <paramref name="stoppingToken"/> is cancelled. Each loop is watched: one that ends
    /// while the host runs (an exception no loop expects, a cancellation of its own, or a return) is logged, marks the
    /// engine <see cref="JourneyEngineState.Faulted"/> and ends the run: the other loops stop as at the host's stop, the
    /// unfinished work is handed back (<see cref="HandBackAsync"/>), and the returned task fails with a
    /// <see cref="JourneyEngineFaultedException"/>, so the host does what its
    /// <c>HostOptions.BackgroundServiceExceptionBehavior</c> says (stop, by
    /// default). A loop that failed and went on unseen would leave the work routed to it undone while the host looked
    /// healthy: a shard worker's inbox fills, and then the pump stalls for every shard.
    /// </summary>
    /// <param name="companions">Loops run and watched beside the engine's own, each given the run's token.</param>
    /// <param name="stoppingToken">The host's stop.</param>
    /// <returns>A task that ends when the engine stopped, or fails with <see cref="JourneyEngineFaultedException"/>.</returns>
    public async Task RunAsync(IReadOnlyList<(string Name, Func<CancellationToken, Task> Loop)> companions, CancellationToken stoppingToken)
    {
        LogStarting(_logger, _options.OwnerId, _shards.Length);

        // The loops started here run for the engine's life: their batch activities are roots of their own traces, not
        // children of whatever activity was current when the host started (a startup span would otherwise hold every
        // batch of every day). The change stays inside this method's context, not the caller's.
        System.Diagnostics.Activity.Current = null;
        using var tracked = JourneysTelemetry.Track(this);
        using var timerWaiter = ReferenceEquals(_time, TimeProvider.System) ? new SystemClockWaiter(_time) : null;
        _timerWaiter = timerWaiter;

        // The loops' token: the host's stop, or the first loop that ends while the host runs.
        using var run = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var token = run.Token;
        var watchers = new List<Task>((2 * _shards.Length) + 2 + companions.Count);
        _health.Started();
        for (var i = 0; i < _shards.Length; i++)
        {
            var shard = _shards[i];
            watchers.Add(WatchAsync(Task.Run(() => RunShardAsync(shard.Reader, token), CancellationToken.None), $"shard worker {i}", run));
        }

        watchers.Add(WatchAsync(StartDispatcherLoop("Journeys dispatcher 0", window => RunDispatcherAsync(window, token)), "dispatcher 0", run));
        for (var i = 1; i < _shards.Length; i++)
        {
            var index = i;
            watchers.Add(WatchAsync(StartDispatcherLoop($"Journeys dispatcher {i}", window => RunHandoffDispatcherAsync(index, window, token)), $"dispatcher {i}", run));
        }

        watchers.Add(WatchAsync(Task.Run(() => _renewal.RunAsync(token), CancellationToken.None), "lease renewal", run));
        foreach (var (name, loop) in companions)
        {
            watchers.Add(WatchAsync(Task.Run(() => loop(token), CancellationToken.None), name, run));
        }

        try
        {
            _pumping = true;
            await WatchAsync(RunPumpAsync(token), "pump", run).ConfigureAwait(false);
        }
        finally
        {
            _pumping = false;
            // Claimed work not yet processed is handed back by its lease expiring; nothing is committed half.
            foreach (var shard in _shards)
            {
                shard.Writer.TryComplete();
            }

            // The watchers never fail: each records and logs its loop's end.
            await Task.WhenAll(watchers).ConfigureAwait(false);
            _timerWaiter = null;
            await HandBackAsync().ConfigureAwait(false);
            if (stoppingToken.IsCancellationRequested)
            {
                _health.Stopped();
            }

            LogStopped(_logger, _options.OwnerId);
        }

        if (!stoppingToken.IsCancellationRequested)
        {
            // Only a loop's end cancels the run without the host's stop.
            throw JourneyEngineFaultedException.For(_health.Fault ?? "a loop ended");
        }
    }

    /// <summary>
    /// Waits for <paramref name="loop"/> to end (<see cref="EngineHealth.Watch"/>); if it ended while the run went on,
    /// logs it (the exception's message at Debug level only) and ends the run. Never fails.
    /// </summary>
    private async Task WatchAsync(Task loop, string name, CancellationTokenSource run)
    {
        if (await _health.Watch(loop, name, run.Token).ConfigureAwait(false) is not { } fault)
        {
            return;
        }

        if (fault.Exception is { } exception)
        {
            LogLoopFailedRedacted(_logger, name, RedactedException.From(exception));
            FailureDetailLog.Write(_logger, exception);
        }
        else
        {
            LogLoopEnded(_logger, name);
        }

        // The run's source outlives every watcher: the run awaits them all before it ends.
        await run.CancelAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Gives back, once the shards and dispatchers have stopped, the leases of the work this engine claimed and will not
    /// do: enrollments claimed or created leased to it and not committed, and messages handed over by commits that no
    /// dispatcher took (<see cref="LeaseRenewal.Unfinished"/>). Another host, or this one's next start, then claims them
    /// at once instead of after <see cref="JourneysOptions.LeaseDuration"/>. A message whose send started is not given
    /// back (its lease runs out as before: its provider may have accepted it). Bounded by
    /// <see cref="RecordOnStopTimeout"/>; a store that fails, or does not implement the release, leaves the leases to
    /// expire, as after a crash.
    /// </summary>
    private async ValueTask HandBackAsync()
    {
        var (enrollments, messages) = _renewal.Unfinished();
        while (_leasedAtEntry.TryDequeue(out var leased))
        {
            foreach (var item in leased)
            {
                enrollments.Add(item.Claim.Id);
            }
        }

        while (_uncommittedAtStop.TryDequeue(out var id))
        {
            enrollments.Add(id);
        }

        while (_unsentAtStop.TryDequeue(out var messageId))
        {
            messages.Add(messageId);
        }

        Guid[] ids = [.. enrollments.Distinct()];
        if (ids.Length == 0 && messages.Count == 0)
        {
            return;
        }

        using var bounded = new CancellationTokenSource(RecordOnStopTimeout);
        var released = 0;
        try
        {
            if (ids.Length > 0)
            {
                released += Count(await _enrollments.ReleaseLeasesAsync(_options.OwnerId, ids, bounded.Token).ConfigureAwait(false));
            }

            if (messages.Count > 0)
            {
                released += Count(await _outbox.ReleaseLeasesAsync(_options.OwnerId, messages, bounded.Token).ConfigureAwait(false));
            }

            LogHandedBack(_logger, ids.Length + messages.Count, released);
        }
        catch (Exception ex)
        {
            StoreFailed("lease release at stop", ex);
        }

        static int Count(IReadOnlyList<bool> released)
        {
            var count = 0;
            foreach (var one in released)
            {
                count += one ? 1 : 0;
            }

            return count;
        }
    }

    /// <summary>
    /// Whether the dispatcher loops run on threads of their own (<see cref="LoopThread"/>): with the in-memory store, whose
    /// calls complete at once, a dispatcher loop woken by a commit's hand-off is otherwise a thread-pool continuation
    /// queued behind the shards' batches (on 2 cores both pool threads are often running one when 2,000 timers fall due
    /// together), and the follow-up message waits for a batch to end; on its own thread the kernel runs it beside them.
    /// The shards stay on the pool (measured on their own threads too: more threads than cores taking turns, no gain).
    /// With a database store the dispatcher waits for the database on most messages and stays on the pool (a thread of
    /// its own would add a hop back to it after every call).
    /// </summary>
    internal bool UsesDispatcherThreads => _memoryOutbox is not null;

    private Task StartDispatcherLoop(string name, Func<DispatchWindow, Task> loop)
    {
        return UsesDispatcherThreads ? LoopThread.Start(name, RunWithWindowAsync) : Task.Run(RunWithWindowAsync, CancellationToken.None);

        // The loop's window: the batches it still finishes in the background have ended when the loop's task does.
        async Task RunWithWindowAsync()
        {
            var window = new DispatchWindow(_options.MaxConcurrentSends);
            try
            {
                await loop(window).ConfigureAwait(true);
            }
            finally
            {
                await window.DrainAsync().ConfigureAwait(true);
            }
        }
    }

    private async Task RunPumpAsync(CancellationToken stoppingToken)
    {
        var claimSize = _options.BatchSize * _shards.Length;
        while (!stoppingToken.IsCancellationRequested)
        {
            // Enrollments created leased to this engine first: they need no claim, only routing.
            if (!await RouteLeasedAtEntryAsync(stoppingToken).ConfigureAwait(false))
            {
                return;
            }

            IReadOnlyList<WorkItem> claimed;
            DateTimeOffset claimedAt;
            try
            {
                claimedAt = _time.GetUtcNow();
                claimed = await _enrollments.ClaimAsync(_options.OwnerId, claimedAt, claimSize, _options.LeaseDuration, stoppingToken).ConfigureAwait(false);
                _health.StoreSucceeded("claim");
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                StoreFailed("claim", ex);
                await IdleAsync(_workSignal, _time.GetUtcNow() + TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
                continue;
            }

            if (!await RouteToShardsAsync(claimed, leasedAtEntry: false, stoppingToken).ConfigureAwait(false))
            {
                return;
            }

            if (claimed.Count >= claimSize)
            {
                continue;
            }

            var next = await NextWakeAsync(claimedAt, stoppingToken).ConfigureAwait(false);
            await IdleAsync(_workSignal, next, stoppingToken, holdUntilDue: true).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// When the pump must look again: the next timer, capped at <see cref="JourneysOptions.MaxIdle"/> from
    /// <paramref name="lookedAt"/>, the clock reading of the last claim (as <see cref="NextDueAsync"/>: work leased to
    /// an owner whose lease expires comes back by the cap, which counts from the claim).
    /// </summary>
    private async ValueTask<DateTimeOffset> NextWakeAsync(DateTimeOffset lookedAt, CancellationToken stoppingToken)
    {
        var latest = lookedAt + _options.MaxIdle;
        try
        {
            var next = await _enrollments.GetNextWakeAsync(stoppingToken).ConfigureAwait(false);
            _health.StoreSucceeded("next wake");
            return next is { } due && due < latest ? due : latest;
        }
        catch (Exception ex) when (IsFailure(ex, stoppingToken))
        {
            StoreFailed("next wake", ex);
            return _time.GetUtcNow() + TimeSpan.FromSeconds(1);
        }
    }

    /// <summary>
    /// Waits for a signal or until <paramref name="due"/> on the engine's clock, whichever comes first. The wait is
    /// for an instant, not a duration: if the clock moves while the timer is being set up (a fake clock can jump), the
    /// timer is set up again, and an instant the clock reached meanwhile ends the wait at once
    /// (<see cref="MustSetAgain"/>), so a due timer is never overslept. With <paramref name="holdUntilDue"/> (the pump waiting
    /// for the next enrollment timer) on the system clock, the wait is <see cref="SystemClockWaiter"/>'s (a thread woken by
    /// the kernel's timer, within about a millisecond of the instant, instead of the .NET timer queue's coarse tick: 0–4 ms
    /// late on a 250 Hz Linux kernel), and with a <see cref="JourneysOptions.TimerWakeLead"/> (off by default) it ends
    /// that much early and the rest is held (<see cref="HoldUntilAsync"/>, a busy wait). Waking early never runs a timer
    /// early: the store claims only timers due at the claim's clock reading.
    /// </summary>
    private async Task IdleAsync(Channel<bool> signal, DateTimeOffset due, CancellationToken stoppingToken, bool holdUntilDue = false)
    {
        if (signal.Reader.TryRead(out _))
        {
            return;
        }

        if (!holdUntilDue && SynchronizationContext.Current is LoopThread)
        {
            await IdleOnLoopThreadAsync(signal, due, stoppingToken).ConfigureAwait(true);
            return;
        }

        var lead = holdUntilDue ? _wakeLead : TimeSpan.Zero;
        for (var attempt = 0; ; attempt++)
        {
            var now = _time.GetUtcNow();
            if (due <= now)
            {
                return;
            }

            if (due - now <= lead)
            {
                await HoldUntilAsync(signal, due, stoppingToken).ConfigureAwait(false);
                return;
            }

            using var idle = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var timer = holdUntilDue && _timerWaiter is { } precise
                ? precise.WaitUntilAsync(due - lead, idle.Token)
                : Task.Delay(WholeMilliseconds(due - lead - now), _time, idle.Token);
            if (MustSetAgain(_time, now, due - lead, attempt))
            {
                await idle.CancelAsync().ConfigureAwait(false);
                continue;
            }

            var wait = signal.Reader.WaitToReadAsync(idle.Token).AsTask();
            var first = await Task.WhenAny(wait, timer).ConfigureAwait(false);
#pragma warning disable CA1849 // Synchronous: the pump stays on the thread that woke it (SystemClockWaiter's).
            idle.Cancel();
#pragma warning restore CA1849
            if (signal.Reader.TryRead(out _) || first != timer || lead == TimeSpan.Zero || stoppingToken.IsCancellationRequested)
            {
                return;
            }

            // The early timer fired: the next turn holds until the due instant (or sets the timer again if the clock
            // says it is still further away than the lead).
        }
    }

    /// <summary>
    /// <see cref="IdleAsync"/> for a loop on its own thread (<see cref="LoopThread"/>): the signal's channel is awaited
    /// directly on the loop's thread, so a writer (a shard's commit handing messages over) queues the loop's continuation
    /// straight to that thread. (Through <see cref="Task.WhenAny(Task[])"/> the channel would first complete its task on
    /// the thread pool, and only that pool work item would queue the loop: two wake-ups, one of them behind whatever the
    /// pool runs.) The timer and stopping end the wait by writing the signal themselves: a wake-up without work only
    /// makes the loop look once more.
    /// </summary>
    private async Task IdleOnLoopThreadAsync(Channel<bool> signal, DateTimeOffset due, CancellationToken stoppingToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var now = _time.GetUtcNow();
            if (due <= now || stoppingToken.IsCancellationRequested)
            {
                return;
            }

            using var timer = _time.CreateTimer(static state => ((Channel<bool>)state!).Writer.TryWrite(true), signal, WholeMilliseconds(due - now), Timeout.InfiniteTimeSpan);
            if (MustSetAgain(_time, now, due, attempt))
            {
                continue;
            }

            using var stopping = stoppingToken.UnsafeRegister(static state => ((Channel<bool>)state!).Writer.TryWrite(true), signal);
            await signal.Reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(true);
            signal.Reader.TryRead(out _);
            return;
        }
    }

    /// <summary>
    /// Holds the pump until <paramref name="due"/> (about <see cref="JourneysOptions.TimerWakeLead"/>, never more than twice it), yielding:
    /// each turn goes back to the end of the thread pool's queue, so the shards and the dispatcher run in between and
    /// no pool thread is held. A signal (new work) or stopping ends the hold at once.
    /// </summary>
    private async Task HoldUntilAsync(Channel<bool> signal, DateTimeOffset due, CancellationToken stoppingToken)
    {
        var started = _time.GetTimestamp();
        while (_time.GetUtcNow() < due && !stoppingToken.IsCancellationRequested && !signal.Reader.TryRead(out _))
        {
            // The wall clock can be stepped back (time synchronisation): the hold is bounded on the monotonic clock, and
            // the pump then claims (nothing due yet) and waits again.
            if (_time.GetElapsedTime(started) > 2 * _wakeLead)
            {
                return;
            }

            await Task.Yield();
        }
    }

    /// <summary>
    /// A wait rounded up to whole milliseconds. The system clock's timers count whole milliseconds and drop the rest: a
    /// wait of 0.6 ms would end at once, the due timer would not be due yet, and the pump would spin until it is.
    /// </summary>
    internal static TimeSpan WholeMilliseconds(TimeSpan wait)
    {
        var remainder = wait.Ticks % TimeSpan.TicksPerMillisecond;
        return remainder == 0 ? wait : wait + TimeSpan.FromTicks(TimeSpan.TicksPerMillisecond - remainder);
    }

    private static readonly TimeSpan ClockJumpTolerance = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// Whether a timer just set up to fire at <paramref name="fireAt"/>, for the time left from the clock reading
    /// <paramref name="now"/>, must be set up again (the caller's loop then reads the clock anew): the clock reached
    /// <paramref name="fireAt"/> meanwhile (the timer counts from its own setup and would fire late, on a fake clock that
    /// no longer moves never: the wait ends at once instead), or it moved while the timer was set up (a fake clock's
    /// advance, however small; on the system clock more than <see cref="ClockJumpTolerance"/>), for the first attempts.
    /// </summary>
    internal static bool MustSetAgain(TimeProvider time, DateTimeOffset now, DateTimeOffset fireAt, int attempt)
    {
        var armed = time.GetUtcNow();
        var tolerance = ReferenceEquals(time, TimeProvider.System) ? ClockJumpTolerance : TimeSpan.Zero;
        return armed >= fireAt || (armed - now > tolerance && attempt < 3);
    }

    /// <summary>The shortest time slice of a shard batch: about the resolution of the operating system's timers.</summary>
    internal static readonly TimeSpan MinBatchSlice = TimeSpan.FromMilliseconds(1);

    private async Task RunShardAsync(ChannelReader<WorkItem> inbox, CancellationToken stoppingToken)
    {
        var batch = new List<WorkItem>(_options.BatchSize);
        var checkpoints = new List<EnrollmentCheckpoint>(_options.BatchSize);
        var reused = _reuseCheckpoints ? new ReusedCheckpoints() : null;
        var fields = new FieldBuffer();
        var slices = new BatchSlice((long)(MinBatchSlice.TotalSeconds * _time.TimestampFrequency));

        // Items a batch read up front but did not run before its slice ended: the next batch runs them first.
        var carried = new List<WorkItem>();

        // The customers those items were read with (a database store): the next batch reads only the others.
        var carriedCustomers = new Dictionary<string, Customer?>(StringComparer.Ordinal);
        while (carried.Count > 0 || await inbox.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            batch.Clear();
            checkpoints.Clear();
            if (stoppingToken.IsCancellationRequested)
            {
                // Shutting down: leave the claimed work to its lease; another host (or the next start) takes it.
                Interlocked.Add(ref _inFlight, -carried.Count);
                carried.Clear();
                carriedCustomers.Clear();
                while (batch.Count < _options.BatchSize && inbox.TryRead(out var item))
                {
                    batch.Add(item);
                }

                Interlocked.Add(ref _inFlight, -batch.Count);
                continue;
            }

            await ProcessBatchAsync(inbox, batch, carried, carriedCustomers, checkpoints, reused, fields, slices, stoppingToken).ConfigureAwait(false);

            // Let the batch go now, not when the next one starts: while the shard waits for work, reused lists that
            // still held the last batch's items and checkpoints (their enrollments and messages) would keep them alive
            // into the next gen0 collection, which would promote them with the engine's live state.
            batch.Clear();
            checkpoints.Clear();
            reused?.ReleaseAll();
        }
    }

    /// <summary>
    /// Whether <paramref name="exception"/> is a cancellation that is not this engine's stop: a store or sender call
    /// cancelled by a token of its own (a timeout). Such a call failed; treated as the engine's stop, it would end the
    /// loop that made it (a shard worker, whose inbox then fills and stalls the pump).
    /// </summary>
    private static bool IsStrayCancellation(Exception exception, CancellationToken stoppingToken) =>
        exception is OperationCanceledException && !stoppingToken.IsCancellationRequested;

    /// <summary>Whether <paramref name="exception"/> is a failure, anything but the engine's stop (a stray cancellation included).</summary>
    private static bool IsFailure(Exception exception, CancellationToken stoppingToken) =>
        !(exception is OperationCanceledException && stoppingToken.IsCancellationRequested);

    /// <summary>
    /// Takes work items (those carried from the previous batch, then the shard's inbox's, up to
    /// <see cref="JourneysOptions.BatchSize"/>) and runs them, then commits them with one store call. A batch ends when its
    /// items ran or when running them has taken its time slice (<see cref="BatchSlice"/>, at least
    /// <see cref="MinBatchSlice"/>; the rest are carried): nothing a batch did is visible before its commit, so the slice bounds how long a
    /// resumed enrollment (a timer that fell due with many others) waits for the rest of its batch, and how many
    /// enrollments one batch's clock reading (<c>now</c>) makes due together later. The slice counts from the end of the
    /// batch's customer read: a read that alone outlasted the slice would otherwise end every batch after one item (each
    /// batch re-reading the customers of all the items it carries on), until the slice had doubled past the read's time.
    /// The customers of carried items are carried with them (<paramref name="carriedCustomers"/>) and not read again,
    /// except those the batch's own checkpoints update.
    /// </summary>
    private async Task ProcessBatchAsync(
        ChannelReader<WorkItem> inbox, List<WorkItem> batch, List<WorkItem> carried, Dictionary<string, Customer?> carriedCustomers, List<EnrollmentCheckpoint> checkpoints,
        ReusedCheckpoints? reused, FieldBuffer fieldBuffer, BatchSlice slices, CancellationToken stoppingToken)
    {
        using var activity = JourneysTelemetry.ActivitySource.StartActivity("journeys.batch");
        activity?.SetTag("journeys.owner", _options.OwnerId);
        var started = _time.GetTimestamp();
        var now = _time.GetUtcNow();
        var slice = slices.Ticks;
        var sliceEnded = false;
        var moreWork = false;
        // The batch's items are taken up front: those a previous batch left when its slice ended, then the inbox's, so
        // a customer store other than the in-memory one is read once for all of them. Items the slice leaves go back to
        // `carried`, with their customers unless this batch updates them (those are read again with the next batch).
        batch.AddRange(carried);
        carried.Clear();
        Dictionary<string, Customer?>? known = null;
        if (carriedCustomers.Count > 0)
        {
            known = new Dictionary<string, Customer?>(carriedCustomers, StringComparer.Ordinal);
            carriedCustomers.Clear();
        }

        while (batch.Count < _options.BatchSize && inbox.TryRead(out var queued))
        {
            batch.Add(queued);
        }

        var next = 0;
        Dictionary<string, Customer?>? customers;
        try
        {
            customers = await ReadCustomersAsync(batch, known, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is StoreUnavailableException || IsStrayCancellation(ex, stoppingToken))
        {
            // As for a single read below: the batch is given back uncommitted and runs again when its leases expire.
            StoreFailed("customer read", ex);
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, "customer read failed");
            Interlocked.Add(ref _inFlight, -batch.Count);
            _renewal.Finished(batch);
            return;
        }

        CompiledJourney? previous = null;
        var running = _time.GetTimestamp();
        while (next < batch.Count)
        {
            if (next > 0 && _time.GetTimestamp() - running >= slice)
            {
                sliceEnded = true;
                carried.AddRange(CollectionsMarshal.AsSpan(batch)[next..]);
                batch.RemoveRange(next, batch.Count - next);
                CarryCustomers(carried, customers, checkpoints, carriedCustomers);
                break;
            }

            // Each enrollment runs at its own clock reading, not at the batch's: a delay then makes the enrollments of
            // one batch due spread over the time the batch ran, as they ran, instead of all at one instant, so at resume
            // time they come back as a stream the shard keeps up with rather than a burst each of whose enrollments
            // waits for all the others. (The first one's reading is the batch's.)
            if (next > 0)
            {
                now = _time.GetUtcNow();
            }

            var item = batch[next++];

            // The claimed state's fields, read without building the item's Enrollment record (the in-memory store's items
            // build it only if something reads it).
            var enrollment = item.Claim;
            CompiledJourney? journey;
            try
            {
                // A batch is mostly one version: the one the previous enrollment used is taken without a cache lookup.
                journey = previous is not null && previous.Version == enrollment.Version && string.Equals(previous.Id, enrollment.JourneyId, StringComparison.Ordinal)
                    ? previous
                    : await _journeys.GetAsync(enrollment.JourneyId, enrollment.Version, stoppingToken).ConfigureAwait(false);
                previous = journey;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The version no longer compiles (say, a field it uses was removed): end its enrollments visibly.
                LogEnrollmentFailed(_logger, enrollment.JourneyId, enrollment.Version, enrollment.CurrentNodeId, ex);
                checkpoints.Add(FailWithoutJourney(item.Enrollment, $"journey version does not compile: {ex.GetType().Name}", now));
                continue;
            }

            if (journey is null)
            {
                // The version was deleted under it: end it rather than claim it again forever.
                LogMissingVersion(_logger, enrollment.JourneyId, enrollment.Version);
                checkpoints.Add(FailWithoutJourney(item.Enrollment, "journey version not found", now));
                continue;
            }

            var fields = fieldBuffer.For(journey.Schema);
            string? zoneId;
            try
            {
                if (_memoryCustomers is { } memory)
                {
                    // The in-memory store decodes its compact record straight into the slots: no Customer is built.
                    memory.FillSlots(enrollment.CustomerId, journey.Schema, fields, out zoneId, journey.ReadSlots);
                }
                else
                {
                    var customer = (customers is not null ? customers[enrollment.CustomerId] : await _customers.GetAsync(enrollment.CustomerId, stoppingToken).ConfigureAwait(false))
                        ?? new Customer(enrollment.CustomerId);
                    CustomerSlots.Fill(customer, journey.Schema, fields);
                    zoneId = customer.TimeZoneId;
                }
            }
            catch (Exception ex) when (ex is StoreUnavailableException || IsStrayCancellation(ex, stoppingToken))
            {
                // The customer store's database is lost (through all its retries), or a call of it was cancelled by a
                // token of its own (a store's timeout; not this engine's stop): the enrollment did nothing wrong and
                // must not fail for it. The batch is given back uncommitted; its leases expire and it runs again. Any
                // other failure of the read fails just this enrollment, visibly (below).
                StoreFailed("customer read", ex);
                activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, "customer read failed");
                Interlocked.Add(ref _inFlight, -batch.Count);
                _renewal.Finished(batch);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogEnrollmentFailed(_logger, enrollment.JourneyId, enrollment.Version, enrollment.CurrentNodeId, ex);
                checkpoints.Add(StepExecutor.Fail(journey, item, $"engine error: {ex.GetType().Name}", now, _checkpointStateRecords, reused?.Next()));
                continue;
            }

            try
            {
                var zone = zoneId is { } zoneName ? _zones.GetOrAdd(zoneName, FindZone) ?? journey.Zone : journey.Zone;
                checkpoints.Add(StepExecutor.Execute(journey, item, fields, zone, now, _checkpointStateRecords, _logger, reused?.Next()));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One enrollment that cannot run must not stop its shard or come back forever: it fails, visibly.
                LogEnrollmentFailed(_logger, enrollment.JourneyId, enrollment.Version, enrollment.CurrentNodeId, ex);
                checkpoints.Add(StepExecutor.Fail(journey, item, $"engine error: {ex.GetType().Name}", now, _checkpointStateRecords, reused?.Next()));
            }
        }

        // Every customer read of the batch succeeded (a store that was lost returned above).
        _health.StoreSucceeded("customer read");
        activity?.SetTag("journeys.batch.size", batch.Count);
        var committed = false;
        try
        {
            var committing = _time.GetTimestamp();
            var handoff = Volatile.Read(ref _handedOver) < HandoffCapacity ? new OutboxHandoff(_time.GetUtcNow(), _options.LeaseDuration) : null;
            var withdrawals = Withdrawals;
            var applied = await _enrollments.CommitAsync(_options.OwnerId, checkpoints, handoff, stoppingToken).ConfigureAwait(false);
            committed = true;
            _health.StoreSucceeded("commit");
            var committedAt = JourneysTelemetry.StepLatency.Enabled ? _time.GetTimestamp() : 0;
            NoteWithdrawals(checkpoints, applied);
            if (sliceEnded)
            {
                slices.Adapt(committing - started, _time.GetTimestamp() - committing);
            }

            var anyOutbox = false;
            var handed = 0;
            for (var i = 0; i < applied.Count; i++)
            {
                if (applied[i])
                {
                    // The sends as the executor left them: no OutboxMessage record is built for them.
                    var outbox = checkpoints[i].Sends;
                    anyOutbox |= outbox.Count > 0;
                    moreWork |= checkpoints[i].Status is EnrollmentStatus.Active or EnrollmentStatus.Waiting;
                    if (handoff is not null)
                    {
                        for (var m = 0; m < outbox.Count; m++)
                        {
                            handed += handoff.CoversDue(outbox.DueAt(m)) ? 1 : 0;
                        }
                    }
                }
                else
                {
                    LogStaleCommit(_logger, checkpoints[i].Identity.Id);
                }
            }

            if (handed > 0)
            {
                HandOver(checkpoints, applied, handoff!, handed, withdrawals);
            }

            if (anyOutbox)
            {
                NotifyOutbox();
            }

            // Not cancelled by a stop: the commit changed the customers, and nothing after it would re-check them (a stop
            // here lost their entries into the filter journeys they now match, for good).
            moreWork |= await RecheckFilterEntriesAsync(checkpoints, applied, CancellationToken.None).ConfigureAwait(false) > 0;

            // Only what the store applied: a checkpoint refused as stale wrote nothing, and its work runs again (and is
            // measured then). The batch's items and its checkpoints are in the same order, one checkpoint per item.
            int steps = 0, entered = 0, converted = 0;
            var lateness = JourneysTelemetry.TimerLateness.Enabled;
            for (var i = 0; i < applied.Count; i++)
            {
                if (applied[i])
                {
                    var claim = batch[i].Claim;
                    if (committedAt != 0 && batch[i].RoutedAt is var routedAt and not 0)
                    {
                        JourneysTelemetry.StepLatency.Record(_time.GetElapsedTime(routedAt, committedAt).TotalSeconds);
                    }

                    steps++;
                    entered += claim.Visit == 0 ? 1 : 0;
                    converted += checkpoints[i].Status == EnrollmentStatus.Converted ? 1 : 0;
                    if (lateness && claim.Status == EnrollmentStatus.Waiting && claim.WakeAt is { } due && due <= now)
                    {
                        JourneysTelemetry.TimerLateness.Record((now - due).TotalSeconds);
                    }
                }
            }

            JourneysTelemetry.Steps.Add(steps);
            JourneysTelemetry.Entered.Add(entered);
            JourneysTelemetry.Converted.Add(converted);
        }
        catch (Exception ex) when (IsFailure(ex, stoppingToken))
        {
            // Nothing of the batch is committed; the leases expire and the work is claimed again.
            StoreFailed("commit", ex);
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, "commit failed");
            moreWork = true;
        }
        finally
        {
            JourneysTelemetry.BatchDuration.Record(_time.GetElapsedTime(started).TotalSeconds);
            Interlocked.Add(ref _inFlight, -batch.Count);
            if (!committed && stoppingToken.IsCancellationRequested)
            {
                foreach (var item in batch)
                {
                    _uncommittedAtStop.Enqueue(item.Claim.Id);
                }
            }

            _renewal.Finished(batch);

            // The pump looks again only when the batch can have made work: an enrollment still active or waiting (it
            // may be ready again, have a new timer, or have had an event while it was leased), new filter entries, a
            // failed commit. A batch whose enrollments all ended wakes nobody.
            if (moreWork)
            {
                NotifyWork();
            }
        }
    }

    /// <summary>
    /// Keeps the customers of the <paramref name="carried"/> items for the next batch, except customers an update node of
    /// this batch changed (<paramref name="checkpoints"/>): the next batch must see this one's committed fields.
    /// </summary>
    private static void CarryCustomers(List<WorkItem> carried, Dictionary<string, Customer?>? customers, List<EnrollmentCheckpoint> checkpoints, Dictionary<string, Customer?> carriedCustomers)
    {
        if (customers is null)
        {
            return;
        }

        foreach (var item in carried)
        {
            var id = item.Claim.CustomerId;
            if (customers.TryGetValue(id, out var customer))
            {
                carriedCustomers[id] = customer;
            }
        }

        foreach (var checkpoint in checkpoints)
        {
            foreach (var update in checkpoint.CustomerUpdates)
            {
                carriedCustomers.Remove(update.CustomerId);
            }
        }
    }

    /// <summary>
    /// A commit that converted an enrollment, or left a retargeting node by its conversion event
    /// (<see cref="EnrollmentCheckpoint.WithdrawNodeIds"/>), may have withdrawn messages that had not gone out (see
    /// <see cref="IEnrollmentStore.CommitAsync"/>), as a cancel does: the dispatcher then checks, before sending, that it
    /// still holds what it took before (<see cref="Withdrawals"/>). A store that counts its withdrawing commits
    /// (<see cref="IWithdrawalCounter"/>) advances <see cref="Withdrawals"/> itself, only when something went; for another
    /// store, one check per dispatcher batch taken before such a commit.
    /// </summary>
    private void NoteWithdrawals(List<EnrollmentCheckpoint> checkpoints, IReadOnlyList<bool> applied)
    {
        if (_withdrawingCommits is not null)
        {
            return;
        }

        for (var i = 0; i < applied.Count; i++)
        {
            if (applied[i] && (checkpoints[i].Status == EnrollmentStatus.Converted || checkpoints[i].WithdrawNodeIds.Count > 0))
            {
                _stopGuard?.NoteWithdrawal();
                return;
            }
        }
    }

    /// <summary>
    /// Queues the <paramref name="count"/> messages of the applied checkpoints that the commit leased to this engine
    /// (<see cref="OutboxHandoff.Covers"/>) for the dispatcher, held by the lease renewal from now until they are settled.
    /// <paramref name="withdrawals"/> is <see cref="Withdrawals"/> read before the commit.
    /// </summary>
    private void HandOver(List<EnrollmentCheckpoint> checkpoints, IReadOnlyList<bool> applied, OutboxHandoff handoff, int count, long withdrawals)
    {
        var messages = new OutboundMessage[count];
        var next = 0;
        for (var i = 0; i < applied.Count; i++)
        {
            if (!applied[i])
            {
                continue;
            }

            var outbox = checkpoints[i].Sends;
            for (var m = 0; m < outbox.Count; m++)
            {
                if (handoff.CoversDue(outbox.DueAt(m)))
                {
                    messages[next++] = outbox.Message(m)!;
                }
            }
        }

        _renewal.Sending(messages, handoff.ExpiresAt);
        Interlocked.Add(ref _handedOver, count);

        // A batch's messages are all of its shard's customers: the shard is found as the pump routes the customer.
        var shard = LeaseRenewal.ShardOf(messages[0].CustomerId, _shards.Length);
        _handoffs[shard].Enqueue((messages, withdrawals));
        if (shard != 0)
        {
            // Loop 0 is woken by the commit's NotifyOutbox.
            _handoffSignals[shard].Writer.TryWrite(true);
        }
    }

    /// <summary>
    /// The customers of a batch read with one store call (<see cref="ICustomerStore.GetManyAsync"/>: one query on a
    /// database store instead of one per enrollment), or <see langword="null"/> on the in-memory store (read straight
    /// into slots) and when the batch read fails otherwise: then each enrollment reads its own customer, so a failure
    /// fails only the enrollments whose read fails, as before. <see cref="StoreUnavailableException"/> propagates.
    /// Customers in <paramref name="known"/> (carried from the previous batch with their items) are not read again.
    /// </summary>
    private async ValueTask<Dictionary<string, Customer?>?> ReadCustomersAsync(List<WorkItem> batch, Dictionary<string, Customer?>? known, CancellationToken stoppingToken)
    {
        if (_memoryCustomers is not null)
        {
            return null;
        }

        var ids = new List<string>(batch.Count);
        var seen = new HashSet<string>(batch.Count, StringComparer.Ordinal);
        foreach (var item in batch)
        {
            if ((known is null || !known.ContainsKey(item.Claim.CustomerId)) && seen.Add(item.Claim.CustomerId))
            {
                ids.Add(item.Claim.CustomerId);
            }
        }

        var customers = known ?? new Dictionary<string, Customer?>(ids.Count, StringComparer.Ordinal);
        if (ids.Count == 0)
        {
            return customers;
        }

        IReadOnlyList<Customer?> read;
        try
        {
            read = await _customers.GetManyAsync(ids, stoppingToken).ConfigureAwait(false);
            _health.StoreSucceeded("customer batch read");
            if (read.Count != ids.Count)
            {
                throw new InvalidOperationException($"The customer store returned {read.Count} customers for {ids.Count} ids.");
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not StoreUnavailableException)
        {
            StoreFailed("customer batch read", ex);
            return null;
        }

        for (var i = 0; i < ids.Count; i++)
        {
            customers[ids[i]] = read[i];
        }

        return customers;
    }

    /// <summary>
    /// Customers whose fields an update node changed may now match a filter journey: they enter it, as customers put
    /// through the API do. The batch is committed already, so a failure here is logged and the batch stands.
    /// </summary>
    /// <returns>How many enrollments were created (the pump must look for them).</returns>
    private async ValueTask<int> RecheckFilterEntriesAsync(List<EnrollmentCheckpoint> checkpoints, IReadOnlyList<bool> applied, CancellationToken stoppingToken)
    {
        if (_filters is null)
        {
            return 0;
        }

        var updates = 0;
        for (var i = 0; i < applied.Count; i++)
        {
            updates += applied[i] && checkpoints[i].CustomerUpdateCount > 0 ? 1 : 0;
        }

        if (updates == 0)
        {
            return 0;
        }

        try
        {
            // Most hosts have no filter journey: then nobody needs the changed customers, and they are not collected.
            var active = await _filters.FindActiveFiltersAsync(stoppingToken).ConfigureAwait(false);
            if (active is null)
            {
                return 0;
            }

            var changed = new HashSet<string>(updates, StringComparer.Ordinal);
            for (var i = 0; i < applied.Count; i++)
            {
                if (applied[i] && checkpoints[i].CustomerUpdateCount > 0)
                {
                    changed.Add(checkpoints[i].Identity.CustomerId);
                }
            }

            return await _filters.EnrollMatchingAsync(changed, active, stoppingToken, EnrollAsync).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsFailure(ex, stoppingToken))
        {
            LogRecheckFailed(_logger, updates, ex);
            return 0;
        }
    }

    /// <summary>
    /// A shard's batch time slice, in timestamp ticks: <see cref="MinBatchSlice"/> while commits are cheap next to the
    /// work they commit, longer when they are not. After a batch that its slice ended (so there was more work waiting),
    /// the slice doubles when the commit took more than a quarter of the batch's running time (a store whose commit is a
    /// database round trip gets batches large enough to pay for it) and halves, down to the minimum, when it took less
    /// than an eighth. The in-memory store's commit is meant to stay below a quarter of the work it commits, so its slice
    /// stays at or near the minimum (a machine so loaded that commits wait for the CPU lengthens it). Batches that ended for lack of work or at <see cref="JourneysOptions.BatchSize"/> say nothing about the
    /// slice and leave it as it is.
    /// </summary>
    private sealed class BatchSlice
    {
        // Bounds the doubling; BatchSize bounds a batch long before.
        private const int MaxDoublings = 10;

        private readonly long _minimum;
        private long _ticks;

        public BatchSlice(long minimum)
        {
            _minimum = minimum;
            _ticks = minimum;
        }

        public long Ticks => _ticks;

        public void Adapt(long runTicks, long commitTicks)
        {
            if (commitTicks * 4 > runTicks)
            {
                _ticks = Math.Min(_ticks * 2, _minimum << MaxDoublings);
            }
            else if (commitTicks * 8 < runTicks)
            {
                _ticks = Math.Max(_ticks / 2, _minimum);
            }
        }
    }

    /// <summary>
    /// A shard's slot array, reused from one enrollment to the next: <see cref="CustomerSlots.Fill"/> rewrites every
    /// slot, and nothing the executor returns refers to the array (update nodes change it only during the run).
    /// </summary>
    private sealed class FieldBuffer
    {
        private FieldValue[] _values = [];

        /// <summary>An array of exactly the schema's length (the executor bounds slots by the array's length).</summary>
        public FieldValue[] For(CustomerFieldSchema schema)
        {
            var length = schema.Fields.Count;
            if (_values.Length != length)
            {
                _values = new FieldValue[length];
            }

            return _values;
        }
    }

    private static EnrollmentCheckpoint FailWithoutJourney(Enrollment enrollment, string reason, DateTimeOffset now) => new(
        enrollment with
        {
            Status = EnrollmentStatus.Failed,
            EndReason = reason,
            WakeAt = null,
            AwaitedEvent = null,
            WakeEvents = EquatableArray<string>.Empty,
            UpdatedAt = now,
        },
        enrollment.ConcurrencyToken,
        [],
        [],
        enrollment.Visit == 0
            ? [new StatisticDelta(enrollment.JourneyId, enrollment.Version, null, StatisticCounter.Entered), new StatisticDelta(enrollment.JourneyId, enrollment.Version, null, StatisticCounter.Failed)]
            : [new StatisticDelta(enrollment.JourneyId, enrollment.Version, null, StatisticCounter.Failed)]);

    private static TimeZoneInfo? FindZone(string id) => TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : null;

    /// <summary>
    /// Sends what commits handed over (from memory, in commit order) and what the store has due (retries, messages held
    /// over quiet hours, messages of a crashed host or of commits past <see cref="HandoffCapacity"/>). While hand-offs
    /// keep coming, the store is still looked at after every <see cref="StoreLookEvery"/>-th of them, so they cannot
    /// starve it; when there is nothing to do, the dispatcher waits for a signal or the next due message.
    /// </summary>
    /// <remarks>
    /// The dispatcher loops await with <c>ConfigureAwait(true)</c>: on a <see cref="LoopThread"/> (<see cref="UsesDispatcherThreads"/>)
    /// that brings them back to their own thread; started on the thread pool they have no context to capture, as before.
    /// </remarks>
    private async Task RunDispatcherAsync(DispatchWindow window, CancellationToken stoppingToken)
    {
        var sinceStoreLook = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            if (!await ReadyForBatchAsync(window, _outboxSignal, stoppingToken).ConfigureAwait(true))
            {
                continue;
            }

            if (_handoffs[0].TryDequeue(out var handed))
            {
                Interlocked.Add(ref _handedOver, -handed.Messages.Length);
                if (!await SendAsync(handed.Messages, handed.Withdrawals, window, stoppingToken).ConfigureAwait(true))
                {
                    continue;
                }

                if (++sinceStoreLook < StoreLookEvery && !_handoffs[0].IsEmpty)
                {
                    continue;
                }
            }

            sinceStoreLook = 0;
            OutboundMessage[] claimed;
            var withdrawals = Withdrawals;
            var claimedAt = _time.GetUtcNow();
            try
            {
                // A batch another dispatcher loop settles while this claim runs is still left out of it (ClaimStarting).
                _renewal.ClaimStarting();
                try
                {
                    // As the store's ClaimAsync does: a stopping engine leases nothing more.
                    stoppingToken.ThrowIfCancellationRequested();
                    claimed = _memoryOutbox is { } memory
                        ? memory.ClaimMessages(_options.OwnerId, claimedAt, _options.BatchSize, _options.LeaseDuration)
                        : Messages(await _outbox.ClaimAsync(_options.OwnerId, claimedAt, _options.BatchSize, _options.LeaseDuration, stoppingToken).ConfigureAwait(true));
                    claimed = _renewal.WithoutHeld(claimed, claimedAt);
                    _health.StoreSucceeded("outbox claim");
                }
                finally
                {
                    _renewal.ClaimEnded();
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                StoreFailed("outbox claim", ex);
                await IdleAsync(_outboxSignal, _time.GetUtcNow() + TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(true);
                continue;
            }

            if (claimed.Length == 0)
            {
                if (_handoffs[0].IsEmpty)
                {
                    await IdleAsync(_outboxSignal, await NextDueAsync(claimedAt, stoppingToken).ConfigureAwait(true), stoppingToken).ConfigureAwait(true);
                }

                continue;
            }

            // The store leased them until claimedAt + lease: the same expiry here keeps WithoutHeld exact.
            _renewal.Sending(claimed, claimedAt + _options.LeaseDuration);
            await SendAsync(claimed, withdrawals, window, stoppingToken).ConfigureAwait(true);
        }
    }

    // The messages of a store's claim (the in-memory store's own claim returns them without the records).
    private static OutboundMessage[] Messages(IReadOnlyList<OutboxMessage> due)
    {
        var messages = new OutboundMessage[due.Count];
        for (var i = 0; i < messages.Length; i++)
        {
            messages[i] = due[i].Message;
        }

        return messages;
    }

    /// <summary>
    /// Sends the hand-offs of shard <paramref name="shard"/> (not 0: <see cref="RunDispatcherAsync"/> sends shard 0's and
    /// claims from the store), in commit order, beside the other shards' dispatcher loops: one loop alone sends more
    /// slowly than the shards commit, and every message would wait for those of every other shard committed before it.
    /// </summary>
    private async Task RunHandoffDispatcherAsync(int shard, DispatchWindow window, CancellationToken stoppingToken)
    {
        var queue = _handoffs[shard];
        var signal = _handoffSignals[shard];
        while (!stoppingToken.IsCancellationRequested)
        {
            if (!await ReadyForBatchAsync(window, signal, stoppingToken).ConfigureAwait(true))
            {
                continue;
            }

            if (queue.TryDequeue(out var handed))
            {
                Interlocked.Add(ref _handedOver, -handed.Messages.Length);
                await SendAsync(handed.Messages, handed.Withdrawals, window, stoppingToken, signal).ConfigureAwait(true);
                continue;
            }

            await IdleAsync(signal, _time.GetUtcNow() + _options.MaxIdle, stoppingToken).ConfigureAwait(true);
        }
    }

    /// <summary>
    /// Before a dispatcher loop takes its next batch: waits until it has room for it (<see cref="DispatchWindow.WaitForBatchRoomAsync"/>);
    /// false when the engine is stopping, or after one of its batches failed on the store in the background, once the
    /// loop has paused as after a failure of its own (the next batch would most likely fail too).
    /// </summary>
    private async ValueTask<bool> ReadyForBatchAsync(DispatchWindow window, Channel<bool> pauseSignal, CancellationToken stoppingToken)
    {
        await window.WaitForBatchRoomAsync().ConfigureAwait(true);

        // A stop that came while the loop waited for room (its sends then end, cancelled) takes nothing more: the
        // hand-offs still queued are given back whole at the end of RunAsync.
        if (stoppingToken.IsCancellationRequested)
        {
            return false;
        }

        if (!window.TakeTailFailure())
        {
            return true;
        }

        await IdleAsync(pauseSignal, _time.GetUtcNow() + TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(true);
        return false;
    }

    /// <summary>How many hand-offs the dispatcher sends in a row, at most, before it looks at the store.</summary>
    private const int StoreLookEvery = 4;

    /// <summary>
    /// Sends messages this engine holds (claimed, or handed over) and records their results; false when the store failed
    /// (after a pause: the results are not recorded, the leases expire, and the messages are sent again with the same
    /// idempotency keys) or the engine is stopping. The dispatcher itself must not die. <paramref name="withdrawals"/> is
    /// <see cref="Withdrawals"/> read before the messages were committed or claimed: when a cancel ran since, only the
    /// messages the store still holds are sent (<see cref="StillHeldAsync"/>).
    /// </summary>
    /// <remarks>
    /// When the last message has been looked at and some sends still wait (a network sender, a webhook), the batch is
    /// finished in the background (<see cref="FinishAsync"/>, counted in <paramref name="window"/>) and this returns
    /// true: the loop goes on with its next batch while they wait, instead of being held by the slowest of them.
    /// </remarks>
    private async ValueTask<bool> SendAsync(OutboundMessage[] due, long withdrawals, DispatchWindow window, CancellationToken stoppingToken, Channel<bool>? pauseSignal = null)
    {
        // Results as values in a rented array: no object per message; only a store other than the in-memory one gets
        // them as OutboxResult records (its contract).
        // The senders are the host application's code: not under a dispatcher thread's context (see LoopThread). This
        // method's builder gives the dispatcher loop its context back when it returns or first yields.
        LoopThread.Leave();
        var results = ArrayPool<OutboxOutcome>.Shared.Rent(due.Length);
        var events = new List<CustomerEvent>();
        IReadOnlyList<OutboundMessage> sending = [];
        var untouched = new StrongBox<int>(int.MaxValue);
        var finishing = false;
        try
        {
            sending = withdrawals == Withdrawals ? due : await StillHeldAsync(due, stoppingToken).ConfigureAwait(false);
            var held = await CheckSendPoliciesAsync(sending, stoppingToken).ConfigureAwait(false);
            var waiting = await DispatchAllAsync(sending, results, events, held, untouched, window, stoppingToken).ConfigureAwait(false);
            if (waiting is not null)
            {
                // The array, the leases and the rest are the background's from here (FinishAsync's finally).
                window.TailStarted();
                finishing = true;
                _ = FinishAsync(new SentBatch(due, sending, results, events, held), waiting, window, stoppingToken);
                return true;
            }

            await RecordSentAsync(sending, results, events, held, stoppingToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await RecordFinishedOnStopAsync(sending, results, events).ConfigureAwait(false);

            // Those the dispatch never reached are given back at the end of RunAsync, so the next host sends them at once.
            for (var i = untouched.Value; i < sending.Count; i++)
            {
                _unsentAtStop.Enqueue(sending[i].MessageId);
            }

            return false;
        }
        catch (Exception ex) when (IsFailure(ex, stoppingToken))
        {
            StoreFailed("outbox dispatch", ex);
            await IdleAsync(pauseSignal ?? _outboxSignal, _time.GetUtcNow() + TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
            return false;
        }
        finally
        {
            if (!finishing)
            {
                ArrayPool<OutboxOutcome>.Shared.Return(results, clearArray: true);
                _renewal.Sent(due);
            }
        }
    }

    /// <summary>A batch <see cref="FinishAsync"/> finishes: what <see cref="SendAsync"/> had of it when its last message had been looked at.</summary>
    private sealed record SentBatch(OutboundMessage[] Due, IReadOnlyList<OutboundMessage> Sending, OutboxOutcome[] Results, List<CustomerEvent> Events, OutboxOutcome?[]? Held);

    /// <summary>
    /// Finishes a batch in the background once its waiting sends (<paramref name="waiting"/>) have ended: records it as
    /// <see cref="SendAsync"/> would have (on a stop, the finished sends' results; on a store failure the loop pauses
    /// before its next batch, <see cref="ReadyForBatchAsync"/>). Every message of it was looked at: none is given back.
    /// </summary>
    private async Task FinishAsync(SentBatch batch, List<Task> waiting, DispatchWindow window, CancellationToken stoppingToken)
    {
        var failed = false;
        try
        {
            await Task.WhenAll(waiting).ConfigureAwait(false);
            await RecordSentAsync(batch.Sending, batch.Results, batch.Events, batch.Held, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await RecordFinishedOnStopAsync(batch.Sending, batch.Results, batch.Events).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsFailure(ex, stoppingToken))
        {
            StoreFailed("outbox dispatch", ex);
            failed = true;
        }
        finally
        {
            ArrayPool<OutboxOutcome>.Shared.Return(batch.Results, clearArray: true);
            _renewal.Sent(batch.Due);
            window.TailEnded(failed);
        }
    }

    /// <summary>Once a batch's sends have all ended: the reservations of the messages not sent given back, then the results recorded.</summary>
    private async ValueTask RecordSentAsync(IReadOnlyList<OutboundMessage> sending, OutboxOutcome[] results, List<CustomerEvent> events, OutboxOutcome?[]? held, CancellationToken stoppingToken)
    {
        if (held is not null)
        {
            await ReleaseUnsentPlacesAsync(sending, results, held, stoppingToken).ConfigureAwait(false);
        }

        await RecordAsync(new ArraySegment<OutboxOutcome>(results, 0, sending.Count), events, stoppingToken).ConfigureAwait(false);
        _health.StoreSucceeded("outbox dispatch");
    }

    /// <summary>
    /// The engine is stopping while it sends <paramref name="sending"/>: records the results of the sends that finished
    /// (a stop during one message's retry backoff must not leave the others, already accepted by their providers, to be
    /// sent again when their leases expire) and the events they produced; the unfinished ones go back with their leases.
    /// The stopping token is cancelled: the store calls get a bound of their own, <see cref="RecordOnStopTimeout"/>.
    /// </summary>
    private async ValueTask RecordFinishedOnStopAsync(IReadOnlyList<OutboundMessage> sending, OutboxOutcome[] results, List<CustomerEvent> events)
    {
        // An unfinished send left its slot as rented (the pool's arrays are returned cleared): the finished ones are
        // moved to the front.
        var finished = 0;
        for (var i = 0; i < sending.Count; i++)
        {
            if (results[i].Message is not null)
            {
                results[finished++] = results[i];
            }
        }

        List<CustomerEvent> produced;
        lock (events)
        {
            produced = [.. events];
        }

        if (finished == 0 && produced.Count == 0)
        {
            return;
        }

        using var bounded = new CancellationTokenSource(RecordOnStopTimeout, _time);
        try
        {
            await RecordAsync(new ArraySegment<OutboxOutcome>(results, 0, finished), produced, bounded.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // As after any failed record: the leases expire and the messages are sent again with the same keys.
            StoreFailed("outbox results at stop", ex);
        }
    }

    /// <summary>
    /// Records the send results <paramref name="results"/> in the outbox (the in-memory one takes the values; another
    /// store gets <see cref="OutboxResult"/> records, its contract) and appends the events the sends produced.
    /// </summary>
    private async ValueTask RecordAsync(ArraySegment<OutboxOutcome> results, List<CustomerEvent> events, CancellationToken cancellationToken)
    {
        if (_memoryOutbox is { } memory)
        {
            cancellationToken.ThrowIfCancellationRequested();
            memory.Complete(_options.OwnerId, results.AsSpan());
        }
        else if (results.Count > 0)
        {
            var records = new OutboxResult[results.Count];
            for (var i = 0; i < records.Length; i++)
            {
                records[i] = results[i].ToResult();
            }

            await _outbox.CompleteAsync(_options.OwnerId, records, cancellationToken).ConfigureAwait(false);
        }

        if (events.Count > 0)
        {
            await _enrollments.AppendEventsAsync(events, cancellationToken).ConfigureAwait(false);
            NotifyWork();
        }
    }

    /// <summary>How long recording the finished sends may take once the engine is stopping.</summary>
    private static readonly TimeSpan RecordOnStopTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How many cancels this process has made (<see cref="JourneyStopGuard.Withdrawals"/>), plus the store's commits that
    /// withdrew messages when it counts them (<see cref="IWithdrawalCounter"/>).
    /// </summary>
    private long Withdrawals => (_stopGuard?.Withdrawals ?? 0) + (_withdrawingCommits?.WithdrawingCommits ?? 0);

    /// <summary>
    /// Of <paramref name="taken"/> (handed over or claimed before a cancel ran in this process), the messages the store
    /// still holds leased to this engine, their leases renewed: a stop, or a journey's deletion, deleted
    /// its messages from the store but cannot take them out of this engine's hands. One store call, only after a cancel.
    /// A message whose lease ran out meanwhile is left too: the store gives it to the next claim.
    /// </summary>
    private async ValueTask<IReadOnlyList<OutboundMessage>> StillHeldAsync(OutboundMessage[] taken, CancellationToken stoppingToken)
    {
        var ids = new string[taken.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = taken[i].MessageId;
        }

        var held = await _outbox.RenewLeasesAsync(_options.OwnerId, ids, _time.GetUtcNow(), _options.LeaseDuration, stoppingToken).ConfigureAwait(false);
        var kept = new List<OutboundMessage>(taken.Length);
        for (var i = 0; i < taken.Length; i++)
        {
            if (held[i])
            {
                kept.Add(taken[i]);
            }
        }

        if (kept.Count < taken.Length)
        {
            LogWithdrawnNotSent(_logger, taken.Length - kept.Count);
        }

        return kept;
    }

    /// <summary>
    /// When the dispatcher must look again: the next due message, capped at <see cref="JourneysOptions.MaxIdle"/> from
    /// <paramref name="lookedAt"/>, the clock reading of the claim that found nothing. The cap is what brings back
    /// messages the store's next due time leaves out (leased to an owner whose lease then expires), so it counts from
    /// the claim, not from a later reading: a clock that passed such a lease's expiry after the claim would otherwise
    /// put the next look a whole <see cref="JourneysOptions.MaxIdle"/> after it (never, on a test's clock that does not
    /// move again).
    /// </summary>
    private async ValueTask<DateTimeOffset> NextDueAsync(DateTimeOffset lookedAt, CancellationToken stoppingToken)
    {
        var latest = lookedAt + _options.MaxIdle;
        try
        {
            var next = await _outbox.GetNextDueAsync(stoppingToken).ConfigureAwait(false);
            _health.StoreSucceeded("next outbox due");
            return next is { } due && due < latest ? due : latest;
        }
        catch (Exception ex) when (IsFailure(ex, stoppingToken))
        {
            StoreFailed("next outbox due", ex);
            return _time.GetUtcNow() + TimeSpan.FromSeconds(1);
        }
    }

    /// <summary>
    /// Sends a claimed batch. A send that completes at once (an in-process sender, a held or capped message) costs no
    /// task and no hand-off; sends that really wait (network senders, webhooks) overlap, at most
    /// <see cref="JourneysOptions.MaxConcurrentSends"/> at a time across the loop's batches (<paramref name="window"/>). Returns the
    /// sends that still wait once every message has been looked at (the caller finishes the batch when they end), or
    /// <see langword="null"/> when none does. If a send throws, the batch's other sends still finish first, then the
    /// exception propagates (as <see cref="Parallel.ForEachAsync{TSource}(IEnumerable{TSource}, Func{TSource, CancellationToken, ValueTask})"/> did).
    /// </summary>
    /// <remarks>
    /// <para>
    /// <paramref name="held"/> is the send policies' outcome of each message (<see cref="CheckSendPoliciesAsync"/>, made
    /// for the whole batch before it): a held or capped message is not sent. Messages of a channel whose sender takes
    /// batches (<see cref="IBatchChannelSender"/>) are gathered per channel and sent a batch at a time (a batch is sent
    /// when full, the rest at the end), each batch through one run of the channel's pipeline.
    /// </para>
    /// <para>
    /// A message to a customer with a send of an earlier batch still waiting (<see cref="DispatchWindow.Earlier"/>) is
    /// sent when that send has ended (on a batch channel such messages are gathered apart, and their batch is sent when
    /// the earlier sends of all of them have ended): a customer's messages committed one after another go out in that
    /// order. The sends of one batch overlap whoever they are for.
    /// </para>
    /// </remarks>
    private async Task<List<Task>?> DispatchAllAsync(IReadOnlyList<OutboundMessage> due, OutboxOutcome[] results, List<CustomerEvent> events, OutboxOutcome?[]? held, StrongBox<int> untouched, DispatchWindow window, CancellationToken cancellationToken)
    {
        // The sends that wait (null until one does), and the customer of each message they are for.
        List<Task>? pending = null;
        List<(Task Send, string CustomerId)>? waitingFor = null;
        List<(SenderRegistry.ChannelSend Channel, BatchSend Batch, Task? After)>? batches = null;
        for (var i = 0; i < due.Count; i++)
        {
            // The messages from here on have not been looked at: on a stop they are left unsent (and given back), once
            // the sends under way have ended. Set before each message, so an exception leaves it exact.
            untouched.Value = i;
            if (cancellationToken.IsCancellationRequested)
            {
                if (pending is not null)
                {
                    await Task.WhenAll(pending).ConfigureAwait(false);
                }

                cancellationToken.ThrowIfCancellationRequested();
            }

            var message = due[i];
            var channel = message.Channel == StepExecutor.WebhookChannel ? null : _senders.TryGet(message.Channel, out var registered) ? registered : null;
            if (channel?.BatchPipeline is not null)
            {
                if (held?[i] is { } outcome)
                {
                    results[i] = outcome;
                    continue;
                }

                var gathered = Gather(ref batches, channel, window.Earlier(message.CustomerId));
                var batch = batches![gathered].Batch;
                batch.Add(message, i);
                untouched.Value = i + 1;
                if (batch.IsFull)
                {
                    var after = batches[gathered].After;
                    batches.RemoveAt(gathered);
                    var send = SendBatchAsync(channel, batch, results, after, window, ref waitingFor, cancellationToken);
                    pending = await AddSendAsync(pending, send, window).ConfigureAwait(false);
                }

                continue;
            }

            Task waiting;
            if (held?[i] is null && window.Earlier(message.CustomerId) is { } earlier)
            {
                waiting = DispatchAfterAsync(earlier, message, channel, events, results, i, window, cancellationToken);
            }
            else
            {
                var send = DispatchAsync(message, channel, events, held?[i], cancellationToken);
                if (send.IsCompletedSuccessfully)
                {
                    untouched.Value = i + 1;
                    results[i] = send.Result;
                    continue;
                }

                waiting = StoreResultAsync(send, results, i, window);
            }

            untouched.Value = i + 1;
            (waitingFor ??= []).Add((waiting, message.CustomerId));
            pending = await AddSendAsync(pending, waiting, window).ConfigureAwait(false);
        }

        untouched.Value = int.MaxValue;
        if (batches is not null)
        {
            foreach (var (channel, batch, after) in batches)
            {
                var send = SendBatchAsync(channel, batch, results, after, window, ref waitingFor, cancellationToken);
                pending = await AddSendAsync(pending, send, window).ConfigureAwait(false);
            }
        }

        if (pending is null)
        {
            return null;
        }

        pending.RemoveAll(static send => send.IsCompletedSuccessfully);
        if (pending.Count == 0)
        {
            return null;
        }

        // The batch goes on in the background: a later batch's message to a customer of a send still under way waits for it.
        foreach (var (send, customerId) in waitingFor!)
        {
            window.AddCustomer(customerId, send);
        }

        return pending;
    }

    // The index in batches of the batch being gathered for a channel (a new one when none is). A message that must wait
    // for an earlier send to its customer (after, DispatchWindow.Earlier) is gathered apart, in a batch that waits for
    // the earlier sends of all its messages; the channel's other messages do not wait.
    private static int Gather(ref List<(SenderRegistry.ChannelSend Channel, BatchSend Batch, Task? After)>? batches, SenderRegistry.ChannelSend channel, Task? after)
    {
        batches ??= [];
        for (var i = 0; i < batches.Count; i++)
        {
            var (gathering, batch, before) = batches[i];
            if (ReferenceEquals(gathering, channel) && (before is null) == (after is null))
            {
                if (after is not null)
                {
                    batches[i] = (gathering, batch, before!.IsCompleted ? after : Task.WhenAll(before, after));
                }

                return i;
            }
        }

        batches.Add((channel, channel.RentBatch(), after));
        return batches.Count - 1;
    }

    /// <summary>
    /// A send that completed at once costs nothing here; one that waits joins the batch's pending ones. When
    /// <see cref="JourneysOptions.MaxConcurrentSends"/> sends of the loop wait, waits until one of them ends; a failed send of this
    /// batch then makes it throw, once its other sends have ended.
    /// </summary>
    private static async ValueTask<List<Task>?> AddSendAsync(List<Task>? pending, Task send, DispatchWindow window)
    {
        if (send.IsCompletedSuccessfully)
        {
            return pending;
        }

        pending ??= [];
        pending.Add(send);
        if (window.IsFull)
        {
            await window.WaitForSendRoomAsync().ConfigureAwait(false);
            pending.RemoveAll(static done => done.IsCompletedSuccessfully);
            foreach (var waiting in pending)
            {
                if (waiting.IsFaulted || waiting.IsCanceled)
                {
                    // Let the others finish, then throw the failure (WhenAll includes the failed one).
                    await Task.WhenAll(pending).ConfigureAwait(false);
                }
            }
        }

        return pending;
    }

    private static async Task StoreResultAsync(ValueTask<OutboxOutcome> send, OutboxOutcome[] results, int index, DispatchWindow window)
    {
        window.SendStarted();
        try
        {
            results[index] = await send.ConfigureAwait(false);
        }
        finally
        {
            window.SendEnded();
        }
    }

    /// <summary>Sends <paramref name="message"/> once <paramref name="earlier"/>, a send of an earlier batch to the same customer, has ended (however it ended).</summary>
    private async Task DispatchAfterAsync(Task earlier, OutboundMessage message, SenderRegistry.ChannelSend? channel, List<CustomerEvent> events, OutboxOutcome[] results, int index, DispatchWindow window, CancellationToken cancellationToken)
    {
        window.SendStarted();
        try
        {
            // Its failure is its own batch's to report: this send only keeps the order.
            await earlier.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            GiveBackOnStop([message], cancellationToken);
            results[index] = await DispatchAsync(message, channel, events, null, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            window.SendEnded();
        }
    }

    /// <summary>
    /// Sends a gathered batch through its channel's pipeline (once <paramref name="after"/> has ended, when given) and
    /// settles each of its messages' outcome. When the send waits, each of its messages' customer is added to
    /// <paramref name="waitingFor"/> with it (read before anything can settle the batch and give it back for reuse).
    /// </summary>
    private Task SendBatchAsync(SenderRegistry.ChannelSend channel, BatchSend batch, OutboxOutcome[] results, Task? after, DispatchWindow window, ref List<(Task Send, string CustomerId)>? waitingFor, CancellationToken cancellationToken)
    {
        ValueTask send = default;
        if (after is null)
        {
            send = channel.BatchPipeline!.SendBatchAsync(batch, cancellationToken);
            if (send.IsCompletedSuccessfully)
            {
                send.GetAwaiter().GetResult();
                SettleBatch(channel, batch, results);
                return Task.CompletedTask;
            }
        }

        var customers = new string[batch.Count];
        for (var i = 0; i < customers.Length; i++)
        {
            customers[i] = batch.Message(i).CustomerId;
        }

        var waiting = after is null
            ? SettleBatchAsync(send, channel, batch, results, window)
            : SendBatchAfterAsync(after, channel, batch, results, window, cancellationToken);
        waitingFor ??= [];
        foreach (var customerId in customers)
        {
            waitingFor.Add((waiting, customerId));
        }

        return waiting;
    }

    private async Task SettleBatchAsync(ValueTask send, SenderRegistry.ChannelSend channel, BatchSend batch, OutboxOutcome[] results, DispatchWindow window)
    {
        window.SendStarted();
        try
        {
            await send.ConfigureAwait(false);
            SettleBatch(channel, batch, results);
        }
        finally
        {
            window.SendEnded();
        }
    }

    private async Task SendBatchAfterAsync(Task after, SenderRegistry.ChannelSend channel, BatchSend batch, OutboxOutcome[] results, DispatchWindow window, CancellationToken cancellationToken)
    {
        window.SendStarted();
        try
        {
            // As DispatchAfterAsync: only the order is waited for.
            await after.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (cancellationToken.IsCancellationRequested)
            {
                var messages = new OutboundMessage[batch.Count];
                for (var i = 0; i < messages.Length; i++)
                {
                    messages[i] = batch.Message(i);
                }

                GiveBackOnStop(messages, cancellationToken);
            }

            await channel.BatchPipeline!.SendBatchAsync(batch, cancellationToken).ConfigureAwait(false);
            SettleBatch(channel, batch, results);
        }
        finally
        {
            window.SendEnded();
        }
    }

    /// <summary>
    /// When the engine is stopping, before <paramref name="messages"/> (which waited for earlier sends to their customers)
    /// are begun: gives them back at the end of RunAsync, as those the dispatch never reached, so the next host sends them
    /// at once, and throws. Their batch records the sends that finished (<see cref="RecordFinishedOnStopAsync"/>).
    /// </summary>
    private void GiveBackOnStop(OutboundMessage[] messages, CancellationToken stoppingToken)
    {
        if (!stoppingToken.IsCancellationRequested)
        {
            return;
        }

        foreach (var message in messages)
        {
            _unsentAtStop.Enqueue(message.MessageId);
        }

        stoppingToken.ThrowIfCancellationRequested();
    }

    // Each message's outcome, then the batch back for reuse (not on a failure: it is dropped).
    private void SettleBatch(SenderRegistry.ChannelSend channel, BatchSend batch, OutboxOutcome[] results)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            results[batch.Origin(i)] = SettleSend(batch.Message(i), batch.Result(i));
        }

        channel.ReturnBatch(batch);
    }


    /// <summary>
    /// The time zone of each customer a batch sends to (not webhooks), read in one store call, for the quiet-hours
    /// check; <see langword="null"/> when quiet hours are off. A customer the store does not have maps to
    /// <see langword="null"/> (the journey's zone applies).
    /// </summary>
    private async ValueTask<Dictionary<string, string?>?> QuietHoursZonesAsync(IReadOnlyList<OutboundMessage> batch, CancellationToken cancellationToken)
    {
        var policy = _options.SendPolicy;
        if (policy.QuietHoursStart is null || policy.QuietHoursEnd is null)
        {
            return null;
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var message in batch)
        {
            if (message.Channel != StepExecutor.WebhookChannel)
            {
                ids.Add(message.CustomerId);
            }
        }

        var list = ids.ToArray();
        var customers = list.Length == 0 ? [] : await _customers.GetManyAsync(list, cancellationToken).ConfigureAwait(false);
        var zones = new Dictionary<string, string?>(list.Length, StringComparer.Ordinal);
        for (var i = 0; i < list.Length; i++)
        {
            zones[list[i]] = customers[i]?.TimeZoneId;
        }

        return zones;
    }

    /// <summary>Sends one message: a webhook's call, or through <paramref name="channel"/> (its channel's single sender; null when none is registered).</summary>
    private async ValueTask<OutboxOutcome> DispatchAsync(OutboundMessage message, SenderRegistry.ChannelSend? channel, List<CustomerEvent> events, OutboxOutcome? held, CancellationToken cancellationToken)
    {
        if (held is { } outcome)
        {
            return outcome;
        }

        SendResult result;
        if (message.Channel == StepExecutor.WebhookChannel)
        {
            result = await CallWebhookAsync(message, cancellationToken).ConfigureAwait(false);
            lock (events)
            {
                events.Add(new CustomerEvent(
                    message.CustomerId,
                    StepExecutor.WebhookResultEvent,
                    ImmutableDictionary<string, FieldValue>.Empty.Add("success", result.IsSuccess),
                    _time.GetUtcNow(),
                    message.MessageId));
            }
        }
        else if (channel is not null)
        {
            result = await channel.Pipeline!.SendAsync(channel.Sender, message, cancellationToken).ConfigureAwait(false);
            return SettleSend(message, result);
        }
        else
        {
            result = SendResult.Permanent($"no sender is registered for channel '{message.Channel}'");
        }

        return Settle(message, result);
    }

    /// <summary>The outcome of a message its channel's sender was given (singly or in a batch): held when the circuit was open, else <see cref="Settle"/>.</summary>
    private OutboxOutcome SettleSend(OutboundMessage message, SendResult result) =>
        IsCircuitHold(result)
            ? HoldForCircuit(message, result)
            : Settle(message, result);

    private static bool IsCircuitHold(SendResult result) =>
        result is { Outcome: SendOutcome.TransientFailure, Reason: SendPipelineFactory.CircuitOpenReason };

    private static bool IsRateLimited(SendResult result) =>
        result is { Outcome: SendOutcome.TransientFailure, Reason: SendPipelineFactory.RateLimitedReason };

    /// <summary>The final outcome of a send: logged when failed, counted (statistics, metrics).</summary>
    private OutboxOutcome Settle(OutboundMessage message, SendResult result)
    {
        // A webhook's "campaign" is its URL, which may carry a secret: its failures are logged where they happen, by
        // journey and node (CallWebhookAsync, WebhookInvoker), not here.
        if (!result.IsSuccess && message.Channel != StepExecutor.WebhookChannel)
        {
            LogSendFailed(_logger, message.Channel.Name, message.CampaignId, message.MessageId, result.Reason ?? result.Outcome.ToString());
        }

        var counter = result.IsSuccess ? StatisticCounter.Sent : StatisticCounter.Failed;
        (result.IsSuccess ? JourneysTelemetry.Sent : JourneysTelemetry.Failed).Add(1, new KeyValuePair<string, object?>("journeys.channel", message.Channel.Name));
        StatisticDelta[] deltas = message.JourneyId is null || message.Channel == StepExecutor.WebhookChannel
            ? []
            : _sendDeltas.Get(message.JourneyId, message.JourneyVersion, message.NodeId, counter);

        // The resilience pipeline has already retried transient failures; what is left is final.
        return new OutboxOutcome(message, result, null, deltas);
    }

    /// <summary>
    /// Holds a message whose channel's circuit is open (the provider failed too often; the pipeline did not try it, or
    /// stopped retrying it): not a failure, no statistic; the outbox keeps it, due again once the circuit's break is over,
    /// and its frequency-cap reservation is given back (<see cref="ReleaseUnsentPlacesAsync"/>; it reserves again when
    /// sent). A rate-limit rejection (the limiter's queue is full) stays a failure, as
    /// <see cref="ChannelPolicyOptions.RateLimitQueueLimit"/> documents.
    /// </summary>
    private OutboxOutcome HoldForCircuit(OutboundMessage message, SendResult result)
    {
        var channelPolicy = _options.ChannelPolicies.TryGetValue(message.Channel.Name, out var specific) ? specific : _options.DefaultChannelPolicy;
        return new OutboxOutcome(message, result, _time.GetUtcNow() + channelPolicy.CircuitBreakerBreakDuration, []);
    }

    /// <summary>
    /// The send policies' outcomes of a batch, by index: a message held for quiet hours (due again when they end), one
    /// skipped over the frequency cap (counted as capped); null for a message to send. The frequency cap reserves the
    /// place of every other message (not of webhooks) in one call to the store's record
    /// (<see cref="IFrequencyCapStore"/>), in the batch's order. Null when no policy is on.
    /// </summary>
    private async ValueTask<OutboxOutcome?[]?> CheckSendPoliciesAsync(IReadOnlyList<OutboundMessage> batch, CancellationToken cancellationToken)
    {
        var policy = _options.SendPolicy;
        if (batch.Count == 0 || (policy.QuietHoursStart is null && policy.FrequencyCap is null))
        {
            return null;
        }

        var zones = await QuietHoursZonesAsync(batch, cancellationToken).ConfigureAwait(false);
        var held = new OutboxOutcome?[batch.Count];
        var now = _time.GetUtcNow();
        List<SendReservation>? reservations = null;
        List<int>? reserved = null;
        for (var i = 0; i < batch.Count; i++)
        {
            var message = batch[i];

            // A webhook call is no message to the customer; a message on a channel with no sender is never attempted (it
            // fails at once): neither is held for quiet hours or takes a frequency-cap place.
            if (message.Channel == StepExecutor.WebhookChannel || !_senders.TryGet(message.Channel, out _))
            {
                continue;
            }

            if (policy.QuietHoursStart is { } start && policy.QuietHoursEnd is { } end)
            {
                var customerZone = zones!.GetValueOrDefault(message.CustomerId);
                var zone = customerZone is { } zoneId ? _zones.GetOrAdd(zoneId, FindZone) : null;
                if (zone is null)
                {
                    // The journey's zone, read from its definition: a version that no longer compiles still has one.
                    var journey = message.JourneyId is null ? null : await _journeys.GetDefinitionAsync(message.JourneyId, message.JourneyVersion, cancellationToken).ConfigureAwait(false);
                    zone = (journey is null ? null : _zones.GetOrAdd(journey.TimeZoneId, FindZone)) ?? TimeZoneInfo.Utc;
                }

                var local = TimeOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
                if (policy.IsQuiet(local))
                {
                    // Held, not failed: the outbox keeps it and it is due again when the quiet hours end.
                    held[i] = new OutboxOutcome(message, SendResult.Transient("quiet hours"), LocalTime.NextWallClock(now, end, zone), []);
                    continue;
                }
            }

            if (policy.FrequencyCap is not null)
            {
                (reservations ??= []).Add(new SendReservation(message.CustomerId, message.IdempotencyKey));
                (reserved ??= []).Add(i);
            }
        }

        if (reservations is not null)
        {
            var granted = await _frequencyCap.TryReserveSendsAsync(reservations, policy.FrequencyCap!.Value, policy.FrequencyCapWindow, now, cancellationToken).ConfigureAwait(false);
            for (var r = 0; r < granted.Count; r++)
            {
                if (!granted[r])
                {
                    var message = batch[reserved![r]];
                    StatisticDelta[] capped = message.JourneyId is null ? [] : _sendDeltas.Get(message.JourneyId, message.JourneyVersion, message.NodeId, StatisticCounter.Capped);
                    held[reserved[r]] = new OutboxOutcome(message, SendResult.Permanent("frequency cap"), null, capped);
                }
            }
        }

        return held;
    }

    /// <summary>
    /// Gives back the frequency-cap places of the batch's messages that reserved one and did not reach the provider: held
    /// because their channel's circuit is open (they reserve again when sent), or refused by the channel's rate limiter
    /// (a failure, never sent: keeping the place would cap the customer's next message for one they never got).
    /// </summary>
    private async ValueTask ReleaseUnsentPlacesAsync(IReadOnlyList<OutboundMessage> batch, OutboxOutcome[] results, OutboxOutcome?[] held, CancellationToken cancellationToken)
    {
        if (_options.SendPolicy.FrequencyCap is null)
        {
            return;
        }

        List<SendReservation>? released = null;
        for (var i = 0; i < batch.Count; i++)
        {
            if (held[i] is null && batch[i].Channel != StepExecutor.WebhookChannel && (IsCircuitHold(results[i].Result) || IsRateLimited(results[i].Result)))
            {
                (released ??= []).Add(new SendReservation(batch[i].CustomerId, batch[i].IdempotencyKey));
            }
        }

        if (released is not null)
        {
            await _frequencyCap.ReleaseSendsAsync(released, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask<SendResult> CallWebhookAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        if (_webhooks is null)
        {
            return WebhookNotCalled(message, "webhooks are not configured (AddJourneys(j => j.ConfigureWebhooks(...)))");
        }

        // From the definition: a version that no longer compiles (a field it read was removed since) still has the node.
        var journey = message.JourneyId is null ? null : await _journeys.GetDefinitionAsync(message.JourneyId, message.JourneyVersion, cancellationToken).ConfigureAwait(false);
        if (journey is null || message.NodeId is null || journey.FindNode(message.NodeId) is not WebhookNode node)
        {
            return WebhookNotCalled(message, "the webhook node no longer exists");
        }

        var outcome = await _webhooks.InvokeAsync(
            new WebhookRequest(node.Url, message.IdempotencyKey, message.CustomerId, message.JourneyId, message.NodeId, [], node.Timeout, node.MaxRetries, message.Body),
            cancellationToken).ConfigureAwait(false);
        return outcome.Success ? SendResult.Sent : SendResult.Permanent(outcome.Reason ?? "failed");
    }

    [LoggerMessage(1, LogLevel.Information, "Journeys engine {Owner} starting with {Shards} shards")]
    private static partial void LogStarting(ILogger logger, string owner, int shards);

    [LoggerMessage(2, LogLevel.Information, "Journeys engine {Owner} stopped")]
    private static partial void LogStopped(ILogger logger, string owner);

    [LoggerMessage(3, LogLevel.Error, "Journeys store call '{Operation}' failed; retrying")]
    private static partial void LogStoreFailedRedacted(ILogger logger, string operation, Exception exception);

    /// <summary>
    /// Logs <see cref="LogStoreFailedRedacted"/> with the exception's message withheld (<see cref="RedactedException"/>),
    /// then the whole exception at Debug level, and notes the failure for <see cref="GetStatus"/> until the same call next succeeds.
    /// </summary>
    private void StoreFailed(string operation, Exception exception)
    {
        _health.StoreFailed(operation, exception);
        LogStoreFailedRedacted(_logger, operation, RedactedException.From(exception));
        FailureDetailLog.Write(_logger, exception);
    }

    [LoggerMessage(4, LogLevel.Critical, "The Journeys engine's {Loop} failed; the engine stops (its unfinished work is handed back)")]
    private static partial void LogLoopFailedRedacted(ILogger logger, string loop, Exception exception);

    [LoggerMessage(407, LogLevel.Critical, "The Journeys engine's {Loop} ended while the engine ran; the engine stops (its unfinished work is handed back)")]
    private static partial void LogLoopEnded(ILogger logger, string loop);

    [LoggerMessage(5, LogLevel.Warning, "Journey {JourneyId} version {Version} is not in the store; its enrollment is ended as failed")]
    private static partial void LogMissingVersion(ILogger logger, string journeyId, int version);

    [LoggerMessage(6, LogLevel.Debug, "Checkpoint of enrollment {EnrollmentId} was refused (stale token or lost lease)")]
    private static partial void LogStaleCommit(ILogger logger, Guid enrollmentId);

    [LoggerMessage(8, LogLevel.Error, "An enrollment of journey {JourneyId} version {Version} failed at node {NodeId}")]
    private static partial void LogEnrollmentFailedRedacted(ILogger logger, string journeyId, int version, string? nodeId, Exception exception);

    /// <summary><see cref="LogEnrollmentFailedRedacted"/> with the exception's message withheld (<see cref="RedactedException"/>), then the whole exception at Debug level.</summary>
    private static void LogEnrollmentFailed(ILogger logger, string journeyId, int version, string? nodeId, Exception exception)
    {
        LogEnrollmentFailedRedacted(logger, journeyId, version, nodeId, RedactedException.From(exception));
        FailureDetailLog.Write(logger, exception);
    }

    [LoggerMessage(30, LogLevel.Error, "Re-checking {Count} updated customers against the filter journeys failed; they enter when their fields next change")]
    private static partial void LogRecheckFailedRedacted(ILogger logger, int count, Exception exception);

    /// <summary><see cref="LogRecheckFailedRedacted"/> with the exception's message withheld (<see cref="RedactedException"/>), then the whole exception at Debug level.</summary>
    private static void LogRecheckFailed(ILogger logger, int count, Exception exception)
    {
        LogRecheckFailedRedacted(logger, count, RedactedException.From(exception));
        FailureDetailLog.Write(logger, exception);
    }

    [LoggerMessage(54, LogLevel.Information, "Stopping: handed back {Released} of the {Held} claimed enrollments and outbox messages this engine will not finish; another host or the next start claims them at once")]
    private static partial void LogHandedBack(ILogger logger, int held, int released);

    [LoggerMessage(53, LogLevel.Information, "Dispatcher: {Count} messages it held were withdrawn from the outbox (a stop, a deletion or a conversion) and are not sent")]
    private static partial void LogWithdrawnNotSent(ILogger logger, int count);

    [LoggerMessage(7, LogLevel.Warning, "Send on {Channel} of campaign {CampaignId} (message {MessageId}) failed: {Reason}")]
    private static partial void LogSendFailed(ILogger logger, string channel, string campaignId, string messageId, string reason);

    [LoggerMessage(9, LogLevel.Warning, "Webhook of journey {JourneyId} node {NodeId} (message {MessageId}) was not called: {Reason}")]
    private static partial void LogWebhookNotCalled(ILogger logger, string? journeyId, string? nodeId, string messageId, string reason);

    private SendResult WebhookNotCalled(OutboundMessage message, string reason)
    {
        LogWebhookNotCalled(_logger, message.JourneyId, message.NodeId, message.MessageId, reason);
        return SendResult.Permanent(reason);
    }
}
