namespace Journeys.Storage;

/// <summary>
/// Optional for an <see cref="IOutboxStore"/>: a store-side record of the sends counted against each customer's
/// frequency cap (<see cref="Runtime.SendPolicyOptions.FrequencyCap"/>), shared by every host on the store and kept
/// across restarts. When the registered outbox store implements it, the engine's dispatchers reserve each message's
/// place through it; otherwise each host keeps its own record in memory (the cap is then per host and forgotten at a
/// restart). The in-memory, SQLite and PostgreSQL stores implement it.
/// </summary>
/// <remarks>
/// A send is identified by its customer and key: reserving a key the customer already has in the window grants it
/// again without counting it twice, so a message sent again after a crash (its reservation made, its result not
/// recorded) does not use a second place. A send counts from the <c>now</c> it was reserved at until one window
/// later (a send exactly one window old no longer counts).
/// </remarks>
public interface IFrequencyCapStore
{
    /// <summary>
    /// Reserves a place for each send, in the list's order, atomically per customer across every caller of the store:
    /// a send is granted when its key is already reserved for its customer within the window, or when fewer than
    /// <paramref name="cap"/> of the customer's sends are in the window (it is then recorded at <paramref name="now"/>);
    /// otherwise it is refused and nothing is recorded for it. Two hosts reserving for one customer at once never grant
    /// more than <paramref name="cap"/> in one window between them.
    /// </summary>
    /// <param name="sends">The sends, each with a customer id and a key.</param>
    /// <param name="cap">How many sends a customer may have in the window, at least 1.</param>
    /// <param name="window">The sliding window, positive.</param>
    /// <param name="now">The reservation's time (the engine's clock).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>For each send, in order, whether it was granted.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="sends"/> is null.</exception>
    /// <exception cref="ArgumentException">A send has no customer id or no key (its index is named; nothing is recorded).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="cap"/> is below 1 or <paramref name="window"/> is not positive.</exception>
    ValueTask<IReadOnlyList<bool>> TryReserveSendsAsync(IReadOnlyList<SendReservation> sends, int cap, TimeSpan window, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// Gives back the places of sends that were reserved but not attempted (the engine's: a message held because its
    /// channel's circuit is open); each reserves again when it is sent. A key that is not reserved is ignored.
    /// </summary>
    /// <param name="sends">The sends.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ArgumentNullException"><paramref name="sends"/> is null.</exception>
    /// <exception cref="ArgumentException">A send has no customer id or no key (its index is named; nothing is released).</exception>
    ValueTask ReleaseSendsAsync(IReadOnlyList<SendReservation> sends, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes the records of sends reserved at or before <paramref name="olderThan"/> (out of every window that ends
    /// now). The engine calls it beside its event purge, with now minus the cap's window.
    /// </summary>
    /// <param name="olderThan">The cut-off: records reserved at or before it are removed.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many records were removed.</returns>
    ValueTask<int> PurgeSendsAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes every record of sends to <paramref name="customerId"/> (erasing the customer,
    /// <see cref="Audiences.IAudienceManager.EraseCustomerAsync"/>). The default implementation throws
    /// <see cref="NotSupportedException"/>, so a store without the feature cannot make an erasure look done.
    /// </summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many records were removed.</returns>
    /// <exception cref="NotSupportedException">The store does not erase customers.</exception>
    ValueTask<int> EraseCustomerSendsAsync(string customerId, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"{GetType().Name} does not erase customers (IFrequencyCapStore.EraseCustomerSendsAsync).");
}
