namespace Journeys.Runtime;

/// <summary>
/// The names of channel feedback events. Publish them as customer events with the message id they are about
/// (<see cref="Messaging.OutboundMessage.MessageId"/>): they count in the sending node's statistics and can be awaited
/// by wait nodes like any event.
/// </summary>
public static class FeedbackEvents
{
    /// <summary>The provider delivered the message.</summary>
    public const string Delivered = "delivered";

    /// <summary>The customer opened the message.</summary>
    public const string Opened = "opened";

    /// <summary>The customer clicked the message.</summary>
    public const string Clicked = "clicked";
}
