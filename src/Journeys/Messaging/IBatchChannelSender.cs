namespace Journeys.Messaging;

/// <summary>
/// A channel sender that can also send several messages of its channel in one provider call (FCM multicast, an e-mail
/// provider's bulk endpoint, an SMS gateway's batch). When the sender registered for a channel implements it, the
/// dispatcher groups that channel's messages (up to <see cref="MaxBatchSize"/>) and sends each group through one run of
/// the channel's resilience pipeline: the timeout covers the batch call, a retry re-sends only the messages whose result
/// was transient, the circuit breaker records one outcome per batch call, and the rate limiter takes one permit per
/// message. Quiet hours, frequency caps and withdrawals are still checked per message, and each message's outcome is
/// recorded as a single send's is. A sender without this interface is called once per message. To drop repeated sends,
/// wrap it with <see cref="IdempotentChannelSender.Wrap"/>, which keeps the batch form.
/// </summary>
public interface IBatchChannelSender : IChannelSender
{
    /// <summary>The most messages the sender takes in one call (at least 1); the dispatcher never passes more.</summary>
    int MaxBatchSize { get; }

    /// <summary>Sends a batch of messages of this sender's channel.</summary>
    /// <param name="messages">The rendered messages, at most <see cref="MaxBatchSize"/>, each with its own idempotency key.</param>
    /// <param name="results">
    /// Where to write the outcome of each message: <c>results.Span[i]</c> is that of <c>messages.Span[i]</c>. Every slot
    /// starts as a transient failure ("no result reported"), so a message the sender leaves unanswered is retried.
    /// </param>
    /// <param name="cancellationToken">Cancelled on shutdown or when the batch call times out.</param>
    /// <returns>
    /// A task that completes when every result is written. Report failures per message as values
    /// (<see cref="SendResult.Transient"/> is retried, <see cref="SendResult.Permanent"/> is not); an exception makes every
    /// message of the call a transient failure.
    /// </returns>
    ValueTask SendBatchAsync(ReadOnlyMemory<OutboundMessage> messages, Memory<SendResult> results, CancellationToken cancellationToken);
}
