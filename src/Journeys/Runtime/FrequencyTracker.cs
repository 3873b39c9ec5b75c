using System.Collections.Concurrent;

namespace Journeys.Runtime;

/// <summary>
/// Recent send times per customer, for the frequency cap. Kept in memory by this host's dispatcher: with several hosts
/// each enforces the cap on what it sends, and a restart starts from zero. It cannot be made global from what the store
/// contracts expose (no query of recent sends per customer; a counter kept in a customer field would race between
/// hosts, since customer upserts carry no concurrency token); a shared cap needs a store-side counter (see
/// docs/engine.md, "Frequency cap: scope"). A send attempt counts toward the cap whether or not the provider then
/// accepts it. A customer none of whose sends is left in the window is forgotten: the records are swept each time
/// their number has doubled since the last sweep, so memory follows the customers sent to within one window, not all
/// customers ever sent to.
/// </summary>
internal sealed class FrequencyTracker
{
    private const int MinSweepAt = 1024;

    private readonly ConcurrentDictionary<string, Sends> _sends = new(StringComparer.Ordinal);
    private int _sweepAt = MinSweepAt;
    private int _sweeping;

    /// <summary>Takes one of the customer's sends in the window, or returns false when the cap is reached (atomic per customer).</summary>
    public bool TryReserve(string customerId, DateTimeOffset now, TimeSpan window, int cap)
    {
        if (_sends.Count >= Volatile.Read(ref _sweepAt))
        {
            Sweep(now, window);
        }

        while (true)
        {
            var times = _sends.GetOrAdd(customerId, static _ => new Sends());
            lock (times)
            {
                if (times.Removed)
                {
                    continue; // swept meanwhile: take the customer's new record
                }

                Trim(times, now, window);
                if (times.Count >= cap)
                {
                    return false;
                }

                times.Enqueue(now);
                return true;
            }
        }
    }

    /// <summary>
    /// Gives back the customer's latest reservation: the send it was taken for was held for later (the channel's circuit
    /// is open), when it reserves again.
    /// </summary>
    public void Release(string customerId)
    {
        if (!_sends.TryGetValue(customerId, out var times))
        {
            return;
        }

        lock (times)
        {
            if (times.Count == 0)
            {
                return;
            }

            var kept = times.ToArray().AsSpan(0, times.Count - 1).ToArray();
            times.Clear();
            foreach (var time in kept)
            {
                times.Enqueue(time);
            }
        }
    }

    /// <summary>How many customers have a record (for tests).</summary>
    internal int CustomerCount => _sends.Count;

    /// <summary>Drops the customers with no send left in the window; one sweep at a time, the others go on.</summary>
    private void Sweep(DateTimeOffset now, TimeSpan window)
    {
        if (Interlocked.Exchange(ref _sweeping, 1) != 0)
        {
            return;
        }

        try
        {
            foreach (var (customerId, times) in _sends)
            {
                lock (times)
                {
                    Trim(times, now, window);
                    if (times.Count == 0)
                    {
                        // Marked under the lock: a reservation that already holds this record sees it and starts over.
                        times.Removed = true;
                        _sends.TryRemove(new KeyValuePair<string, Sends>(customerId, times));
                    }
                }
            }

            Volatile.Write(ref _sweepAt, Math.Max(MinSweepAt, _sends.Count * 2));
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    private static void Trim(Queue<DateTimeOffset> times, DateTimeOffset now, TimeSpan window)
    {
        while (times.Count > 0 && times.Peek() <= now - window)
        {
            times.Dequeue();
        }
    }

    /// <summary>One customer's send times; <see cref="Removed"/> once a sweep took it out of the table.</summary>
    private sealed class Sends : Queue<DateTimeOffset>
    {
        public bool Removed { get; set; }
    }
}
