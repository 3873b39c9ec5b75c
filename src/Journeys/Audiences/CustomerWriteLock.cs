namespace Journeys.Audiences;

/// <summary>
/// Serialises one host's customer schema changes with the customer writes checked against the schema: the audience
/// manager's field definitions, puts and imports, and the journey manager's put of whole customers
/// (<see cref="AudienceManager.PutWholeAsync{T}"/>), so a field's type cannot change between a write's check and the
/// write. One per service provider, shared by both managers (the audience manager depends on the journey manager, so the
/// lock cannot live in the audience manager and be reached from the journey manager).
/// </summary>
internal sealed class CustomerWriteLock : IDisposable
{
    private readonly SemaphoreSlim _semaphore = new(1, 1);

    /// <summary>Waits for the lock; <see cref="Release"/> it after.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public Task WaitAsync(CancellationToken cancellationToken) => _semaphore.WaitAsync(cancellationToken);

    /// <summary>Releases the lock.</summary>
    public void Release() => _semaphore.Release();

    /// <inheritdoc/>
    public void Dispose() => _semaphore.Dispose();
}
