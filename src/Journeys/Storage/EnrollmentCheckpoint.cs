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
    private Enrollment? _state = State;
    private readonly WorkItem? _claimed;
    private readonly EnrollmentChange _change;

    /// <summary>A checkpoint whose state is <paramref name="claimed"/>'s state changed by <paramref name="change"/>, built when first read.</summary>
    internal EnrollmentCheckpoint(WorkItem claimed, in EnrollmentChange change, IReadOnlyList<OutboxMessage> outbox, IReadOnlyList<CustomerFieldUpdate> customerUpdates, IReadOnlyList<StatisticDelta> statistics)
        : this(null!, claimed.Claim.ConcurrencyToken, outbox, customerUpdates, statistics)
    {
        _claimed = claimed;
        _change = change;
    }

    /// <summary>The new state (its <see cref="Enrollment.ConcurrencyToken"/> is ignored: the store assigns the next one).</summary>
    public Enrollment State
    {
        get => _state ?? BuildState();
        init
        {
            _state = value;
            _claimed = null;
        }
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
                && EqualityComparer<IReadOnlyList<StatisticDelta>>.Default.Equals(Statistics, other.Statistics)));

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(State, ExpectedToken, Outbox, CustomerUpdates, Statistics);

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
