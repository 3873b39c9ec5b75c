using Journeys.Messaging;

namespace Journeys.Storage;

/// <summary>
/// Messages committed with the state change that produced them, sent afterwards by the dispatcher. A message is
/// claimed with a lease; if the dispatcher dies before recording the result, the lease expires and the message is
/// sent again with the same idempotency key.
/// </summary>
public interface IOutboxStore
{
    /// <summary>Claims up to <paramref name="maxItems"/> messages that are due (new, or whose retry time has come).</summary>
    /// <param name="owner">The claiming dispatcher's id.</param>
    /// <param name="now">The current time.</param>
    /// <param name="maxItems">The most to claim.</param>
    /// <param name="lease">How long the claim holds.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<IReadOnlyList<OutboxMessage>> ClaimAsync(string owner, DateTimeOffset now, int maxItems, TimeSpan lease, CancellationToken cancellationToken = default);

    /// <summary>Records the results of claimed messages (sent, failed for good, or to retry at a time) with their statistic deltas.</summary>
    /// <param name="owner">The dispatcher that claimed them.</param>
    /// <param name="results">The results.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask CompleteAsync(string owner, IReadOnlyList<OutboxResult> results, CancellationToken cancellationToken = default);

    /// <summary>
    /// Extends the leases that <paramref name="owner"/> still holds on claimed messages it has no result for yet (a slow
    /// sender), so no other dispatcher claims and sends them again meanwhile. As for enrollments, a lease is held when
    /// it was taken by <paramref name="owner"/>, has not been released by a result and has not expired (its expiry is
    /// after <paramref name="now"/>); a held lease then runs until now + <paramref name="lease"/> at the earliest.
    /// </summary>
    /// <param name="owner">The dispatcher that claimed them.</param>
    /// <param name="messageIds">The messages to renew.</param>
    /// <param name="now">The current time.</param>
    /// <param name="lease">How long the renewed claim holds from <paramref name="now"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>For each id, in order, whether the lease was still <paramref name="owner"/>'s and was renewed.</returns>
    ValueTask<IReadOnlyList<bool>> RenewLeasesAsync(string owner, IReadOnlyList<string> messageIds, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default);

    /// <summary>
    /// Gives back the leases that <paramref name="owner"/> still holds on claimed messages it has not attempted and has
    /// no result for (an engine stopping gracefully hands back the messages queued for its dispatcher), as if they had
    /// expired now: any dispatcher's next claim may take them, without waiting for the lease to run out. A lease is held
    /// as for <see cref="RenewLeasesAsync"/>, except that one already expired (and not claimed by anyone since) is
    /// given back too; any other lease, and a message with a result, is left as it is and reported as not released.
    /// </summary>
    /// <remarks>
    /// Optional: the default implementation releases nothing, so a store without the feature stays correct (the
    /// messages then wait for their leases to expire, as after a crash). A store that implements it should wake the
    /// other hosts' dispatchers. The engine never gives back a message whose send it started: that one's lease runs out
    /// as before, so a provider that accepted it just as the engine stopped is not asked again at once.
    /// </remarks>
    /// <param name="owner">The dispatcher that claimed them.</param>
    /// <param name="messageIds">The messages to give back.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>For each id, in order, whether its lease was <paramref name="owner"/>'s and is released.</returns>
    ValueTask<IReadOnlyList<bool>> ReleaseLeasesAsync(string owner, IReadOnlyList<string> messageIds, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(messageIds);
        return ValueTask.FromResult<IReadOnlyList<bool>>(new bool[messageIds.Count]);
    }

    /// <summary>The earliest time a pending message is due, or <see langword="null"/> when none is pending.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<DateTimeOffset?> GetNextDueAsync(CancellationToken cancellationToken = default);
}
