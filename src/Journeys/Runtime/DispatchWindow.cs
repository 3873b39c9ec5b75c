namespace Journeys.Runtime;

/// <summary>
/// What one dispatcher loop has under way across its batches: the sends that wait (at most <see cref="SendLimit"/> at a
/// time, whichever batch they belong to, <see cref="JourneysOptions.MaxConcurrentSends"/>), the batches whose sends still
/// wait and are finished in the background (at most as many), and which customers those sends are for, so that a later
/// batch's message to one of them waits for them (a customer's messages go out in commit order).
/// </summary>
/// <remarks>
/// A batch whose sends all ended when its last message was looked at is recorded before the loop goes on, as before
/// the window; one whose sends still wait no longer holds the loop: a slow provider or webhook (up to its timeout times
/// its attempts) held back every message behind it. <see cref="Customers"/> is used only by the loop's own flow (one
/// batch's dispatch at a time); the counters are changed from any thread as sends end.
/// </remarks>
internal sealed class DispatchWindow(int sendLimit)
{
    /// <summary>How many sends of one dispatcher loop may wait at the same time (and batches finish in the background).</summary>
    public int SendLimit { get; } = sendLimit;

    // Entries whose sends ended are dropped when the map has grown to this (then to twice what was left).
    private const int InitialPruneAt = 1024;

    private readonly Lock _gate = new();
    private int _waitingSends;
    private int _tails;
    private bool _tailFailed;
    private TaskCompletionSource? _changed;
    private int _pruneAt = InitialPruneAt;

    /// <summary>
    /// For each customer with a send of a finishing batch: a task that ends when those sends have ended. Read and
    /// written only by the loop's flow.
    /// </summary>
    public Dictionary<string, Task> Customers { get; } = new(StringComparer.Ordinal);

    /// <summary>True when <see cref="SendLimit"/> sends wait.</summary>
    public bool IsFull
    {
        get
        {
            lock (_gate)
            {
                return _waitingSends >= SendLimit;
            }
        }
    }

    /// <summary>A send that did not end at once began waiting.</summary>
    public void SendStarted()
    {
        lock (_gate)
        {
            _waitingSends++;
        }
    }

    /// <summary>A send counted by <see cref="SendStarted"/> ended.</summary>
    public void SendEnded()
    {
        TaskCompletionSource? changed;
        lock (_gate)
        {
            _waitingSends--;
            changed = TakeChanged();
        }

        changed?.TrySetResult();
    }

    /// <summary>A batch goes on in the background.</summary>
    public void TailStarted()
    {
        lock (_gate)
        {
            _tails++;
        }
    }

    /// <summary>A batch counted by <see cref="TailStarted"/> ended; <paramref name="failed"/> when the store failed it.</summary>
    public void TailEnded(bool failed)
    {
        TaskCompletionSource? changed;
        lock (_gate)
        {
            _tails--;
            _tailFailed |= failed;
            changed = TakeChanged();
        }

        changed?.TrySetResult();
    }

    /// <summary>True once after a background batch failed (the loop then pauses, as after its own failure).</summary>
    public bool TakeTailFailure()
    {
        lock (_gate)
        {
            var failed = _tailFailed;
            _tailFailed = false;
            return failed;
        }
    }

    /// <summary>Completes when fewer than <see cref="SendLimit"/> sends wait.</summary>
    public ValueTask WaitForSendRoomAsync() => WaitAsync(static window => window._waitingSends < window.SendLimit);

    /// <summary>
    /// Completes when the loop may take another batch: fewer than <see cref="SendLimit"/> sends wait and fewer than
    /// that many batches finish in the background (a loop whose sends all wait leases nothing more).
    /// </summary>
    public ValueTask WaitForBatchRoomAsync() => WaitAsync(static window => window._tails < window.SendLimit && window._waitingSends < window.SendLimit);

    /// <summary>Completes when no batch finishes in the background any more (the loop is ending).</summary>
    public ValueTask DrainAsync() => WaitAsync(static window => window._tails == 0);

    /// <summary>
    /// Notes that <paramref name="customerId"/> has a send of a batch going on in the background, ending with
    /// <paramref name="send"/> (a later batch's message to the customer waits for it).
    /// </summary>
    public void AddCustomer(string customerId, Task send)
    {
        if (send.IsCompleted)
        {
            return;
        }

        if (Customers.Count >= _pruneAt)
        {
            Prune();
        }

        // Another send of the customer still under way: wait for both (a send deferred behind an earlier one ends
        // after it, so its own task is enough, but which one this is is not known here).
        Customers[customerId] = Customers.TryGetValue(customerId, out var earlier) && !earlier.IsCompleted && !ReferenceEquals(earlier, send)
            ? Task.WhenAll(earlier, send)
            : send;
    }

    /// <summary>The task a message to <paramref name="customerId"/> must wait for, or <see langword="null"/> when none.</summary>
    public Task? Earlier(string customerId)
    {
        if (Customers.Count == 0 || !Customers.TryGetValue(customerId, out var earlier))
        {
            return null;
        }

        if (earlier.IsCompleted)
        {
            Customers.Remove(customerId);
            return null;
        }

        return earlier;
    }

    private void Prune()
    {
        foreach (var (customer, send) in Customers)
        {
            if (send.IsCompleted)
            {
                Customers.Remove(customer);
            }
        }

        _pruneAt = Math.Max(InitialPruneAt, Customers.Count * 2);
    }

    private async ValueTask WaitAsync(Func<DispatchWindow, bool> done)
    {
        while (true)
        {
            TaskCompletionSource changed;
            lock (_gate)
            {
                if (done(this))
                {
                    return;
                }

                changed = _changed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            await changed.Task.ConfigureAwait(false);
        }
    }

    // Called under the lock: the waiters' signal, taken so the next wait makes a new one.
    private TaskCompletionSource? TakeChanged()
    {
        var changed = _changed;
        _changed = null;
        return changed;
    }
}
