namespace Journeys.Runtime;

/// <summary>
/// Orders this process's entries and activations: an entry reads its journey's active version, then creates enrollments
/// in it; an activation of a new version that saved it active in between would return while the entry still creates
/// enrollments in the old version, and a new entry would land in a superseded version after the activation returned
/// ("updating an active journey creates a new version: new entries go to it"). Entries hold the gate shared from the
/// read to the end of the create; an activation holds it exclusively while it saves the version active, so it waits for
/// the entries that read the old version and the entries after it read the new one.
/// </summary>
/// <remarks>
/// Entries do not wait for each other: only an activation's save waits, and entries that come while it waits queue
/// behind it (it is not starved). A holder must not enter again (a shared holder would wait behind a waiting activation
/// that waits for it). It orders this process only: hosts sharing a store each have their own.
/// </remarks>
internal sealed class EntryGate : IDisposable
{
    // Held by an activation for its whole save, and by each entry only while it registers: entries that come while an
    // activation holds it (or waits for the entries before it) wait.
    private readonly SemaphoreSlim _turnstile = new(1, 1);
    private readonly Lock _lock = new();
    private int _entries;
    private TaskCompletionSource? _drained;
    private int _activationsWaiting;

    /// <summary>Activations waiting for the entries before them (tests wait on it).</summary>
    public int ActivationsWaiting => Volatile.Read(ref _activationsWaiting);

    /// <summary>Enters as an entry: after any activation that holds the gate or waits for it; dispose to leave.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public async ValueTask<Entry> EnterAsync(CancellationToken cancellationToken)
    {
        await _turnstile.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            _entries++;
        }

        _turnstile.Release();
        return new Entry(this);
    }

    /// <summary>Enters as an activation, once the entries before it have left; dispose to leave.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public async ValueTask<Activation> ActivateAsync(CancellationToken cancellationToken)
    {
        await _turnstile.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Task drained;
            lock (_lock)
            {
                if (_entries == 0)
                {
                    return new Activation(this);
                }

                _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                drained = _drained.Task;
            }

            Interlocked.Increment(ref _activationsWaiting);
            try
            {
                await drained.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _activationsWaiting);
            }

            return new Activation(this);
        }
        catch
        {
            _turnstile.Release();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _turnstile.Dispose();

    private void Leave()
    {
        TaskCompletionSource? drained = null;
        lock (_lock)
        {
            if (--_entries == 0)
            {
                (drained, _drained) = (_drained, null);
            }
        }

        drained?.TrySetResult();
    }

    /// <summary>An entry's hold on the gate.</summary>
    public readonly struct Entry(EntryGate gate) : IDisposable
    {
        /// <summary>Leaves the gate.</summary>
        public void Dispose() => gate.Leave();
    }

    /// <summary>An activation's hold on the gate.</summary>
    public readonly struct Activation(EntryGate gate) : IDisposable
    {
        /// <summary>Leaves the gate: the entries waiting go on, reading the version it saved.</summary>
        public void Dispose() => gate._turnstile.Release();
    }
}
