using Journeys.Model;

namespace Journeys.Storage;

/// <summary>
/// The fields of an enrollment that a run of the engine sets (everything but its identity, entry time, token and click
/// counter), kept inside an <see cref="EnrollmentCheckpoint"/> instead of a second <see cref="Enrollment"/> record. Instants
/// are kept as ticks and offset minutes (10 bytes where a nullable <see cref="DateTimeOffset"/> takes 24), exactly: the
/// state built from it is equal to the record the run would have built.
/// </summary>
internal readonly struct EnrollmentChange
{
    private readonly long _wakeAt;
    private readonly long _updatedAt;
    private readonly long _nodeEnteredAt;
    private readonly short _wakeAtOffset;
    private readonly short _updatedAtOffset;
    private readonly short _nodeEnteredAtOffset;

    public EnrollmentChange(
        string? currentNodeId,
        EnrollmentStatus status,
        DateTimeOffset? wakeAt,
        string? awaitedEvent,
        int visit,
        DateTimeOffset updatedAt,
        EquatableArray<string> wakeEvents,
        long eventCursor,
        DateTimeOffset? nodeEnteredAt,
        int nodeState,
        string? endReason,
        int messagesSent)
    {
        CurrentNodeId = currentNodeId;
        Status = status;
        (_wakeAt, _wakeAtOffset) = (PackedInstant.Ticks(wakeAt), PackedInstant.OffsetMinutes(wakeAt));
        AwaitedEvent = awaitedEvent;
        Visit = visit;
        (_updatedAt, _updatedAtOffset) = (PackedInstant.Ticks(updatedAt), PackedInstant.OffsetMinutes(updatedAt));
        WakeEvents = wakeEvents;
        EventCursor = eventCursor;
        (_nodeEnteredAt, _nodeEnteredAtOffset) = (PackedInstant.Ticks(nodeEnteredAt), PackedInstant.OffsetMinutes(nodeEnteredAt));
        NodeState = nodeState;
        EndReason = endReason;
        MessagesSent = messagesSent;
    }

    public string? CurrentNodeId { get; }

    public EnrollmentStatus Status { get; }

    public DateTimeOffset? WakeAt => PackedInstant.Unpack(_wakeAt, _wakeAtOffset);

    public string? AwaitedEvent { get; }

    public int Visit { get; }

    public DateTimeOffset UpdatedAt => PackedInstant.Unpack(_updatedAt, _updatedAtOffset)!.Value;

    public EquatableArray<string> WakeEvents { get; }

    public long EventCursor { get; }

    public DateTimeOffset? NodeEnteredAt => PackedInstant.Unpack(_nodeEnteredAt, _nodeEnteredAtOffset);

    public int NodeState { get; }

    public string? EndReason { get; }

    public int MessagesSent { get; }

    public bool IsEnded => Status is not (EnrollmentStatus.Active or EnrollmentStatus.Waiting);

    /// <summary>
    /// The claimed state with these changes and the token a commit gives it (the claimed one + 1); identity, entry time
    /// and <see cref="Enrollment.Clicks"/> stay as claimed.
    /// </summary>
    public Enrollment ApplyTo(in ClaimedState claimed) =>
        new ClaimedState(claimed.Identity, CurrentNodeId, Status, WakeAt, AwaitedEvent, Visit, UpdatedAt, claimed.ConcurrencyToken + 1, WakeEvents, EventCursor, NodeEnteredAt, NodeState, EndReason, MessagesSent, claimed.Clicks).ToRecord();
}
