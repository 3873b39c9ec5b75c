namespace Journeys.Storage.InMemory;

/// <summary>
/// A queue that also removes any item in O(1): a doubly linked list kept in arrays (slots), each item remembering its
/// slot through <see cref="IHeapNode"/> slot <c>slot</c> as <c>-2 - index</c>, so the same index field can say "in
/// this queue" (≤ −2), "in the heap of that slot" (≥ 0) or "in neither" (−1). An item is in the queue or in the heap
/// of the same slot, never both.
/// </summary>
/// <typeparam name="T">The items.</typeparam>
/// <param name="slot">The <see cref="IHeapNode"/> slot that holds an item's place.</param>
/// <remarks>
/// The in-memory outbox keeps its leases here while they are taken in expiry order (hand-offs and claims lease with
/// "now + lease duration"): a completion then unlinks its message instead of moving the heap's last item down from
/// near the top through every level. Memory is per item held (a reference and two links), not per item ever queued.
/// </remarks>
internal sealed class IndexedQueue<T>(int slot)
    where T : class, IHeapNode
{
    private T?[] _items = [];
    private int[] _next = [];
    private int[] _previous = [];
    private int _head = -1;
    private int _tail = -1;

    // Slots given back, chained through _next; _used slots have ever been handed out.
    private int _free = -1;
    private int _used;

    /// <summary>How many items the queue holds.</summary>
    public int Count { get; private set; }

    /// <summary>The oldest item, or <see langword="null"/> when the queue is empty.</summary>
    public T? First => _head < 0 ? null : _items[_head];

    /// <summary>The newest item, or <see langword="null"/> when the queue is empty.</summary>
    public T? Last => _tail < 0 ? null : _items[_tail];

    /// <summary>Whether <paramref name="item"/> is in this queue (or in another queue of the same slot).</summary>
    public bool Contains(T item) => item.GetHeapIndex(slot) <= -2;

    /// <summary>Adds <paramref name="item"/> after the newest.</summary>
    /// <exception cref="InvalidOperationException">The item is in a queue or heap of this slot already.</exception>
    public void Enqueue(T item)
    {
        if (item.GetHeapIndex(slot) != -1)
        {
            throw new InvalidOperationException("The item is already in a queue or heap.");
        }

        int index;
        if (_free >= 0)
        {
            index = _free;
            _free = _next[index];
        }
        else
        {
            if (_used == _items.Length)
            {
                var length = Math.Max(16, _items.Length * 2);
                Array.Resize(ref _items, length);
                Array.Resize(ref _next, length);
                Array.Resize(ref _previous, length);
            }

            index = _used++;
        }

        _items[index] = item;
        _next[index] = -1;
        _previous[index] = _tail;
        if (_tail < 0)
        {
            _head = index;
        }
        else
        {
            _next[_tail] = index;
        }

        _tail = index;
        item.SetHeapIndex(slot, -2 - index);
        Count++;
    }

    /// <summary>Removes <paramref name="item"/> wherever it is in the queue; false when it is not in it.</summary>
    public bool Remove(T item)
    {
        var index = -2 - item.GetHeapIndex(slot);
        if (index < 0)
        {
            return false;
        }

        if (index >= _used || !ReferenceEquals(_items[index], item))
        {
            throw new InvalidOperationException("The item is in another queue.");
        }

        var previous = _previous[index];
        var next = _next[index];
        if (previous < 0)
        {
            _head = next;
        }
        else
        {
            _next[previous] = next;
        }

        if (next < 0)
        {
            _tail = previous;
        }
        else
        {
            _previous[next] = previous;
        }

        _items[index] = null;
        item.SetHeapIndex(slot, -1);
        Count--;
        if (Count == 0)
        {
            // Empty: every slot is free again, and a large queue gives its arrays back.
            _free = -1;
            _used = 0;
            if (_items.Length > 1024)
            {
                (_items, _next, _previous) = ([], [], []);
            }
        }
        else
        {
            _next[index] = _free;
            _free = index;
        }

        return true;
    }
}
