using System.Collections.Immutable;
using Journeys.Model;

namespace Journeys.QuickStart;

/// <summary>Customer events waiting for their simulated time: shoppers' actions and provider feedback. Thread-safe.</summary>
internal sealed class EventSchedule
{
    private readonly PriorityQueue<CustomerEvent, (DateTimeOffset, long)> _queue = new();
    private readonly Lock _lock = new();
    private long _order;

    public void Add(string customerId, string name, DateTimeOffset at, string? messageId = null)
    {
        lock (_lock)
        {
            _queue.Enqueue(new CustomerEvent(customerId, name, ImmutableDictionary<string, FieldValue>.Empty, at, messageId), (at, _order++));
        }
    }

    /// <summary>Removes and returns the events due at or before <paramref name="now"/>, in time order.</summary>
    public List<CustomerEvent> TakeDue(DateTimeOffset now)
    {
        var due = new List<CustomerEvent>();
        lock (_lock)
        {
            while (_queue.TryPeek(out var next, out _) && next.Time <= now)
            {
                due.Add(_queue.Dequeue());
            }
        }

        return due;
    }
}
