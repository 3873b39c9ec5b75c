namespace Journeys.Messaging;

/// <summary>
/// Wraps a sender so that a message whose <see cref="OutboundMessage.IdempotencyKey"/> was already sent (or is being
/// sent) is not sent again: it returns <see cref="SendResult.Duplicate"/> without calling the inner sender. The key is
/// reserved before the inner call and released when the attempt fails, so a failed send can be retried.
/// </summary>
/// <remarks>
/// <para>
/// While an attempt is in flight, a concurrent send with the same key is reported as a duplicate. The engine sends
/// each key from one place at a time (the same customer always goes through one shard), so that only happens when
/// a send is repeated after a crash, and then the first attempt is the one that counts.
/// </para>
/// <para>
/// This type is a single sender: an <see cref="IBatchChannelSender"/> wrapped in it is called once per message. Use
/// <see cref="Wrap"/>, which keeps the batch form (<see cref="IdempotentBatchChannelSender"/>) when the inner sender has it.
/// </para>
/// </remarks>
public sealed class IdempotentChannelSender : IChannelSender
{
    private readonly IChannelSender _inner;
    private readonly IIdempotencyKeyStore _store;

    /// <summary>Creates the decorator.</summary>
    /// <param name="inner">The sender that delivers.</param>
    /// <param name="store">Where sent keys are remembered.</param>
    public IdempotentChannelSender(IChannelSender inner, IIdempotencyKeyStore store)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(store);
        _inner = inner;
        _store = store;
    }

    /// <summary>
    /// Wraps a sender in the idempotent decorator of its form: an <see cref="IdempotentBatchChannelSender"/> when
    /// <paramref name="inner"/> is an <see cref="IBatchChannelSender"/> (the dispatcher keeps sending it batches),
    /// otherwise an <see cref="IdempotentChannelSender"/>. Register the result with <c>AddSender</c>.
    /// </summary>
    /// <param name="inner">The sender that delivers.</param>
    /// <param name="store">Where sent keys are remembered.</param>
    /// <returns>The decorator.</returns>
    public static IChannelSender Wrap(IChannelSender inner, IIdempotencyKeyStore store)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(store);
        return inner is IBatchChannelSender batch ? new IdempotentBatchChannelSender(batch, store) : new IdempotentChannelSender(inner, store);
    }

    /// <inheritdoc />
    public ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken) =>
        SendOneAsync(_inner, _store, message, cancellationToken);

    // One message: reserve, send, release on failure. Shared with the batch decorator's single send.
    internal static async ValueTask<SendResult> SendOneAsync(IChannelSender inner, IIdempotencyKeyStore store, OutboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!await store.TryReserveAsync(message.IdempotencyKey, cancellationToken).ConfigureAwait(false))
        {
            return SendResult.Duplicate;
        }

        SendResult result;
        try
        {
            result = await inner.SendAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Not the caller's token: the release must happen even when the attempt was cancelled.
            await store.ReleaseAsync(message.IdempotencyKey, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        if (!result.IsSuccess)
        {
            await store.ReleaseAsync(message.IdempotencyKey, CancellationToken.None).ConfigureAwait(false);
        }

        return result;
    }
}
