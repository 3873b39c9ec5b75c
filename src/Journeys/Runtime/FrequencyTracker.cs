using System.Collections.Concurrent;

namespace Journeys.Runtime;

/// <summary>
/// Recent send times per customer, for the frequency cap. Kept in memory by this host's dispatcher: with several hosts
/// each enforces the cap on what it sends, and a restart starts from zero. It cannot be made global from what the store
/// contracts expose (no query of recent sends per customer; a counter kept in a customer field would race between
/// hosts, since customer upserts carry no concurrency token); a shared cap needs a store-side counter (see
/// docs/engine.md, "Frequency cap: scope"). A send attempt counts toward the cap whether or not the provider then
/// accepts it.
/// </summary>
internal sealed class FrequencyTracker
{
    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _sends = new(StringComparer.Ordinal);

    /// <summary>Takes one of the customer's sends in the window, or returns false when the cap is reached (atomic per customer).</summary>
    public bool TryReserve(string customerId, DateTimeOffset now, TimeSpan window, int cap)
    {
        var times = _sends.GetOrAdd(customerId, static _ => new Queue<DateTimeOffset>());
        lock (times)
        {
            Trim(times, now, window);
            if (times.Count >= cap)
            {
                return false;
            }

            times.Enqueue(now);
            return true;
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

    private static void Trim(Queue<DateTimeOffset> times, DateTimeOffset now, TimeSpan window)
    {
        while (times.Count > 0 && times.Peek() <= now - window)
        {
            times.Dequeue();
        }
    }
}
