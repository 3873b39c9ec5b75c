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
    long ConcurrencyToken)
{
    /// <summary>
    /// The events that should wake it while it waits: the awaited event of its node (wait or retargeting) and its
    /// journey's goal events.
    /// </summary>
    public EquatableArray<string> WakeEvents { get; init; }

    /// <summary>The sequence number of the last customer event the engine has seen for this enrollment.</summary>
    public long EventCursor { get; init; }

    /// <summary>When it arrived at its current node (timeouts and reminder offsets count from here).</summary>
    public DateTimeOffset? NodeEnteredAt { get; init; }

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
}
