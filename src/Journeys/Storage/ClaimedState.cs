using Journeys.Model;

namespace Journeys.Storage;

/// <summary>
/// An enrollment's state as claimed, kept inside its <see cref="WorkItem"/> instead of a separate <see cref="Enrollment"/>
/// record: the identity by reference (<see cref="IEnrollmentIdentity"/>: the record itself, or the in-memory store's entry,
/// whose identity never changes) and every other field copied at the claim (under the store's lock), so it is the
/// claim-time state whatever the store does to the enrollment afterwards. Instants are kept as ticks and offset minutes,
/// exactly (<see cref="PackedInstant"/>); <see cref="ToRecord"/> builds the equal record.
/// </summary>
internal readonly struct ClaimedState
{
    private readonly long _wakeAt;
    private readonly long _updatedAt;
    private readonly long _nodeEnteredAt;
    private readonly short _wakeAtOffset;
    private readonly short _updatedAtOffset;
    private readonly short _nodeEnteredAtOffset;
    private readonly byte _status;

    public ClaimedState(
        IEnrollmentIdentity identity,
        string? currentNodeId,
        EnrollmentStatus status,
        DateTimeOffset? wakeAt,
        string? awaitedEvent,
        int visit,
        DateTimeOffset updatedAt,
        long concurrencyToken,
        EquatableArray<string> wakeEvents,
        long eventCursor,
        DateTimeOffset? nodeEnteredAt,
        int nodeState,
        string? endReason,
        int messagesSent,
        int clicks)
    {
        Identity = identity;
        CurrentNodeId = currentNodeId;
        _status = checked((byte)status);
        (_wakeAt, _wakeAtOffset) = (PackedInstant.Ticks(wakeAt), PackedInstant.OffsetMinutes(wakeAt));
        AwaitedEvent = awaitedEvent;
        Visit = visit;
        (_updatedAt, _updatedAtOffset) = (PackedInstant.Ticks(updatedAt), PackedInstant.OffsetMinutes(updatedAt));
        ConcurrencyToken = concurrencyToken;
        WakeEvents = wakeEvents;
        EventCursor = eventCursor;
        (_nodeEnteredAt, _nodeEnteredAtOffset) = (PackedInstant.Ticks(nodeEnteredAt), PackedInstant.OffsetMinutes(nodeEnteredAt));
        NodeState = nodeState;
        EndReason = endReason;
        MessagesSent = messagesSent;
        Clicks = clicks;
    }

    /// <summary>The enrollment's id, journey, version, customer and entry time.</summary>
    public IEnrollmentIdentity Identity { get; }

    public Guid Id => Identity.Id;

    public string JourneyId => Identity.JourneyId;

    public int Version => Identity.Version;

    public string CustomerId => Identity.CustomerId;

    public string? CurrentNodeId { get; }

    public EnrollmentStatus Status => (EnrollmentStatus)_status;

    public DateTimeOffset? WakeAt => PackedInstant.Unpack(_wakeAt, _wakeAtOffset);

    public string? AwaitedEvent { get; }

    public int Visit { get; }

    public DateTimeOffset UpdatedAt => PackedInstant.Unpack(_updatedAt, _updatedAtOffset)!.Value;

    public long ConcurrencyToken { get; }

    public EquatableArray<string> WakeEvents { get; }

    public long EventCursor { get; }

    public DateTimeOffset? NodeEnteredAt => PackedInstant.Unpack(_nodeEnteredAt, _nodeEnteredAtOffset);

    public int NodeState { get; }

    public string? EndReason { get; }

    public int MessagesSent { get; }

    public int Clicks { get; }

    /// <summary>The state of a record (the record is its own identity); <see langword="default"/> for none.</summary>
    public static ClaimedState Of(Enrollment? state) => state is null
        ? default
        : new(state, state.CurrentNodeId, state.Status, state.WakeAt, state.AwaitedEvent, state.Visit, state.UpdatedAt, state.ConcurrencyToken, state.WakeEvents, state.EventCursor, state.NodeEnteredAt, state.NodeState, state.EndReason, state.MessagesSent, state.Clicks);

    /// <summary>The record of this state (equal, offsets included, to the record it was taken from, if any).</summary>
    public Enrollment ToRecord()
    {
        var identity = Identity;
        return new(identity.Id, identity.JourneyId, identity.Version, identity.CustomerId, CurrentNodeId, Status, WakeAt, AwaitedEvent, Visit, identity.EnteredAt, UpdatedAt, ConcurrencyToken)
        {
            WakeEvents = WakeEvents,
            EventCursor = EventCursor,
            NodeEnteredAt = NodeEnteredAt,
            NodeState = NodeState,
            EndReason = EndReason,
            MessagesSent = MessagesSent,
            Clicks = Clicks,
        };
    }
}
