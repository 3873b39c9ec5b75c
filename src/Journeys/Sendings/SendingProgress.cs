namespace Journeys.Sendings;

/// <summary>The counters of a sending.</summary>
/// <param name="Targeted">Customer ids offered: the customers scanned (all customers) or the ids read from the list.</param>
/// <param name="Enrolled">Customers enrolled: each gets at most one message from this sending.</param>
/// <param name="Skipped">Ids not enrolled because the customer was already enrolled in this sending (an id listed twice, or a resumed pass).</param>
/// <param name="Unknown">Ids of the list that are empty or not in the customer store: skipped, not created.</param>
/// <param name="Pending">Enrolled customers whose message is not yet sent, failed or capped (including messages held by quiet hours).</param>
/// <param name="Sent">Messages accepted by the channel sender.</param>
/// <param name="Failed">Messages that failed for good (after the channel's retries), or could not be rendered.</param>
/// <param name="Capped">Messages skipped by the frequency cap.</param>
/// <param name="Cancelled">Enrollments cancelled (a stop, a customer's deletion) before their send ran, and messages a stop withdrew from the outbox.</param>
/// <param name="Delivered">Delivery feedback received for the messages.</param>
/// <param name="Opened">Open feedback received for the messages.</param>
/// <param name="Clicked">Click feedback received for the messages.</param>
public sealed record SendingProgress(
    long Targeted,
    long Enrolled,
    long Skipped,
    long Unknown,
    long Pending,
    long Sent,
    long Failed,
    long Capped,
    long Cancelled,
    long Delivered,
    long Opened,
    long Clicked);
