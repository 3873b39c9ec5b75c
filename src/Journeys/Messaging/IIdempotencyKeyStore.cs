namespace Journeys.Messaging;

/// <summary>
/// Remembers the idempotency keys of sends that went out (or are going out), so that a repeated send is dropped.
/// Used by <see cref="IdempotentChannelSender"/> and <see cref="IdempotentBatchChannelSender"/>; back it with a shared
/// store (a database table, Redis) when several processes send, or use <see cref="InMemoryIdempotencyKeyStore"/> for one
/// process.
/// </summary>
public interface IIdempotencyKeyStore
{
    /// <summary>Reserves a key: true the first time (the caller sends), false when it is already reserved.</summary>
    /// <param name="key">The idempotency key.</param>
    /// <param name="cancellationToken">Cancels the reservation.</param>
    ValueTask<bool> TryReserveAsync(string key, CancellationToken cancellationToken);

    /// <summary>Releases a reserved key after a failed attempt, so that the send can be tried again.</summary>
    /// <param name="key">The idempotency key.</param>
    /// <param name="cancellationToken">Cancels the release.</param>
    ValueTask ReleaseAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Reserves several keys in order, as <see cref="TryReserveAsync"/> would one after the other (a key repeated in
    /// <paramref name="keys"/> is reserved by its first occurrence only). Used for batch senders; the default calls
    /// <see cref="TryReserveAsync"/> per key. Override it when the store can reserve many keys in one round trip (a
    /// multi-row insert), keeping the same outcome per key.
    /// </summary>
    /// <param name="keys">The idempotency keys.</param>
    /// <param name="reserved">Where to write, for each key, whether this call reserved it; at least as long as <paramref name="keys"/>.</param>
    /// <param name="cancellationToken">Cancels the reservation.</param>
    /// <returns>How many keys this call reserved.</returns>
    /// <remarks>When it throws (cancelled, store down), no key stays reserved by the call: the default releases those it had reserved.</remarks>
    /// <exception cref="ArgumentException"><paramref name="reserved"/> is shorter than <paramref name="keys"/>.</exception>
    async ValueTask<int> TryReserveManyAsync(ReadOnlyMemory<string> keys, Memory<bool> reserved, CancellationToken cancellationToken)
    {
        if (reserved.Length < keys.Length)
        {
            throw new ArgumentException($"{reserved.Length} result slots for {keys.Length} keys: there must be one per key.", nameof(reserved));
        }

        var count = 0;
        var done = 0;
        try
        {
            for (; done < keys.Length; done++)
            {
                var taken = await TryReserveAsync(keys.Span[done], cancellationToken).ConfigureAwait(false);
                reserved.Span[done] = taken;
                count += taken ? 1 : 0;
            }
        }
        catch
        {
            for (var i = 0; i < done; i++)
            {
                if (reserved.Span[i])
                {
                    await ReleaseAsync(keys.Span[i], CancellationToken.None).ConfigureAwait(false);
                }
            }

            throw;
        }

        return count;
    }

    /// <summary>
    /// Releases several reserved keys after failed attempts. The default calls <see cref="ReleaseAsync"/> per key;
    /// override it when the store can release many keys in one round trip.
    /// </summary>
    /// <param name="keys">The idempotency keys.</param>
    /// <param name="cancellationToken">Cancels the release.</param>
    async ValueTask ReleaseManyAsync(ReadOnlyMemory<string> keys, CancellationToken cancellationToken)
    {
        for (var i = 0; i < keys.Length; i++)
        {
            await ReleaseAsync(keys.Span[i], cancellationToken).ConfigureAwait(false);
        }
    }
}
