using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Journeys.Conditions;
using Journeys.Messaging;
using Journeys.Model;
using Journeys.Storage;
using Microsoft.Extensions.Logging;

namespace Journeys.Runtime;

/// <summary>
/// Runs one claimed enrollment forward: handles its pending events and due timer in time order, then executes
/// nodes until the enrollment waits or ends, and returns the whole result as one checkpoint (new state, outbox
/// messages, customer updates, statistic deltas) for the shard to commit with the rest of its batch. Pure: it
/// reads no clock and does no I/O (it only logs a send it cannot render), so every rule is tested on fixed times.
/// </summary>
internal sealed partial class StepExecutor
{
    /// <summary>The most nodes one run executes without waiting; validation rules out instant loops, this is the backstop.</summary>
    public const int MaxStepsPerRun = 1_000;

    /// <summary>The internal event that carries a webhook call's result back to its enrollment.</summary>
    public const string WebhookResultEvent = "journeys.webhook.result";

    /// <summary>The outbox channel of webhook calls.</summary>
    public static readonly Channel WebhookChannel = new("journeys.webhook");

    // One executor per thread, reused run after run: its lists are scratch space, copied out to exact arrays at the
    // end of a run. A run that throws does not give it back (the next run makes a new one).
    [ThreadStatic]
    private static StepExecutor? t_cached;

    private readonly List<StatisticDelta> _statistics = [];
    // The run's sends; each is due now, from this enrollment (the checkpoint makes them OutboxMessages only if read).
    private readonly List<OutboundMessage> _outbox = [];
    // The run's update nodes' writes, of this enrollment's customer (the checkpoint makes them CustomerFieldUpdates only if read).
    private readonly List<FieldWrite> _writes = [];
    // Retargeting nodes the run left by their conversion event: the commit withdraws their earlier reminders.
    private readonly List<string> _withdrawNodes = [];
    private CompiledJourney _journey = null!;
    private WorkItem _item = null!;
    private FieldValue[] _fields = [];
    private TimeZoneInfo _zone = TimeZoneInfo.Utc;
    private DateTimeOffset _now;

    // The claimed enrollment's id and customer (the rest of its claimed state is read from the item).
    private Guid _id;
    private string _customerId = string.Empty;

    // The fields of the enrollment that a run changes; the new Enrollment is built once, at the end.
    private string? _currentNodeId;
    private EnrollmentStatus _status;
    private DateTimeOffset? _wakeAt;
    private string? _awaitedEvent;
    private int _visit;
    private EquatableArray<string> _wakeEvents;
    private long _eventCursor;
    private DateTimeOffset? _nodeEnteredAt;
    private int _nodeState;

    // The enrollment is at a node it entered and has not left (counted Entered there, not yet Left): ending it there
    // counts Left too. A new enrollment has not entered its start node yet.
    private bool _atNode;
    private string? _endReason;
    private int _messagesSent;
    private int _current;
    private int _steps;
    private int _nextEvent;
    private EvaluationContext? _context;
    private ILogger? _logger;

    private StepExecutor()
    {
    }

    private static StepExecutor Rent(CompiledJourney journey, WorkItem item, FieldValue[] fields, TimeZoneInfo zone, DateTimeOffset now)
    {
        var run = t_cached ?? new StepExecutor();
        t_cached = null;
        run.Start(journey, item, fields, zone, now);
        return run;
    }

    private void Start(CompiledJourney journey, WorkItem item, FieldValue[] fields, TimeZoneInfo zone, DateTimeOffset now)
    {
        _journey = journey;
        _item = item;
        _fields = fields;
        _zone = zone;
        _now = now;
        // Read through the item's claimed state: the in-memory store's items never build their Enrollment record.
        ref readonly var state = ref item.Claim;
        _id = state.Id;
        _customerId = state.CustomerId;
        _currentNodeId = state.CurrentNodeId;
        _status = state.Status;
        _wakeAt = state.WakeAt;
        _awaitedEvent = state.AwaitedEvent;
        _visit = state.Visit;
        _wakeEvents = state.WakeEvents;
        _eventCursor = state.EventCursor;
        _nodeEnteredAt = state.NodeEnteredAt;
        _nodeState = state.NodeState;
        _endReason = state.EndReason;
        _messagesSent = state.MessagesSent;
        _steps = 0;
        _nextEvent = 0;
        _context = null;
        _statistics.Clear();
        _outbox.Clear();
        _writes.Clear();
        _withdrawNodes.Clear();
        _current = state.CurrentNodeId is { } id && journey.IndexById.TryGetValue(id, out var index) ? index : -1;
        _atNode = _status == EnrollmentStatus.Waiting && _current >= 0;
    }

    /// <summary>Runs a claimed enrollment.</summary>
    /// <param name="journey">The compiled version the enrollment is pinned to.</param>
    /// <param name="item">The claimed enrollment and its pending events.</param>
    /// <param name="fields">The customer's values by schema slot (defaults applied); update nodes change it in place.</param>
    /// <param name="zone">The customer's time zone, else the journey's.</param>
    /// <param name="now">The current time.</param>
    /// <param name="stateRecord">
    /// Build the checkpoint's state record now, for a store that reads <see cref="EnrollmentCheckpoint.State"/> (the durable
    /// ones): one record, as a checkpoint given its state. Otherwise the checkpoint keeps the run's changed fields and builds
    /// the record only if something reads it (the in-memory store copies the fields instead).
    /// </param>
    /// <param name="logger">Where a send skipped for a template variable with no value is logged (naming the variable).</param>
    /// <param name="into">
    /// Without <paramref name="stateRecord"/>: a reusable checkpoint (<see cref="EnrollmentCheckpoint.Reusable"/>) to fill
    /// and return instead of making one, for a store that keeps no checkpoint it commits (the bare in-memory one).
    /// </param>
    public static EnrollmentCheckpoint Execute(CompiledJourney journey, WorkItem item, FieldValue[] fields, TimeZoneInfo zone, DateTimeOffset now, bool stateRecord = false, ILogger? logger = null, EnrollmentCheckpoint? into = null)
    {
        var run = Rent(journey, item, fields, zone, now);
        run._logger = logger;
        run.Run();
        return run.Finish(stateRecord, into);
    }

    /// <summary>Ends a claimed enrollment as failed (it could not be run), counting the failure.</summary>
    public static EnrollmentCheckpoint Fail(CompiledJourney journey, WorkItem item, string reason, DateTimeOffset now, bool stateRecord = false, EnrollmentCheckpoint? into = null)
    {
        var run = Rent(journey, item, [], TimeZoneInfo.Utc, now);
        run.End(EnrollmentStatus.Failed, reason, StatisticCounter.Failed);
        return run.Finish(stateRecord, into);
    }

    /// <summary>The message id of a send: unique per enrollment, node and visit; feedback events refer to it.</summary>
    public static string MessageId(Guid enrollmentId, string nodeId, int visit) => OutboundMessage.EngineMessageId(enrollmentId, nodeId, visit);

    /// <summary>Reads the enrollment and node out of a message id made by <see cref="MessageId"/>.</summary>
    public static bool TryParseMessageId(string? messageId, out Guid enrollmentId, out string nodeId)
    {
        enrollmentId = default;
        nodeId = string.Empty;
        if (messageId is null)
        {
            return false;
        }

        var first = messageId.IndexOf('/', StringComparison.Ordinal);
        var last = messageId.LastIndexOf('/');
        if (first <= 0 || last <= first + 1 || !Guid.TryParseExact(messageId.AsSpan(0, first), "N", out enrollmentId))
        {
            return false;
        }

        nodeId = messageId[(first + 1)..last];
        return true;
    }

    /// <summary>The idempotency key of a send: <c>journey:version:enrollment:node:visit</c>.</summary>
    public static string IdempotencyKey(CompiledJourney journey, Guid enrollmentId, string nodeId, int visit) =>
        string.Create(CultureInfo.InvariantCulture, $"{journey.Id}:{journey.Version}:{enrollmentId:N}:{nodeId}:{visit}");

    private bool Ended => _status is not (EnrollmentStatus.Active or EnrollmentStatus.Waiting);

    /// <summary>
    /// The fields the run set, kept in the checkpoint beside the claimed record (<see cref="EnrollmentCheckpoint.State"/> is
    /// built from both only when something reads it: the in-memory store copies the fields into its entry instead). The
    /// state carries the token a commit gives it (the claimed one + 1: the store ignores the state's token and assigns
    /// exactly this one), and the claimed <see cref="Enrollment.Clicks"/> (the store owns it: counted at publication,
    /// never written by a commit).
    /// </summary>
    private EnrollmentChange BuildChange() => new(
        _currentNodeId,
        _status,
        _wakeAt,
        _awaitedEvent,
        _visit,
        _now,
        _wakeEvents,
        _eventCursor,
        _nodeEnteredAt,
        _nodeState,
        _endReason,
        _messagesSent);

    // The run's sends as outbox records (a durable store reads them), each due now, from this enrollment.
    private OutboxMessage[] OutboxRecords()
    {
        if (_outbox.Count == 0)
        {
            return [];
        }

        var records = new OutboxMessage[_outbox.Count];
        for (var i = 0; i < records.Length; i++)
        {
            records[i] = new OutboxMessage(_outbox[i], _id, _now);
        }

        return records;
    }

    // The run's writes as customer updates (a durable store reads them).
    private CustomerFieldUpdate[] UpdateRecords()
    {
        if (_writes.Count == 0)
        {
            return [];
        }

        var updates = new CustomerFieldUpdate[_writes.Count];
        for (var i = 0; i < updates.Length; i++)
        {
            updates[i] = _writes[i].For(_customerId);
        }

        return updates;
    }

    /// <summary>The checkpoint, with exact arrays copied out of the scratch lists; the executor goes back to the thread.</summary>
    private EnrollmentCheckpoint Finish(bool stateRecord, EnrollmentCheckpoint? into)
    {
        var change = BuildChange();
        IReadOnlyList<string> withdraw = _withdrawNodes.Count > 0 ? _withdrawNodes.ToArray() : [];
        EnrollmentCheckpoint checkpoint;
        if (stateRecord)
        {
            checkpoint = new EnrollmentCheckpoint(change.ApplyTo(_item.Claim), _item.Claim.ConcurrencyToken, OutboxRecords(), UpdateRecords(), InternStatistics()) { WithdrawNodeIds = withdraw };
        }
        else if (into is not null)
        {
            into.Refill(_item, change, CollectionsMarshal.AsSpan(_outbox), CollectionsMarshal.AsSpan(_writes), InternStatistics(), withdraw);
            checkpoint = into;
        }
        else
        {
            checkpoint = new EnrollmentCheckpoint(_item, change, CollectionsMarshal.AsSpan(_outbox), CollectionsMarshal.AsSpan(_writes), InternStatistics(), withdraw);
        }

        _outbox.Clear();
        _writes.Clear();

        // Keep nothing of this run alive while the executor waits for the next one.
        _journey = null!;
        _item = null!;
        _fields = [];
        _zone = TimeZoneInfo.Utc;
        _customerId = string.Empty;
        _currentNodeId = null;
        _awaitedEvent = null;
        _endReason = null;
        _wakeEvents = EquatableArray<string>.Empty;
        _context = null;
        t_cached = this;
        return checkpoint;
    }

    /// <summary>
    /// The run's statistic deltas as an array shared with earlier runs that counted exactly the same deltas (same
    /// journey, version, nodes, counters and amounts, in the same order), or a new array that later runs may share.
    /// Stores only read checkpoint lists, so sharing is safe; it saves an array per enrollment on the common paths.
    /// </summary>
    private StatisticDelta[] InternStatistics()
    {
        var deltas = CollectionsMarshal.AsSpan(_statistics);
        if (deltas.IsEmpty)
        {
            return [];
        }

        var hash = deltas.Length;
        foreach (ref readonly var delta in deltas)
        {
            hash = HashCode.Combine(hash, delta.NodeId is null ? 0 : RuntimeHelpers.GetHashCode(delta.NodeId), (int)delta.Counter, delta.Amount);
        }

        // Open addressing over a few neighbouring slots: a path never evicts another while a free slot is near, so
        // which paths share does not depend on how their (per-process) hashes happen to collide.
        var paths = _journey.StatisticPaths;
        var first = hash & (CompiledJourney.StatisticPathSlots - 1);
        var free = -1;
        for (var probe = 0; probe < StatisticPathProbes; probe++)
        {
            var slot = (first + probe) & (CompiledJourney.StatisticPathSlots - 1);
            var cached = Volatile.Read(ref paths[slot]);
            if (cached is null)
            {
                free = slot;
                break;
            }

            if (SameDeltas(cached, deltas))
            {
                _statistics.Clear();
                return cached;
            }
        }

        var copy = deltas.ToArray();
        _statistics.Clear();

        // With all probed slots taken by other paths, the first one is replaced (the table is a cache, not a set).
        Volatile.Write(ref paths[free >= 0 ? free : first], copy);
        return copy;
    }

    private const int StatisticPathProbes = 4;

    private static bool SameDeltas(StatisticDelta[] cached, ReadOnlySpan<StatisticDelta> deltas)
    {
        if (cached.Length != deltas.Length)
        {
            return false;
        }

        for (var i = 0; i < deltas.Length; i++)
        {
            ref readonly var x = ref cached[i];
            ref readonly var y = ref deltas[i];
            if (x.Counter != y.Counter || x.Amount != y.Amount || x.Version != y.Version
                || !string.Equals(x.NodeId, y.NodeId, StringComparison.Ordinal)
                || !string.Equals(x.JourneyId, y.JourneyId, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private void Run()
    {
        if (Ended)
        {
            return;
        }

        // Counted before anything can end the run: an enrollment created is one that entered, also when it fails at once
        // (so a journey's failed never exceeds its entered; the journeys.enrollments.entered instrument counts it too).
        if (_visit == 0)
        {
            Count(StatisticCounter.Entered, null);
        }

        if (_current < 0)
        {
            End(EnrollmentStatus.Failed, $"node '{_currentNodeId}' is not in version {_journey.Version}", StatisticCounter.Failed);
            return;
        }

        if (_status == EnrollmentStatus.Active)
        {
            // A goal reached before this first step converts the enrollment before anything is sent.
            for (var i = 0; i < _item.Events.Count; i++)
            {
                if (IsGoal(_item.Events[i].Event))
                {
                    _eventCursor = _item.Events[i].Sequence;
                    _nextEvent = i + 1;
                    Convert(_item.Events[i].Event.Name);
                    return;
                }
            }

            Enter(_current);
        }

        while (!Ended && _status == EnrollmentStatus.Waiting)
        {
            var hasEvent = _nextEvent < _item.Events.Count;
            if (_wakeAt is { } wakeAt && wakeAt <= _now && (!hasEvent || wakeAt <= _item.Events[_nextEvent].Event.Time))
            {
                FireTimer(wakeAt);
            }
            else if (hasEvent)
            {
                var sequenced = _item.Events[_nextEvent++];
                _eventCursor = Math.Max(_eventCursor, sequenced.Sequence);
                HandleEvent(sequenced.Event);
            }
            else
            {
                break;
            }
        }
    }

    private void HandleEvent(CustomerEvent e)
    {
        if (IsGoal(e))
        {
            Convert(e.Name);
            return;
        }

        switch (_journey.Nodes[_current])
        {
            case CompiledWait wait when Matches(wait, e, out var next):
                Leave();
                Enter(next);
                break;
            case CompiledRetargeting retargeting when string.Equals(e.Name, retargeting.ConversionEvent, StringComparison.Ordinal):
                Count(StatisticCounter.Converted, retargeting.Id);
                WithdrawEarlier(retargeting.Id);
                Leave();
                Enter(retargeting.OnConverted);
                break;
            case CompiledWebhook webhook when string.Equals(e.Name, WebhookResultEvent, StringComparison.Ordinal)
                && string.Equals(e.MessageId, MessageId(_id, webhook.Id, _visit), StringComparison.Ordinal):
                var success = e.Properties.TryGetValue("success", out var value) && value.Type == FieldType.Boolean && value.AsBoolean();
                if (!success)
                {
                    Count(StatisticCounter.Failed, webhook.Id);
                }

                Leave();
                Enter(success ? webhook.OnSuccess : webhook.OnFailure);
                break;
        }
    }

    /// <summary>Handles the timer that fell due at <paramref name="due"/> (at or before now, and before the next event).</summary>
    private void FireTimer(DateTimeOffset due)
    {
        switch (_journey.Nodes[_current])
        {
            case CompiledWait wait:
                Leave();
                Enter(wait.OnTimeout);
                break;
            case CompiledDelay delay:
                Leave();
                Enter(delay.Next);
                break;
            case CompiledRetargeting retargeting:
                RetargetingTimer(retargeting, due);
                break;
            case CompiledWebhook webhook:
                // The call's result never came back in time (the dispatcher is down or busy, or the call hangs): fail. A
                // call not made yet (queued, held, waiting for a retry) is withdrawn: the receiver must not hear about a
                // customer who has taken the failure edge. One already under way may still arrive; its result is ignored.
                Count(StatisticCounter.Failed, webhook.Id);
                WithdrawEarlier(webhook.Id);
                Leave();
                Enter(webhook.OnFailure);
                break;
            default:
                End(EnrollmentStatus.Failed, $"node '{_journey.Nodes[_current].Id}' does not wait", StatisticCounter.Failed);
                break;
        }
    }

    /// <remarks>
    /// Only what fell due by <paramref name="due"/>, the timer's own instant, not by now: a run that comes late (the host
    /// was down, the shards were behind) must not send the later reminders or end the window before an event that came
    /// in between, such as the conversion. The run's loop fires the next timer (the next reminder or the window's end)
    /// itself when it too is due before the next event.
    /// </remarks>
    private void RetargetingTimer(CompiledRetargeting node, DateTimeOffset due)
    {
        var enteredAt = _nodeEnteredAt ?? _now;
        var sent = _nodeState;
        // Saturating: a window or a reminder may be as long as TimeSpan.MaxValue (it then ends at the last instant).
        while (sent < node.Reminders.Length && LocalTime.AddSaturating(enteredAt, node.Reminders[sent].After) <= due)
        {
            var reminder = node.Reminders[sent];
            Send(node.Id, reminder.Channel, reminder.Template, $"reminder-{sent + 1}");
            sent++;
        }

        _nodeState = sent;
        var windowEnd = LocalTime.AddSaturating(enteredAt, node.Window);
        if (windowEnd <= due)
        {
            Leave();
            Enter(node.OnExhausted);
            return;
        }

        var nextReminder = sent < node.Reminders.Length ? LocalTime.AddSaturating(enteredAt, node.Reminders[sent].After) : windowEnd;
        _wakeAt = nextReminder < windowEnd ? nextReminder : windowEnd;
    }

    private void Enter(int index)
    {
        while (true)
        {
            if (index < 0)
            {
                End(EnrollmentStatus.Completed, null, StatisticCounter.Completed);
                return;
            }

            if (++_steps > MaxStepsPerRun)
            {
                End(EnrollmentStatus.Failed, $"more than {MaxStepsPerRun} steps without waiting", StatisticCounter.Failed);
                return;
            }

            var node = _journey.Nodes[index];
            _current = index;
            _currentNodeId = node.Id;
            _status = EnrollmentStatus.Active;
            _visit++;
            _nodeEnteredAt = _now;
            _nodeState = 0;
            _wakeAt = null;
            _awaitedEvent = null;
            _wakeEvents = _journey.GoalEvents;
            Count(StatisticCounter.Entered, node.Id);
            _atNode = true;

            switch (node)
            {
                case CompiledSend send:
                    Send(send.Id, send.Channel, send.Template, null);
                    Leave();
                    index = send.Next;
                    break;

                case CompiledFilter filter:
                    index = filter.Else;
                    _context ??= new EvaluationContext(_now, _zone);
                    for (var i = 0; i < filter.Conditions.Length; i++)
                    {
                        if (filter.Conditions[i].Evaluate(_fields, _context.Value))
                        {
                            index = filter.Targets[i];
                            break;
                        }
                    }

                    Leave();
                    break;

                case CompiledSplit split:
                    Leave();
                    index = split.Targets[split.ChoosePath(_customerId)];
                    break;

                case CompiledWait wait:
                    Wait(wait.EventName, LocalTime.AddSaturating(_now, wait.Timeout));
                    if (wait.CorrelatedNodeId is not null && FindEarlierMatch(wait, out var earlierNext))
                    {
                        Leave();
                        index = earlierNext;
                        break;
                    }

                    return;

                case CompiledRetargeting retargeting:
                    var first = retargeting.Reminders.IsEmpty ? retargeting.Window : TimeSpan.FromTicks(Math.Min(retargeting.Reminders[0].After.Ticks, retargeting.Window.Ticks));
                    Wait(retargeting.ConversionEvent, LocalTime.AddSaturating(_now, first));
                    return;

                case CompiledDelay delay:
                    var until = DelayUntil(delay);
                    if (until <= _now)
                    {
                        Leave();
                        index = delay.Next;
                        break;
                    }

                    Wait(null, until);
                    return;

                case CompiledWebhook webhook:
                    CallWebhook(webhook);
                    Wait(WebhookResultEvent, LocalTime.AddSaturating(_now, webhook.ResultTimeout));
                    return;

                case CompiledUpdate update:
                    var value = update.Value.IsNull && _journey.Schema.TryGetField(update.Field, out var definition) ? definition.Default : update.Value;
                    if (update.Slot >= 0 && update.Slot < _fields.Length)
                    {
                        _fields[update.Slot] = value;
                    }

                    _writes.Add(update.Write);
                    Leave();
                    index = update.Next;
                    break;

                case CompiledExit exit:
                    End(EnrollmentStatus.Exited, exit.Reason, StatisticCounter.Exited);
                    return;

                default:
                    End(EnrollmentStatus.Failed, $"node '{node.Id}' has an unknown kind", StatisticCounter.Failed);
                    return;
            }
        }
    }

    private void Wait(string? awaitedEvent, DateTimeOffset wakeAt)
    {
        var wakeEvents = _journey.GoalEvents;
        if (awaitedEvent is not null && !wakeEvents.Contains(awaitedEvent))
        {
            wakeEvents = wakeEvents.AsImmutableArray().Add(awaitedEvent);
        }

        _status = EnrollmentStatus.Waiting;
        _awaitedEvent = awaitedEvent;
        _wakeAt = wakeAt;
        _wakeEvents = wakeEvents;
    }

    /// <summary>
    /// Whether <paramref name="e"/> counts for <paramref name="wait"/>, and where it sends the customer: with event
    /// branches the first branch whose condition matches the event's properties decides, and an event matching none
    /// does not count; without branches it is <see cref="CompiledWait.OnEvent"/>.
    /// </summary>
    private bool Matches(CompiledWait wait, CustomerEvent e, out int next)
    {
        next = wait.OnEvent;
        if (!MatchesEvent(wait, e))
        {
            return false;
        }

        if (wait.BranchConditions.IsEmpty)
        {
            return true;
        }

        for (var i = 0; i < wait.BranchConditions.Length; i++)
        {
            if (ReferenceConditionEvaluator.Evaluate(wait.BranchConditions[i], e.Properties, e.Time, _zone))
            {
                next = wait.BranchTargets[i];
                return true;
            }
        }

        return false;
    }

    private bool MatchesEvent(CompiledWait wait, CustomerEvent e)
    {
        if (!string.Equals(e.Name, wait.EventName, StringComparison.Ordinal))
        {
            return false;
        }

        if (wait.CorrelatedNodeId is { } correlated)
        {
            var prefix = string.Create(CultureInfo.InvariantCulture, $"{_id:N}/{correlated}/");
            if (e.MessageId is null || !e.MessageId.StartsWith(prefix, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return wait.PropertyCondition is null
            || ReferenceConditionEvaluator.Evaluate(wait.PropertyCondition, e.Properties, e.Time, _zone);
    }

    /// <summary>
    /// A click on a correlated message can race ahead of the wait that expects it (the message is sent as soon as the
    /// send is committed): look at the events this run has already passed over, and at the feedback on this
    /// enrollment's own messages that earlier runs passed over (<see cref="WorkItem.EarlierFeedback"/>: a run woken by
    /// another event, such as a goal event that did not convert, moves the cursor past a click it could not use).
    /// </summary>
    private bool FindEarlierMatch(CompiledWait wait, out int next)
    {
        // Not for a send node on a loop: its earlier rounds' messages share the prefix, and their clicks may have been
        // taken already by an earlier round's wait.
        var earlier = wait.CorrelatedNodeRepeats ? [] : _item.EarlierFeedback;
        for (var i = 0; i < earlier.Count; i++)
        {
            if (Matches(wait, earlier[i].Event, out next))
            {
                return true;
            }
        }

        // On a loop, when this run entered the send node (this round's message is queued by it, not yet sent), nothing
        // the run passed over can be a click on that message: a match there is a late click on an earlier round's.
        var passedOver = wait.CorrelatedNodeRepeats && EnteredThisRun(wait.CorrelatedNodeId!) ? 0 : _nextEvent;
        for (var i = 0; i < passedOver; i++)
        {
            if (Matches(wait, _item.Events[i].Event, out next))
            {
                return true;
            }
        }

        next = wait.OnEvent;
        return false;
    }

    // Whether this run entered the node (its Entered count is among the run's deltas; a cold path: loops only).
    private bool EnteredThisRun(string nodeId)
    {
        foreach (ref readonly var delta in CollectionsMarshal.AsSpan(_statistics))
        {
            if (delta.Counter == StatisticCounter.Entered && string.Equals(delta.NodeId, nodeId, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private bool IsGoal(CustomerEvent e) =>
        _journey.Goals.TryGetValue(e.Name, out var condition)
        && (condition is null || ReferenceConditionEvaluator.Evaluate(condition, e.Properties, e.Time, _zone));

    private void Convert(string goal)
    {
        // A converted customer gets nothing more from the journey: what this run queued before the goal (a timer or an
        // earlier event of the same run) is withdrawn here, counted as the store counts the enrollment's earlier
        // messages it withdraws in the commit (IEnrollmentStore.CommitAsync); such a message was never committed.
        WithdrawQueued(null);
        Count(StatisticCounter.Converted, _currentNodeId);
        End(EnrollmentStatus.Converted, "goal:" + goal, StatisticCounter.Converted);
    }

    /// <summary>
    /// A node whose messages that have not gone out must not any more: a retargeting node left by its conversion event
    /// (its reminders must not reach the customer who converted), a webhook node whose result timed out (its call must
    /// not reach the receiver after the customer took the failure edge). Those this run queued are dropped here; the
    /// commit withdraws the earlier ones (<see cref="EnrollmentCheckpoint.WithdrawNodeIds"/>). The enrollment's other
    /// messages stay: the journey goes on.
    /// </summary>
    private void WithdrawEarlier(string nodeId)
    {
        WithdrawQueued(nodeId);
        if (!_withdrawNodes.Contains(nodeId))
        {
            _withdrawNodes.Add(nodeId);
        }
    }

    // Drops the run's queued messages of the node (all of them for null), each counted Withdrawn at its node.
    private void WithdrawQueued(string? nodeId)
    {
        var kept = 0;
        for (var i = 0; i < _outbox.Count; i++)
        {
            var message = _outbox[i];
            if (nodeId is null || string.Equals(message.NodeId, nodeId, StringComparison.Ordinal))
            {
                Count(StatisticCounter.Withdrawn, message.NodeId);
                _messagesSent -= message.Channel == WebhookChannel ? 0 : 1;
            }
            else
            {
                _outbox[kept++] = message;
            }
        }

        _outbox.RemoveRange(kept, _outbox.Count - kept);
    }

    private DateTimeOffset DelayUntil(CompiledDelay delay) => delay.Delay switch
    {
        DurationDelay d => LocalTime.AddSaturating(_now, d.Duration),
        UntilDateDelay d => d.Until,
        UntilTimeOfDayDelay d => LocalTime.NextOccurrence(_now, d.TimeOfDay, _zone),
        UntilFieldDelay d => delay.FieldSlot >= 0 && delay.FieldSlot < _fields.Length && _fields[delay.FieldSlot].Type == FieldType.DateTime
            ? LocalTime.AddSaturating(_fields[delay.FieldSlot].AsDateTime(), d.Offset)
            : _now, // no date: nothing to wait for
        _ => _now,
    };

    private void Send(string nodeId, Channel channel, CompiledTemplate template, string? reminder)
    {
        if (!template.TryRender(_fields, out var body, out var missingVariable))
        {
            // A variable with no value and no default: not sent, counted as failed and by its reason; the customer moves on.
            // The variable's name is part of the campaign, not customer data: it tells the operator what to fix.
            // Once per send of a version at Warning, then at Debug: a million customers without the field would
            // otherwise be a million warnings.
            if (_logger is { } logger)
            {
                if (template.FirstNotRendered())
                {
                    LogNotRendered(logger, _journey.Id, _journey.Version, nodeId, template.CampaignId, missingVariable ?? string.Empty);
                }
                else
                {
                    LogNotRenderedAgain(logger, _journey.Id, _journey.Version, nodeId, template.CampaignId, missingVariable ?? string.Empty);
                }
            }

            Count(StatisticCounter.Failed, nodeId);
            Count(StatisticCounter.NotRendered, nodeId);
            return;
        }

        // The id (enrollment/node/visit) and the idempotency key (journey:version:enrollment:node:visit) are made when
        // first read, not per send: the in-memory store and the dispatcher go by the message itself. A reminder's visit
        // ("3-reminder-1") is formatted straight into its id.
        _outbox.Add(reminder is null
            ? new OutboundMessage(_id, _visit, channel, template.CampaignId, _customerId, body, _journey.Id, _journey.Version, nodeId)
            : new OutboundMessage(
                string.Create(CultureInfo.InvariantCulture, $"{_id:N}/{nodeId}/{_visit}-{reminder}"),
                channel, template.CampaignId, _customerId, body, _journey.Id, _journey.Version, nodeId));
        _messagesSent++;
    }

    private void CallWebhook(CompiledWebhook webhook)
    {
        var messageId = MessageId(_id, webhook.Id, _visit);
        var key = IdempotencyKey(_journey, _id, webhook.Id, _visit);
        _outbox.Add(new OutboundMessage(messageId, key, WebhookChannel, webhook.Url, _customerId, WebhookFields(webhook), _journey.Id, _journey.Version, webhook.Id));
    }

    /// <summary>The selected customer fields as a JSON object (the dispatcher signs and posts it).</summary>
    private string WebhookFields(CompiledWebhook webhook)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, slot) in webhook.Fields)
            {
                writer.WritePropertyName(name);
                WebhookInvoker.WriteValue(writer, slot >= 0 && slot < _fields.Length ? _fields[slot] : FieldValue.Null);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private void Leave()
    {
        Count(StatisticCounter.Left, _journey.Nodes[_current].Id);
        _atNode = false;
    }

    private void End(EnrollmentStatus status, string? reason, StatisticCounter counter)
    {
        var nodeId = _current >= 0 ? _journey.Nodes[_current].Id : _currentNodeId;
        if (_atNode)
        {
            // Ending at the node is leaving it (StatisticCounter.Left), so entered - left stays who is there now.
            Leave();
        }

        if (counter is StatisticCounter.Exited or StatisticCounter.Failed && nodeId is not null)
        {
            Count(counter, nodeId);
        }

        Count(counter, null);
        _status = status;
        _currentNodeId = status == EnrollmentStatus.Completed ? null : nodeId;
        _endReason = reason;
        _wakeAt = null;
        _awaitedEvent = null;
        _wakeEvents = EquatableArray<string>.Empty;
    }

    private void Count(StatisticCounter counter, string? nodeId) =>
        _statistics.Add(new StatisticDelta(_journey.Id, _journey.Version, nodeId, counter));

    [LoggerMessage(10, LogLevel.Warning, "Send of campaign {CampaignId} at journey {JourneyId} version {Version} node {NodeId} skipped: template variable '{Variable}' has no value and no default (further skips of this send are logged at Debug, event 11; the notRendered counter counts them all)")]
    private static partial void LogNotRendered(ILogger logger, string journeyId, int version, string nodeId, string campaignId, string variable);

    [LoggerMessage(11, LogLevel.Debug, "Send of campaign {CampaignId} at journey {JourneyId} version {Version} node {NodeId} skipped again: template variable '{Variable}' has no value and no default")]
    private static partial void LogNotRenderedAgain(ILogger logger, string journeyId, int version, string nodeId, string campaignId, string variable);
}
