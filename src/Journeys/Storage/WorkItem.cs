using Journeys.Model;

namespace Journeys.Storage;

/// <summary>A claimed enrollment and the customer events it has not seen yet.</summary>
/// <param name="Enrollment">The enrollment as stored (its token is the one to commit against).</param>
/// <param name="Events">The customer's retained events newer than its cursor, oldest first, with their sequence numbers.</param>
/// <param name="LeaseExpiresAt">When the claim lapses.</param>
public sealed record WorkItem(Enrollment Enrollment, IReadOnlyList<SequencedEvent> Events, DateTimeOffset LeaseExpiresAt)
{
    /// <summary>
    /// The customer's retained events at or before the enrollment's <see cref="Model.Enrollment.EventCursor"/> that refer to
    /// one of the enrollment's own messages (<see cref="IsOwnMessage"/>), oldest first: feedback (a click) that an earlier
    /// run of the enrollment passed over, for a wait correlated to that message which starts only later (the cursor moves
    /// past every event a run handles, so without them a click that came while the enrollment was woken by another event
    /// would be lost to the wait). Never handled again as new events; empty when there are none.
    /// </summary>
    public IReadOnlyList<SequencedEvent> EarlierFeedback { get; init; } = [];

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
}
