using System.Collections.Frozen;
using System.Collections.Immutable;

namespace Journeys.Model;

/// <summary>A customer's state in one journey version.</summary>
/// <param name="Id">The enrollment id.</param>
/// <param name="JourneyId">The journey.</param>
/// <param name="Version">The journey version it is pinned to.</param>
/// <param name="CustomerId">The customer.</param>
/// <param name="CurrentNodeId">The node it is at, or <see langword="null"/> once ended.</param>
/// <param name="Status">Its status.</param>
/// <param name="WakeAt">When its timer fires, while waiting on one.</param>
/// <param name="AwaitedEvent">The event it waits for, while waiting on one.</param>
/// <param name="Visit">How many node visits it has made; part of idempotency keys.</param>
/// <param name="EnteredAt">When it entered.</param>
/// <param name="UpdatedAt">When it last changed.</param>
/// <param name="ConcurrencyToken">Changes with every committed change; a stale token is refused.</param>
public sealed record Enrollment(
    Guid Id,
    string JourneyId,
    int Version,
    string CustomerId,
    string? CurrentNodeId,
    EnrollmentStatus Status,
    DateTimeOffset? WakeAt,
    string? AwaitedEvent,
    int Visit,
    DateTimeOffset EnteredAt,
    DateTimeOffset UpdatedAt,
    long ConcurrencyToken) : Storage.IEnrollmentIdentity
{
    // The four instants are kept as UTC ticks and offset minutes (10 bytes each, where a DateTimeOffset takes 16 and a
    // nullable one 24): 160 bytes a record instead of 200, and the stores and the engine build one per claim. The
    // offsets are wrapped in OffsetMinutes, which every instance equals, so the generated equality compares the instants
    // alone, exactly as DateTimeOffset's equality did (an instant in two offsets is equal); the properties return the
    // value as given, offset included.
    private readonly long _wakeAt = PackedInstant.Ticks(WakeAt);
    private readonly long _enteredAt = PackedInstant.Ticks(EnteredAt);
    private readonly long _updatedAt = PackedInstant.Ticks(UpdatedAt);
    private readonly long _nodeEnteredAt = PackedInstant.NoTime;
    private readonly OffsetMinutes _wakeAtOffset = OffsetMinutes.Of(WakeAt);
    private readonly OffsetMinutes _enteredAtOffset = OffsetMinutes.Of(EnteredAt);
    private readonly OffsetMinutes _updatedAtOffset = OffsetMinutes.Of(UpdatedAt);
    private readonly OffsetMinutes _nodeEnteredAtOffset;

    /// <summary>When its timer fires, while waiting on one.</summary>
    public DateTimeOffset? WakeAt
    {
        get => PackedInstant.Unpack(_wakeAt, _wakeAtOffset.Minutes);
        init => (_wakeAt, _wakeAtOffset) = (PackedInstant.Ticks(value), OffsetMinutes.Of(value));
    }

    /// <summary>When it entered.</summary>
    public DateTimeOffset EnteredAt
    {
        get => PackedInstant.Unpack(_enteredAt, _enteredAtOffset.Minutes)!.Value;
        init => (_enteredAt, _enteredAtOffset) = (PackedInstant.Ticks(value), OffsetMinutes.Of(value));
    }

    /// <summary>When it last changed.</summary>
    public DateTimeOffset UpdatedAt
    {
        get => PackedInstant.Unpack(_updatedAt, _updatedAtOffset.Minutes)!.Value;
        init => (_updatedAt, _updatedAtOffset) = (PackedInstant.Ticks(value), OffsetMinutes.Of(value));
    }

    /// <summary>
    /// The events that should wake it while it waits: the awaited event of its node (wait or retargeting) and its
    /// journey's goal events.
    /// </summary>
    public EquatableArray<string> WakeEvents { get; init; }

    /// <summary>The sequence number of the last customer event the engine has seen for this enrollment.</summary>
    public long EventCursor { get; init; }

    /// <summary>When it arrived at its current node (timeouts and reminder offsets count from here).</summary>
    public DateTimeOffset? NodeEnteredAt
    {
        get => PackedInstant.Unpack(_nodeEnteredAt, _nodeEnteredAtOffset.Minutes);
        init => (_nodeEnteredAt, _nodeEnteredAtOffset) = (PackedInstant.Ticks(value), OffsetMinutes.Of(value));
    }

    /// <summary>Progress inside a multi-step node, such as how many reminders a retargeting node has sent.</summary>
    public int NodeState { get; init; }

    /// <summary>Why it ended (the exit node's reason, a failure reason), once ended.</summary>
    public string? EndReason { get; init; }

    /// <summary>
    /// How many messages its send and retargeting nodes committed to the outbox (a message later failed or skipped by the
    /// frequency cap still counts; the node statistics say how each ended). A store persists it with the state.
    /// </summary>
    public int MessagesSent { get; init; }

    /// <summary>
    /// How many click feedback events (<c>FeedbackEvents.Clicked</c>) were published with the message id of one of its own
    /// messages, whether it was running, waiting or had ended: each published event counts once. The store owns this
    /// counter (<c>IEnrollmentStore.AddClicksAsync</c>, at publication); a committed state does not change it.
    /// </summary>
    public int Clicks { get; init; }

    /// <summary>True when the enrollment has ended (completed, converted, exited, failed or cancelled).</summary>
    public bool IsEnded => Status is not (EnrollmentStatus.Active or EnrollmentStatus.Waiting);

    // The printed form lists the members in the order the generated one did when the instants were positional
    // properties (a declared property is otherwise printed after the positional ones).
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("Id = ").Append(Id)
            .Append(", JourneyId = ").Append(JourneyId)
            .Append(", Version = ").Append(Version)
            .Append(", CustomerId = ").Append(CustomerId)
            .Append(", CurrentNodeId = ").Append(CurrentNodeId)
            .Append(", Status = ").Append(Status)
            .Append(", WakeAt = ").Append(WakeAt)
            .Append(", AwaitedEvent = ").Append(AwaitedEvent)
            .Append(", Visit = ").Append(Visit)
            .Append(", EnteredAt = ").Append(EnteredAt)
            .Append(", UpdatedAt = ").Append(UpdatedAt)
            .Append(", ConcurrencyToken = ").Append(ConcurrencyToken)
            .Append(", WakeEvents = ").Append(WakeEvents)
            .Append(", EventCursor = ").Append(EventCursor)
            .Append(", NodeEnteredAt = ").Append(NodeEnteredAt)
            .Append(", NodeState = ").Append(NodeState)
            .Append(", EndReason = ").Append(EndReason)
            .Append(", MessagesSent = ").Append(MessagesSent)
            .Append(", Clicks = ").Append(Clicks)
            .Append(", IsEnded = ").Append(IsEnded);
        return true;
    }

    /// <summary>
    /// An instant's offset, kept beside its UTC ticks and left out of the record's equality and hash (every instance
    /// equals every other), as <see cref="DateTimeOffset"/> leaves it out of its own.
    /// </summary>
    private readonly struct OffsetMinutes(short minutes) : IEquatable<OffsetMinutes>
    {
        public short Minutes { get; } = minutes;

        public static OffsetMinutes Of(DateTimeOffset? time) => new(PackedInstant.OffsetMinutes(time));

        public bool Equals(OffsetMinutes other) => true;

        public override bool Equals(object? obj) => obj is OffsetMinutes;

        public override int GetHashCode() => 0;
    }
}
