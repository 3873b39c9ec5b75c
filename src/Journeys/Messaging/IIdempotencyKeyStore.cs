namespace Journeys.Messaging;

/// <summary>
/// Remembers the idempotency keys of sends that went out (or are going out), so that a repeated send is dropped.
/// Used by <see cref="IdempotentChannelSender"/>; back it with a shared store (a database table, Redis) when
/// several processes send, or use <see cref="InMemoryIdempotencyKeyStore"/> for one process.
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
}
