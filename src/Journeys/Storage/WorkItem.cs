using Journeys.Model;

namespace Journeys.Storage;

/// <summary>A claimed enrollment and the customer events it has not seen yet.</summary>
/// <param name="Enrollment">The enrollment as stored (its token is the one to commit against).</param>
/// <param name="Events">The customer's retained events newer than its cursor, oldest first, with their sequence numbers.</param>
/// <param name="LeaseExpiresAt">When the claim lapses.</param>
public sealed record WorkItem(Enrollment Enrollment, IReadOnlyList<SequencedEvent> Events, DateTimeOffset LeaseExpiresAt)
{
    // Either the record as given (and its fields in _claim, the record as identity), or (an in-memory store's claim) the
    // claim-time state in _claim alone, from which the record is built on its first read: the engine reads the state
    // through Claim, so on the in-memory path the 160-byte record is never built. Equality and the printed form go
    // through Enrollment, so both forms of one state are equal.
    private Enrollment? _enrollment = Enrollment;
    private readonly ClaimedState _claim = ClaimedState.Of(Enrollment);

    /// <summary>
    /// The engine's <see cref="TimeProvider.GetTimestamp"/> when it routed the item to its shard, or 0: set only while
    /// <c>journeys.step.latency</c> has a listener, read after the commit of the batch that ran the item's step.
    /// </summary>
    internal long RoutedAt;

    /// <summary>A claim whose record is built from <paramref name="claim"/> when first read.</summary>
    internal WorkItem(in ClaimedState claim, IReadOnlyList<SequencedEvent> events, DateTimeOffset leaseExpiresAt)
        : this(null!, events, leaseExpiresAt)
    {
        _claim = claim;
    }

    /// <summary>The enrollment as stored (its token is the one to commit against).</summary>
    public Enrollment Enrollment
    {
        get => _enrollment ?? BuildEnrollment();
        init
        {
            _enrollment = value;
            _claim = ClaimedState.Of(value);
        }
    }

    /// <summary>
    /// The customer's retained events at or before the enrollment's <see cref="Model.Enrollment.EventCursor"/> that refer to
    /// one of the enrollment's own messages (<see cref="IsOwnMessage"/>), oldest first: feedback (a click) that an earlier
    /// run of the enrollment passed over, for a wait correlated to that message which starts only later (the cursor moves
    /// past every event a run handles, so without them a click that came while the enrollment was woken by another event
    /// would be lost to the wait). Never handled again as new events; empty when there are none.
    /// </summary>
    public IReadOnlyList<SequencedEvent> EarlierFeedback { get; init; } = [];

    /// <summary>The claimed state's fields, without building <see cref="Enrollment"/>.</summary>
    internal ref readonly ClaimedState Claim => ref _claim;

    /// <summary>Whether the <see cref="Enrollment"/> record exists (given, or built by a read).</summary>
    internal bool HasEnrollmentRecord => _enrollment is not null;

    /// <summary>
    /// Whether <paramref name="messageId"/> is the id of a message (or webhook call) of enrollment
    /// <paramref name="enrollmentId"/>: the engine makes them as <c>{enrollment id:N}/{node}/{visit}</c>.
    /// </summary>
    /// <param name="messageId">An event's message id, or <see langword="null"/>.</param>
    /// <param name="enrollmentId">The enrollment.</param>
    /// <returns>Whether the id starts with the enrollment's id and a slash.</returns>
    public static bool IsOwnMessage(string? messageId, Guid enrollmentId) =>
        messageId is { Length: > 33 } && messageId[32] == '/'
        && Guid.TryParseExact(messageId.AsSpan(0, 32), "N", out var id) && id == enrollmentId;

    /// <inheritdoc />
    public bool Equals(WorkItem? other) =>
        other is not null
        && (ReferenceEquals(this, other)
            || (EqualityComparer<Enrollment>.Default.Equals(Enrollment, other.Enrollment)
                && EqualityComparer<IReadOnlyList<SequencedEvent>>.Default.Equals(Events, other.Events)
                && LeaseExpiresAt.Equals(other.LeaseExpiresAt)
                && EqualityComparer<IReadOnlyList<SequencedEvent>>.Default.Equals(EarlierFeedback, other.EarlierFeedback)));

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Enrollment, Events, LeaseExpiresAt, EarlierFeedback);

    // The printed form lists the members in the order of the generated one when Enrollment was not declared (a declared
    // property is otherwise printed after the positional ones).
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("Enrollment = ").Append(Enrollment)
            .Append(", Events = ").Append(Events)
            .Append(", LeaseExpiresAt = ").Append(LeaseExpiresAt)
            .Append(", EarlierFeedback = ").Append(EarlierFeedback);
        return true;
    }

    private Enrollment BuildEnrollment()
    {
        if (_claim.Identity is null)
        {
            return null!;
        }

        // A race of two first reads builds two equal records; either is the enrollment.
        var built = _claim.ToRecord();
        _enrollment = built;
        return built;
    }
}
