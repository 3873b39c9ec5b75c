namespace Journeys.Storage;

/// <summary>
/// What one event of a publish causes once it is appended (<see cref="IEnrollmentStore.PublishEventsAsync"/>): its
/// customer enters a journey, or delivery feedback counts at the node that sent the message (a click also on the
/// enrollment that sent it).
/// </summary>
/// <param name="Event">The event's index in the published list.</param>
public sealed record EventConsequence(int Event)
{
    /// <summary>The entry the event makes, or <see langword="null"/>; the store sets its <see cref="EnrollmentRequest.EventCursor"/> to the event's sequence number.</summary>
    public EnrollmentRequest? Entry { get; init; }

    /// <summary>The statistic the event's feedback adds (delivered, opened or clicked at a node), or <see langword="null"/>.</summary>
    public StatisticDelta? Feedback { get; init; }

    /// <summary>The click the event adds to its enrollment's <see cref="Model.Enrollment.Clicks"/>, or <see langword="null"/>.</summary>
    public EnrollmentClick? Click { get; init; }
}
