namespace Journeys.Storage;

/// <summary>Shorthands over <see cref="IEnrollmentStore"/>.</summary>
public static class EnrollmentStoreExtensions
{
    /// <summary>
    /// Commits a batch of checkpoints without an <see cref="OutboxHandoff"/>: their outbox messages are written unleased,
    /// for any dispatcher to claim (see <see cref="IEnrollmentStore.CommitAsync(string, IReadOnlyList{EnrollmentCheckpoint}, OutboxHandoff?, CancellationToken)"/>).
    /// </summary>
    /// <param name="store">The store.</param>
    /// <param name="owner">The engine that claimed the work.</param>
    /// <param name="checkpoints">The checkpoints.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>For each checkpoint, in order, whether it was applied.</returns>
    public static ValueTask<IReadOnlyList<bool>> CommitAsync(this IEnrollmentStore store, string owner, IReadOnlyList<EnrollmentCheckpoint> checkpoints, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.CommitAsync(owner, checkpoints, null, cancellationToken);
    }
}
