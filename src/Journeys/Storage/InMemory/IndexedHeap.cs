namespace Journeys.Storage.InMemory;

/// <summary>
/// A 4-ary min-heap whose items know their own index (<see cref="IHeapNode"/>): peek in O(1), add and remove any item
/// in O(log n), and, unlike <see cref="SortedSet{T}"/>, no node allocated per add (one array slot per item). The
/// comparer must be a total order (ties broken by a unique key) and an item's key must not change while it is in the
/// heap.
/// </summary>
/// <remarks>
/// Four children per node, not two: half the levels, so a sift moves an item (and writes its index into it, a store to
/// an object somewhere on the heap) half as many times. The store's lease heaps lose their oldest items first (a commit
/// releases the leases its shard took first), so nearly every removal sifts the heap's last item down from near the top
/// through every level: with thousands of leases in flight, that sift was the most sampled engine code of a run.
/// </remarks>
internal sealed class IndexedHeap<T>(IComparer<T> comparer, int slot)
    where T : class, IHeapNode
{
    private T[] _items = [];

    public int Count { get; private set; }

    /// <summary>The smallest item; the heap must not be empty.</summary>
    public T Min => Count > 0 ? _items[0] : throw new InvalidOperationException("The heap is empty.");

    public bool Contains(T item) => item.GetHeapIndex(slot) >= 0;

    public void Add(T item)
    {
        if (item.GetHeapIndex(slot) >= 0)
        {
            throw new InvalidOperationException("The item is already in the heap.");
        }

        if (Count == _items.Length)
        {
            Array.Resize(ref _items, Math.Max(16, _items.Length * 2));
        }

        _items[Count] = item;
        item.SetHeapIndex(slot, Count);
        Count++;
        Up(Count - 1);
    }

    /// <summary>Makes room for <paramref name="count"/> items at once (a bulk intake): one array of the size adding them one by one would reach.</summary>
    public void EnsureCapacity(int count)
    {
        var length = Math.Max(16, _items.Length);
        while (length < count)
        {
            length *= 2;
        }

        if (length > _items.Length)
        {
            Array.Resize(ref _items, length);
        }
    }

    /// <summary>Removes the item if it is in the heap; returns whether it was.</summary>
    public bool Remove(T item)
    {
        var index = item.GetHeapIndex(slot);
        if (index < 0)
        {
            return false;
        }

        Count--;
        var last = _items[Count];
        _items[Count] = null!;
        item.SetHeapIndex(slot, -1);
        if (index < Count)
        {
            _items[index] = last;
            last.SetHeapIndex(slot, index);
            if (!Up(index))
            {
                Down(index);
            }
        }

        if (Count == 0 && _items.Length > 1024)
        {
            // A drained heap gives its large array back.
            _items = [];
        }

        return true;
    }

    private bool Up(int index)
    {
        var item = _items[index];
        var moved = false;
        while (index > 0)
        {
            var parent = (index - 1) >> 2;
            if (comparer.Compare(item, _items[parent]) >= 0)
            {
                break;
            }

            Place(_items[parent], index);
            index = parent;
            moved = true;
        }

        Place(item, index);
        return moved;
    }

    private void Down(int index)
    {
        var item = _items[index];
        while (true)
        {
            var first = (4 * index) + 1;
            if (first >= Count)
            {
                break;
            }

            // The smallest of up to four children.
            var child = first;
            var end = Math.Min(first + 4, Count);
            for (var other = first + 1; other < end; other++)
            {
                if (comparer.Compare(_items[other], _items[child]) < 0)
                {
                    child = other;
                }
            }

            if (comparer.Compare(_items[child], item) >= 0)
            {
                break;
            }

            Place(_items[child], index);
            index = child;
        }

        Place(item, index);
    }

    private void Place(T item, int index)
    {
        _items[index] = item;
        item.SetHeapIndex(slot, index);
    }
}
