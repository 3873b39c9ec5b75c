using Journeys.Messaging;

namespace Journeys.Storage;

/// <summary>
/// The dispatcher's result of one send, as a value: what an <see cref="OutboxResult"/> carries, without an object per
/// message. The in-memory store completes these directly; any other store gets them as <see cref="OutboxResult"/>s.
/// </summary>
/// <param name="Message">The message sent (the in-memory store finds it by the message, whose id need not be made).</param>
/// <param name="Result">How the send went.</param>
/// <param name="RetryAt">When to try again (a held message), or null.</param>
/// <param name="Statistics">The statistic deltas of the result (shared arrays: never written).</param>
internal readonly record struct OutboxOutcome(OutboundMessage Message, SendResult Result, DateTimeOffset? RetryAt, StatisticDelta[] Statistics)
{
    public OutboxResult ToResult() => new(Message.MessageId, Result, RetryAt, Statistics);
}
