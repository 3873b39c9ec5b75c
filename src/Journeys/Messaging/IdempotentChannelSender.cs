namespace Journeys.Messaging;

/// <summary>
/// Wraps a sender so that a message whose <see cref="OutboundMessage.IdempotencyKey"/> was already sent (or is being
/// sent) is not sent again: it returns <see cref="SendResult.Duplicate"/> without calling the inner sender. The key is
/// reserved before the inner call and released when the attempt fails, so a failed send can be retried.
/// </summary>
/// <remarks>
/// While an attempt is in flight, a concurrent send with the same key is reported as a duplicate. The engine sends
/// each key from one place at a time (the same customer always goes through one shard), so that only happens when
/// a send is repeated after a crash, and then the first attempt is the one that counts.
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

    /// <inheritdoc />
    public async ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!await _store.TryReserveAsync(message.IdempotencyKey, cancellationToken).ConfigureAwait(false))
        {
            return SendResult.Duplicate;
        }

        SendResult result;
        try
        {
            result = await _inner.SendAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Not the caller's token: the release must happen even when the attempt was cancelled.
            await _store.ReleaseAsync(message.IdempotencyKey, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        if (!result.IsSuccess)
        {
            await _store.ReleaseAsync(message.IdempotencyKey, CancellationToken.None).ConfigureAwait(false);
        }

        return result;
    }
}
