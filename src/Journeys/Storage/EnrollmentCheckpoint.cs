using Journeys.Messaging;
using Journeys.Model;

namespace Journeys.Storage;

/// <summary>The result of processing one claimed enrollment, committed atomically.</summary>
/// <param name="State">The new state (its <see cref="Enrollment.ConcurrencyToken"/> is ignored: the store assigns the next one).</param>
/// <param name="ExpectedToken">The token the enrollment had when claimed.</param>
/// <param name="Outbox">Messages to send after the commit.</param>
/// <param name="CustomerUpdates">Customer fields set by update nodes.</param>
/// <param name="Statistics">Counter deltas.</param>
public sealed record EnrollmentCheckpoint(
    Enrollment State,
    long ExpectedToken,
    IReadOnlyList<OutboxMessage> Outbox,
    IReadOnlyList<CustomerFieldUpdate> CustomerUpdates,
    IReadOnlyList<StatisticDelta> Statistics)
{
    // Either the state as given, or (a checkpoint the engine's executor made, EnrollmentChange) the claimed work item and
    // the run's changes, from which the state record is built on its first read: the in-memory store copies the changes
    // into its entry without it, which saves a 160-byte record per committed enrollment. Equality and the printed form go
    // through State, so both forms of one state are equal.
    // Not readonly: a checkpoint the engine reuses (Refill, the bare in-memory store only) is given the next run's.
    private Enrollment? _state = State;
    private WorkItem? _claimed;
    private EnrollmentChange _change;
    private long _expectedToken = ExpectedToken;
    private IReadOnlyList<StatisticDelta> _statistics = Statistics;
    private IReadOnlyList<string> _withdrawNodeIds = [];

    // The messages as given (a list), or, in the executor's form, the run's sends: one OutboundMessage, or an array of
    // several, each due at the run's time (the change's UpdatedAt), from the claimed enrollment, no attempt made yet. The
    // OutboxMessage list is built from them only when Outbox is read (then kept): the in-memory store and the engine's
    // hand-off read the sends through OutboxSends instead, which saves an OutboxMessage (64 B) per send and the list
    // (32 B) per checkpoint.
    private object? _outbox = Outbox;

    // The updates as given (a list), or, in the executor's form, the run's update nodes' writes of the claimed customer:
    // one FieldWrite (the node's own, shared by every run through it), or an array of several. The CustomerFieldUpdate
    // array is built from them only when CustomerUpdates is read (then kept): the in-memory store reads the writes
    // through CustomerUpdate(int) instead, which saves an array (56 B) per checkpoint that updates the customer.
    private object? _updates = CustomerUpdates;

    /// <summary>
    /// A checkpoint whose state is <paramref name="claimed"/>'s state changed by <paramref name="change"/>, and whose
    /// outbox is <paramref name="sends"/>, each due at the change's <see cref="EnrollmentChange.UpdatedAt"/>, from the
    /// claimed enrollment; both built when first read.
    /// </summary>
    internal EnrollmentCheckpoint(WorkItem claimed, in EnrollmentChange change, ReadOnlySpan<OutboundMessage> sends, ReadOnlySpan<FieldWrite> writes, IReadOnlyList<StatisticDelta> statistics, IReadOnlyList<string>? withdrawNodeIds = null)
        : this(null!, claimed.Claim.ConcurrencyToken, Array.Empty<OutboxMessage>(), Array.Empty<CustomerFieldUpdate>(), statistics)
    {
        Refill(claimed, change, sends, writes, statistics, withdrawNodeIds ?? []);
    }

    /// <summary>
    /// An empty checkpoint for <see cref="Refill"/>: a shard whose store is the bare in-memory one fills one such checkpoint
    /// per enrollment of a batch, batch after batch, instead of making a checkpoint per run (that store reads a commit's
    /// checkpoints during the call and keeps none of them). Never for a store that may keep what it is given.
    /// </summary>
    internal static EnrollmentCheckpoint Reusable() =>
        new(null!, 0, Array.Empty<OutboxMessage>(), Array.Empty<CustomerFieldUpdate>(), Array.Empty<StatisticDelta>());

    /// <summary>
    /// Makes this the executor's checkpoint of a run (what the internal constructor makes), in place. The sends and writes
    /// are kept as the constructor keeps them (one as itself, several in an array); a reused checkpoint's array of the
    /// same length, left by its previous run, is written over instead of making a new one.
    /// </summary>
    internal void Refill(WorkItem claimed, in EnrollmentChange change, ReadOnlySpan<OutboundMessage> sends, ReadOnlySpan<FieldWrite> writes, IReadOnlyList<StatisticDelta> statistics, IReadOnlyList<string> withdrawNodeIds)
    {
        _state = null;
        _claimed = claimed;
        _change = change;
        _expectedToken = claimed.Claim.ConcurrencyToken;
        _outbox = Keep(sends, _outbox as OutboundMessage[], Array.Empty<OutboxMessage>());
        _updates = Keep(writes, _updates as FieldWrite[], Array.Empty<CustomerFieldUpdate>());
        _statistics = statistics;
        _withdrawNodeIds = withdrawNodeIds;
    }

    /// <summary>
    /// Lets go of what the last <see cref="Refill"/> gave (the claimed item, its messages, the run's strings), so a reused
    /// checkpoint keeps nothing of a committed batch alive; its array of sends or writes is kept, emptied, for the next run.
    /// </summary>
    internal void Release()
    {
        _state = null;
        _claimed = null;
        _change = default;
        _statistics = Array.Empty<StatisticDelta>();
        _withdrawNodeIds = [];
        if (_outbox is OutboundMessage[] sends)
        {
            Array.Clear(sends);
        }
        else
        {
            _outbox = Array.Empty<OutboxMessage>();
        }

        if (_updates is FieldWrite[] writes)
        {
            Array.Clear(writes);
        }
        else
        {
            _updates = Array.Empty<CustomerFieldUpdate>();
        }
    }

    // None as `none`, one as itself, several in an array: `previous` when it is an array of that many (a reused
    // checkpoint's, whose last batch is committed), else a new one.
    private static object Keep<T>(ReadOnlySpan<T> items, T[]? previous, object none)
        where T : class
    {
        switch (items.Length)
        {
            case 0:
                return none;
            case 1:
                return items[0];
            default:
                if (previous is not null && previous.Length == items.Length)
                {
                    items.CopyTo(previous);
                    return previous;
                }

                return items.ToArray();
        }
    }

    /// <summary>The token the enrollment had when claimed.</summary>
    public long ExpectedToken
    {
        get => _expectedToken;
        init => _expectedToken = value;
    }

    /// <summary>Counter deltas.</summary>
    public IReadOnlyList<StatisticDelta> Statistics
    {
        get => _statistics;
        init => _statistics = value;
    }

    /// <summary>Customer fields set by update nodes.</summary>
    public IReadOnlyList<CustomerFieldUpdate> CustomerUpdates
    {
        get => UpdatesAreWrites ? BuildUpdates() : (IReadOnlyList<CustomerFieldUpdate>)_updates!;
        init => _updates = value;
    }

    /// <summary>Whether <see cref="CustomerUpdates"/>' list exists (given, or built by a read): false while an executor's writes were only read through <see cref="CustomerUpdate"/>. For tests.</summary>
    internal bool CustomerUpdatesBuilt => _updates is IReadOnlyList<CustomerFieldUpdate>;

    /// <summary>True when there are customer updates (given, or the executor's writes): what a null check of <see cref="CustomerUpdates"/> says, without building it.</summary>
    internal bool HasCustomerUpdates => _updates is not null;

    /// <summary>How many customer updates there are (0 for a null list), without building <see cref="CustomerUpdates"/>.</summary>
    internal int CustomerUpdateCount => _updates switch
    {
        FieldWrite => 1,
        FieldWrite[] several => several.Length,
        IReadOnlyList<CustomerFieldUpdate> list => list.Count,
        _ => 0,
    };

    /// <summary>The customer update at <paramref name="index"/>, without building <see cref="CustomerUpdates"/> (an executor's write is of the claimed customer).</summary>
    internal CustomerFieldUpdate CustomerUpdate(int index) => _updates switch
    {
        FieldWrite one when index == 0 => one.For(Identity.CustomerId),
        FieldWrite[] several => several[index].For(Identity.CustomerId),
        IReadOnlyList<CustomerFieldUpdate> list => list[index],
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    /// <summary>Messages to send after the commit.</summary>
    public IReadOnlyList<OutboxMessage> Outbox
    {
        get => OutboxIsSends ? BuildOutbox() : (IReadOnlyList<OutboxMessage>)_outbox!;
        init => _outbox = value;
    }

    /// <summary>Whether <see cref="Outbox"/>'s list exists (given, or built by a read): false while an executor's sends were only read through <see cref="Sends"/>. For tests.</summary>
    internal bool OutboxListBuilt => _outbox is IReadOnlyList<OutboxMessage>;

    /// <summary>True when there is an outbox (given, or the executor's sends): what a null check of <see cref="Outbox"/> says, without building it.</summary>
    internal bool HasOutbox => _outbox is not null;

    /// <summary>The messages without building <see cref="Outbox"/>'s records (the executor's form reads its sends directly).</summary>
    internal OutboxSends Sends => OutboxIsSends
        ? new OutboxSends(_outbox, _claimed!.Claim.Id, _change.UpdatedAt)
        : new OutboxSends(_outbox, default, default);

    // Whether the outbox (the updates) are the executor's sends (writes), not a list or null. Tested by their sealed types:
    // an exact type check each, where a test for the list interface goes through the runtime's cast helper every time.
    private bool OutboxIsSends => _outbox is OutboundMessage or OutboundMessage[];

    private bool UpdatesAreWrites => _updates is FieldWrite or FieldWrite[];

    /// <summary>The new state (its <see cref="Enrollment.ConcurrencyToken"/> is ignored: the store assigns the next one).</summary>
    public Enrollment State
    {
        get => _state ?? BuildState();
        init
        {
            // The sends' enrollment and due time are the claimed record's and the change's: the list is built before
            // they go, so a copy with another state keeps the messages it had.
            if (OutboxIsSends)
            {
                _outbox = BuildOutbox();
            }

            // The writes' customer is the claimed record's, likewise.
            if (UpdatesAreWrites)
            {
                _updates = BuildUpdates();
            }

            _state = value;
            _claimed = null;
        }
    }

    /// <summary>
    /// Nodes whose outbox messages of this enrollment that the store holds from earlier commits (not yet gone out:
    /// pending, held, waiting for a retry, leased) this checkpoint's commit withdraws, each adding 1 to
    /// <see cref="StatisticCounter.Withdrawn"/> at its node: a retargeting node that the customer left by its conversion
    /// event, whose reminders must not reach a customer who converted, or a webhook node whose result timed out, whose
    /// call must not reach the receiver after the customer took the failure edge. Empty (the default) for none; the enrollment's other
    /// messages, and this checkpoint's own, are kept. See <see cref="IEnrollmentStore.CommitAsync"/>.
    /// </summary>
    /// <remarks>
    /// A store that ignores it stays consistent: the reminders then go out and count as sent, as before this property
    /// existed.
    /// </remarks>
    public IReadOnlyList<string> WithdrawNodeIds
    {
        get => _withdrawNodeIds;
        init => _withdrawNodeIds = value;
    }

    /// <summary>True when there is a state (given, or to be built): what a null check of <see cref="State"/> says, without building it.</summary>
    internal bool HasState => _state is not null || _claimed is not null;

    /// <summary>The enrollment's id, journey, version, customer and entry time (and nothing else) without building the state.</summary>
    internal IEnrollmentIdentity Identity => (IEnrollmentIdentity?)_state ?? _claimed!.Claim.Identity;

    /// <summary>The new status, without building the state.</summary>
    internal EnrollmentStatus Status => _state?.Status ?? _change.Status;

    /// <summary>
    /// The run's changes when the state has not been built (nor given): a store may copy them instead of reading
    /// <see cref="State"/>; the identity fields are <see cref="Identity"/>'s.
    /// </summary>
    internal bool TryGetChange(out EnrollmentChange change)
    {
        if (_state is null && _claimed is not null)
        {
            change = _change;
            return true;
        }

        change = default;
        return false;
    }

    /// <inheritdoc />
    public bool Equals(EnrollmentCheckpoint? other) =>
        other is not null
        && (ReferenceEquals(this, other)
            || (EqualityComparer<Enrollment>.Default.Equals(State, other.State)
                && ExpectedToken == other.ExpectedToken
                && EqualityComparer<IReadOnlyList<OutboxMessage>>.Default.Equals(Outbox, other.Outbox)
                && EqualityComparer<IReadOnlyList<CustomerFieldUpdate>>.Default.Equals(CustomerUpdates, other.CustomerUpdates)
                && EqualityComparer<IReadOnlyList<StatisticDelta>>.Default.Equals(Statistics, other.Statistics)
                && EqualityComparer<IReadOnlyList<string>>.Default.Equals(WithdrawNodeIds, other.WithdrawNodeIds)));

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(State, ExpectedToken, Outbox, CustomerUpdates, Statistics, WithdrawNodeIds);

    // The executor form's OutboxMessage list; a race of two first reads publishes one list, so every read sees the same.
    private IReadOnlyList<OutboxMessage> BuildOutbox()
    {
        var current = _outbox;
        if (current is not (OutboundMessage or OutboundMessage[]))
        {
            return (IReadOnlyList<OutboxMessage>)current!;
        }

        var sends = Sends;
        var built = new OutboxMessage[sends.Count];
        for (var i = 0; i < built.Length; i++)
        {
            built[i] = sends.ToMessage(i);
        }

        return Interlocked.CompareExchange(ref _outbox, built, current) is IReadOnlyList<OutboxMessage> won ? won : built;
    }

    // The executor form's CustomerFieldUpdate array; a race of two first reads publishes one array, as BuildOutbox does.
    private IReadOnlyList<CustomerFieldUpdate> BuildUpdates()
    {
        var current = _updates;
        if (current is not (FieldWrite or FieldWrite[]))
        {
            return (IReadOnlyList<CustomerFieldUpdate>)current!;
        }

        var built = new CustomerFieldUpdate[CustomerUpdateCount];
        for (var i = 0; i < built.Length; i++)
        {
            built[i] = CustomerUpdate(i);
        }

        return Interlocked.CompareExchange(ref _updates, built, current) is IReadOnlyList<CustomerFieldUpdate> won ? won : built;
    }

    private Enrollment BuildState()
    {
        if (_claimed is null)
        {
            return null!;
        }

        // A race of two first reads builds two equal records; either is the state.
        var built = _change.ApplyTo(_claimed.Claim);
        _state = built;
        return built;
    }
}
