using System.Collections.Concurrent;
using Journeys.Storage;

namespace Journeys.Runtime;

/// <summary>
/// Recent sends per customer, for the frequency cap, kept in memory: the in-memory store's
/// <see cref="IFrequencyCapStore"/>, and the engine's own record when its outbox store does not implement that
/// interface (each host then enforces the cap on what it sends, and a restart starts from zero; see docs/engine.md,
/// "Frequency cap: scope"). A send is its customer and its key (the message's idempotency key): reserving a key the
/// customer already holds in the window grants it again without counting it twice. A customer none of whose sends is
/// left in the window is forgotten: the records are swept each time their number has doubled since the last sweep, so
/// memory follows the customers sent to within one window, not all customers ever sent to.
/// </summary>
internal sealed class FrequencyTracker : IFrequencyCapStore
{
    private const int MinSweepAt = 1024;

    private readonly ConcurrentDictionary<string, Sends> _sends = new(StringComparer.Ordinal);
    private int _sweepAt = MinSweepAt;
    private int _sweeping;

    /// <summary>How many customers have a record (for tests).</summary>
    internal int CustomerCount => _sends.Count;

    /// <summary>
    /// Takes one of the customer's places in the window for the send <paramref name="key"/>, or returns false when the
    /// cap is reached (atomic per customer); a key the customer already holds in the window is granted again and not
    /// counted twice.
    /// </summary>
    public bool TryReserve(string customerId, string key, DateTimeOffset now, TimeSpan window, int cap)
    {
        // Saturated: a window reaching back past DateTimeOffset.MinValue (valid: any positive one is) counts every send.
        var windowStart = LocalTime.AddSaturating(now, -window);
        if (_sends.Count >= Volatile.Read(ref _sweepAt))
        {
            Sweep(windowStart);
        }

        while (true)
        {
            var sends = _sends.GetOrAdd(customerId, static _ => new Sends());
            lock (sends)
            {
                if (sends.Removed)
                {
                    continue; // swept meanwhile: take the customer's new record
                }

                Trim(sends, windowStart);
                foreach (var (_, held) in sends)
                {
                    if (string.Equals(held, key, StringComparison.Ordinal))
                    {
                        return true;
                    }
                }

                if (sends.Count >= cap)
                {
                    return false;
                }

                sends.Add((now, key));
                return true;
            }
        }
    }

    /// <summary>Gives back the customer's reservation for <paramref name="key"/> (its send was held for later); nothing when there is none.</summary>
    public void Release(string customerId, string key)
    {
        if (!_sends.TryGetValue(customerId, out var sends))
        {
            return;
        }

        lock (sends)
        {
            sends.RemoveAll(send => string.Equals(send.Key, key, StringComparison.Ordinal));
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<bool>> TryReserveSendsAsync(IReadOnlyList<SendReservation> sends, int cap, TimeSpan window, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        StoreArgumentChecks.SendReservations(sends, nameof(sends));
        StoreArgumentChecks.FrequencyCap(cap, window);
        cancellationToken.ThrowIfCancellationRequested();
        var granted = new bool[sends.Count];
        for (var i = 0; i < granted.Length; i++)
        {
            granted[i] = TryReserve(sends[i].CustomerId, sends[i].Key, now, window, cap);
        }

        return ValueTask.FromResult<IReadOnlyList<bool>>(granted);
    }

    /// <inheritdoc />
    public ValueTask ReleaseSendsAsync(IReadOnlyList<SendReservation> sends, CancellationToken cancellationToken = default)
    {
        StoreArgumentChecks.SendReservations(sends, nameof(sends));
        cancellationToken.ThrowIfCancellationRequested();
        foreach (var send in sends)
        {
            Release(send.CustomerId, send.Key);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<int> PurgeSendsAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Sweep(olderThan, wait: true));
    }

    /// <summary>Removes every send record of <paramref name="customerId"/> (<see cref="IFrequencyCapStore.EraseCustomerSendsAsync"/>).</summary>
    public ValueTask<int> EraseCustomerSendsAsync(string customerId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(customerId);
        cancellationToken.ThrowIfCancellationRequested();
        if (!_sends.TryGetValue(customerId, out var sends))
        {
            return ValueTask.FromResult(0);
        }

        lock (sends)
        {
            var removed = sends.Count;
            sends.Clear();

            // Marked under the lock, as a sweep does: a reservation that already holds this record sees it and starts over.
            sends.Removed = true;
            _sends.TryRemove(new KeyValuePair<string, Sends>(customerId, sends));
            return ValueTask.FromResult(removed);
        }
    }

    /// <summary>Drops the sends at or before <paramref name="olderThan"/> and the customers left with none; one sweep at a time, the others go on (or, with <paramref name="wait"/>, wait for it).</summary>
    private int Sweep(DateTimeOffset olderThan, bool wait = false)
    {
        while (Interlocked.Exchange(ref _sweeping, 1) != 0)
        {
            if (!wait)
            {
                return 0;
            }

            Thread.Yield();
        }

        try
        {
            var removed = 0;
            foreach (var (customerId, sends) in _sends)
            {
                lock (sends)
                {
                    removed += Trim(sends, olderThan);
                    if (sends.Count == 0)
                    {
                        // Marked under the lock: a reservation that already holds this record sees it and starts over.
                        sends.Removed = true;
                        _sends.TryRemove(new KeyValuePair<string, Sends>(customerId, sends));
                    }
                }
            }

            Volatile.Write(ref _sweepAt, Math.Max(MinSweepAt, _sends.Count * 2));
            return removed;
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    private static int Trim(Sends sends, DateTimeOffset olderThan) => sends.RemoveAll(send => send.At <= olderThan);

    /// <summary>One customer's sends (time, key); <see cref="Removed"/> once a sweep took it out of the table.</summary>
    private sealed class Sends : List<(DateTimeOffset At, string Key)>
    {
        public bool Removed { get; set; }
    }
}
