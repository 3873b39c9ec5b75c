namespace Journeys.Messaging;

/// <summary>
/// Delivers messages on one channel (push, e-mail, SMS, ...) through the host app's provider. Registered with
/// <c>AddSender&lt;TSender&gt;(channel)</c>. The engine calls it from its dispatcher, after the state change that
/// produced the message is committed, through a resilience pipeline (timeout, retry, circuit breaker, rate limit).
/// A message may be delivered more than once after a crash: use <see cref="OutboundMessage.IdempotencyKey"/> to drop
/// duplicates (or wrap the sender in the provided idempotent decorator).
/// </summary>
public interface IChannelSender
{
    /// <summary>Sends one message.</summary>
    /// <param name="message">The rendered message.</param>
    /// <param name="cancellationToken">Cancelled on shutdown or when the attempt times out.</param>
    /// <returns>
    /// The outcome. Report failures as values (<see cref="SendResult.Transient"/> is retried,
    /// <see cref="SendResult.Permanent"/> is not); an exception is treated as a transient failure.
    /// </returns>
    ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken);
}
