using System.Collections.Immutable;

namespace Journeys.Storage;

/// <summary>The counters the engine keeps.</summary>
public enum StatisticCounter
{
    /// <summary>Enrollments that arrived at the node (for the journey: that entered).</summary>
    Entered = 0,

    /// <summary>Enrollments that left the node (moving on or ending).</summary>
    Left = 1,

    /// <summary>Enrollments that completed at the end of a path.</summary>
    Completed = 2,

    /// <summary>Messages accepted by a channel.</summary>
    Sent = 3,

    /// <summary>Delivery feedback.</summary>
    Delivered = 4,

    /// <summary>Open feedback.</summary>
    Opened = 5,

    /// <summary>Click feedback.</summary>
    Clicked = 6,

    /// <summary>Enrollments converted (by a goal event, or the converted edge of a retargeting node).</summary>
    Converted = 7,

    /// <summary>Failures: sends failed for good, webhooks failed, messages not rendered (also counted in <see cref="NotRendered"/>).</summary>
    Failed = 8,

    /// <summary>Messages skipped by the frequency cap.</summary>
    Capped = 9,

    /// <summary>Enrollments that left through an exit node.</summary>
    Exited = 10,

    /// <summary>Enrollments cancelled (journey stopped, customer deleted).</summary>
    Cancelled = 11,

    /// <summary>
    /// Messages not sent because a template variable had no value (no field value, no schema default, no binding
    /// default): the reason of those <see cref="Failed"/> counts.
    /// </summary>
    NotRendered = 12,

    /// <summary>
    /// Messages withdrawn from the outbox before they went out because their enrollment converted (a goal event):
    /// pending, held for quiet hours, waiting for a retry or an open circuit, or leased to a dispatcher (whose result is
    /// then ignored). Counted at the node that made the message; neither sent nor failed.
    /// </summary>
    Withdrawn = 13,
}
