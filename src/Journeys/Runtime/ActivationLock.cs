namespace Journeys.Runtime;

/// <summary>
/// Lets one activation at a time in this process read a journey and save it active. Held from the read to the journey's
/// save, not while the audience enters: the second activation then reads the journey active and enrolls nobody again,
/// as a repeated activation does, instead of having its save refused (its ETag stale). It orders this process only, as
/// <see cref="EntryGate"/> does: hosts sharing a store each have their own, and there the store keeps the two apart
/// (the intake is saved with the journey, both or neither: <see cref="Storage.IJourneyStore.SaveWithIntakeAsync"/>).
/// Until 2026-12-01 the intake was saved before the journey, and two activations that both read it before either saved
/// it each saved an intake; the store keeps one per journey, and the second replaced the first's: the one that won the
/// save then found no intake of its own to run and enrolled nobody, while the loser's intake stayed pending.
/// </summary>
internal sealed class ActivationLock : IDisposable
{
    private readonly SemaphoreSlim _semaphore = new(1, 1);
    private int _waiting;

    /// <summary>Activations waiting for the one that holds the lock (tests wait on it).</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Waits for the lock; dispose the result to release it.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public async ValueTask<Releaser> EnterAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _waiting);
        try
        {
            await _semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }

        return new Releaser(_semaphore);
    }

    /// <inheritdoc />
    public void Dispose() => _semaphore.Dispose();

    /// <summary>Releases the lock once.</summary>
    internal sealed class Releaser(SemaphoreSlim semaphore) : IDisposable
    {
        private SemaphoreSlim? _semaphore = semaphore;

        /// <inheritdoc />
        public void Dispose() => Interlocked.Exchange(ref _semaphore, null)?.Release();
    }
}
