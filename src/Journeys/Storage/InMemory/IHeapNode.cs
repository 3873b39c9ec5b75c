namespace Journeys.Storage.InMemory;

/// <summary>
/// An item that can sit in up to two <see cref="IndexedHeap{T}"/>s at once (a due heap and a lease heap) and remembers
/// its position in each, so it can be removed in O(log n) without a search.
/// </summary>
internal interface IHeapNode
{
    /// <summary>The item's index in heap <paramref name="slot"/> (0 or 1), or -1 when it is not in it.</summary>
    int GetHeapIndex(int slot);

    /// <summary>Records the item's index in heap <paramref name="slot"/> (-1: removed).</summary>
    void SetHeapIndex(int slot, int index);
}
