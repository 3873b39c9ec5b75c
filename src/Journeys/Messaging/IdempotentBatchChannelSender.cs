using System.Buffers;

namespace Journeys.Messaging;

/// <summary>
/// The idempotent decorator of a batch sender: it keeps the batch form, so the dispatcher still sends the inner
/// sender batches, and treats each message of a batch as <see cref="IdempotentChannelSender"/> treats a single send.
/// Create it with <see cref="IdempotentChannelSender.Wrap"/> (which picks the form) or directly.
/// </summary>
/// <remarks>
/// <para>
/// Per batch call, every message's key is reserved first (<see cref="IIdempotencyKeyStore.TryReserveManyAsync"/>, in the
/// batch's order, so of a key repeated inside one batch the first message is the one sent). A message whose key was
/// already reserved gets <see cref="SendResult.Duplicate"/> and is not passed on; the others go to the inner sender in
/// one call, in their order (a batch of duplicates only makes no inner call). The key of a message that failed
/// (transiently, permanently or left unanswered) is released afterwards, so it can be retried; a key whose message was
/// sent stays. When the inner call throws or is cancelled, every key the call reserved is released (with
/// <see cref="CancellationToken.None"/>) and the exception propagates. Results are written in the caller's order.
/// </para>
/// <para>Its single send (<see cref="SendAsync"/>) is <see cref="IdempotentChannelSender"/>'s.</para>
/// </remarks>
public sealed class IdempotentBatchChannelSender : IBatchChannelSender
{
    private readonly IBatchChannelSender _inner;
    private readonly IIdempotencyKeyStore _store;

    /// <summary>Creates the decorator.</summary>
    /// <param name="inner">The batch sender that delivers.</param>
    /// <param name="store">Where sent keys are remembered.</param>
    public IdempotentBatchChannelSender(IBatchChannelSender inner, IIdempotencyKeyStore store)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(store);
        _inner = inner;
        _store = store;
    }

    /// <summary>The inner sender's batch size.</summary>
    public int MaxBatchSize => _inner.MaxBatchSize;

    /// <inheritdoc />
    public ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken) =>
        IdempotentChannelSender.SendOneAsync(_inner, _store, message, cancellationToken);

    /// <inheritdoc />
    /// <exception cref="ArgumentException">A message is null, or <paramref name="results"/> is shorter than <paramref name="messages"/>; nothing is reserved.</exception>
    public async ValueTask SendBatchAsync(ReadOnlyMemory<OutboundMessage> messages, Memory<SendResult> results, CancellationToken cancellationToken)
    {
        var n = messages.Length;
        if (results.Length < n)
        {
            throw new ArgumentException($"{results.Length} result slots for {n} messages: there must be one per message.", nameof(results));
        }

        if (n == 0)
        {
            return;
        }

        var keys = ArrayPool<string>.Shared.Rent(n);
        var reserved = ArrayPool<bool>.Shared.Rent(n);
        OutboundMessage[]? subset = null;
        SendResult[]? subsetResults = null;
        try
        {
            for (var i = 0; i < n; i++)
            {
                keys[i] = messages.Span[i]?.IdempotencyKey
                    ?? throw new ArgumentException($"The message at index {i} of the batch of {n} is null.", nameof(messages));
            }

            // A rented array holds an earlier batch's flags: a store that leaves a slot unwritten must not reserve it.
            Array.Clear(reserved, 0, n);
            await _store.TryReserveManyAsync(keys.AsMemory(0, n), reserved.AsMemory(0, n), cancellationToken).ConfigureAwait(false);

            // Counted from the flags, which size the inner call, rather than taken from the store's answer.
            var count = 0;
            for (var i = 0; i < n; i++)
            {
                count += reserved[i] ? 1 : 0;
            }

            if (count < n)
            {
                for (var i = 0; i < n; i++)
                {
                    if (!reserved[i])
                    {
                        results.Span[i] = SendResult.Duplicate;
                    }
                }

                if (count == 0)
                {
                    return;
                }

                // Only the reserved messages go on, in their order, each with its slot's starting value.
                subset = ArrayPool<OutboundMessage>.Shared.Rent(count);
                subsetResults = ArrayPool<SendResult>.Shared.Rent(count);
                for (int i = 0, j = 0; i < n; i++)
                {
                    if (reserved[i])
                    {
                        subset[j] = messages.Span[i];
                        subsetResults[j] = results.Span[i];
                        j++;
                    }
                }
            }

            try
            {
                if (subset is null)
                {
                    await _inner.SendBatchAsync(messages[..n], results[..n], cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await _inner.SendBatchAsync(subset.AsMemory(0, count), subsetResults.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
                }
            }
            catch
            {
                // Not the caller's token: the release must happen even when the call was cancelled.
                await ReleaseAsync(keys, reserved, n, threw: true, null, results).ConfigureAwait(false);
                throw;
            }

            await ReleaseAsync(keys, reserved, n, threw: false, subsetResults, results).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<string>.Shared.Return(keys, clearArray: true);
            ArrayPool<bool>.Shared.Return(reserved);
            if (subset is not null)
            {
                ArrayPool<OutboundMessage>.Shared.Return(subset, clearArray: true);
                ArrayPool<SendResult>.Shared.Return(subsetResults!, clearArray: true);
            }
        }
    }

    // Copies the inner results back into the caller's slots (when the inner call had a subset) and releases the keys of
    // the reserved messages that failed; when the call threw (threw: true), every reserved key.
    private ValueTask ReleaseAsync(string[] keys, bool[] reserved, int n, bool threw, SendResult[]? subsetResults, Memory<SendResult> results)
    {
        var failed = 0;
        for (int i = 0, j = 0; i < n; i++)
        {
            if (!reserved[i])
            {
                continue;
            }

            if (!threw && subsetResults is not null)
            {
                results.Span[i] = subsetResults[j++];
            }

            if (threw || !results.Span[i].IsSuccess)
            {
                keys[failed++] = keys[i];
            }
        }

        return failed == 0 ? default : _store.ReleaseManyAsync(keys.AsMemory(0, failed), CancellationToken.None);
    }
}
