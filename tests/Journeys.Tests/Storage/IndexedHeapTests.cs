using Journeys.Storage.InMemory;

namespace Journeys.Tests.Storage;

public sealed class IndexedHeapTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(42)]
    public void Random_adds_and_removes_agree_with_a_sorted_set(int seed)
    {
        var random = new Random(seed);
        var comparer = Comparer<Item>.Create(static (x, y) => x.Key.CompareTo(y.Key) is var c and not 0 ? c : x.Id.CompareTo(y.Id));
        var heap = new IndexedHeap<Item>(comparer, 1);
        var reference = new SortedSet<Item>(comparer);
        var items = Enumerable.Range(0, 300).Select(i => new Item(random.Next(50), i)).ToArray();

        for (var step = 0; step < 5_000; step++)
        {
            var item = items[random.Next(items.Length)];
            switch (random.Next(3))
            {
                case 0 when !heap.Contains(item):
                    heap.Add(item);
                    reference.Add(item);
                    break;
                case 1:
                    Assert.Equal(reference.Remove(item), heap.Remove(item));
                    break;
                case 2 when heap.Count > 0:
                    var min = heap.Min;
                    Assert.Same(reference.Min, min);
                    Assert.True(heap.Remove(min));
                    reference.Remove(min);
                    break;
            }

            Assert.Equal(reference.Count, heap.Count);
            Assert.Equal(-1, item.GetHeapIndex(0)); // the other slot is untouched
        }

        var drained = new List<Item>();
        while (heap.Count > 0)
        {
            var min = heap.Min;
            heap.Remove(min);
            drained.Add(min);
        }

        Assert.Equal(reference, drained);
        Assert.All(items, i => Assert.False(heap.Contains(i)));
        Assert.Throws<InvalidOperationException>(() => heap.Min);
    }

    [Fact]
    public void Leases_released_oldest_first_while_new_ones_arrive_keep_the_order_of_a_sorted_set()
    {
        // The store's lease heaps: thousands of items added in order, mostly removed from near the front (a commit
        // releases the oldest leases first), so every removal sifts the last item down through every level.
        var random = new Random(5);
        var comparer = Comparer<Item>.Create(static (x, y) => x.Key.CompareTo(y.Key) is var c and not 0 ? c : x.Id.CompareTo(y.Id));
        var heap = new IndexedHeap<Item>(comparer, 0);
        var reference = new SortedSet<Item>(comparer);
        var next = 0;
        for (var round = 0; round < 200; round++)
        {
            for (var i = 0; i < 60; i++, next++)
            {
                var item = new Item(next / 7, next); // runs of equal keys, ties broken by id
                heap.Add(item);
                reference.Add(item);
            }

            for (var i = 0; i < 50; i++)
            {
                var victim = reference.ElementAt(Math.Min(random.Next(8), reference.Count - 1));
                Assert.True(heap.Remove(victim));
                reference.Remove(victim);
                Assert.Same(reference.Min, heap.Min);
            }
        }

        Assert.Equal(reference.Count, heap.Count);
        var drained = new List<Item>();
        while (heap.Count > 0)
        {
            drained.Add(heap.Min);
            heap.Remove(heap.Min);
        }

        Assert.Equal(reference, drained);
    }

    [Fact]
    public void Adding_an_item_twice_is_refused()
    {
        var heap = new IndexedHeap<Item>(Comparer<Item>.Create(static (x, y) => x.Id.CompareTo(y.Id)), 0);
        var item = new Item(1, 1);
        heap.Add(item);
        Assert.Throws<InvalidOperationException>(() => heap.Add(item));
        Assert.Equal(1, heap.Count);
    }

    [Fact]
    public void Room_made_for_a_bulk_intake_keeps_the_order_and_the_adds_up_to_it_grow_nothing()
    {
        var heap = new IndexedHeap<Item>(Comparer<Item>.Create(static (x, y) => x.Key.CompareTo(y.Key) is var c and not 0 ? c : x.Id.CompareTo(y.Id)), 0);
        var random = new Random(3);
        var items = Enumerable.Range(0, 1_000).Select(i => new Item(random.Next(100), i)).ToArray();
        foreach (var item in items.AsSpan(0, 40))
        {
            heap.Add(item);
        }

        heap.EnsureCapacity(1_000);
        heap.EnsureCapacity(5); // never shrinks
        var before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var item in items.AsSpan(40))
        {
            heap.Add(item);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        var expected = items.OrderBy(i => i.Key).ThenBy(i => i.Id).ToArray();
        foreach (var item in expected)
        {
            Assert.Same(item, heap.Min);
            Assert.True(heap.Remove(item));
        }

        Assert.Equal(0, heap.Count);
    }

    private sealed class Item(int key, int id) : IHeapNode
    {
        private readonly int[] _indexes = [-1, -1];

        public int Key { get; } = key;

        public int Id { get; } = id;

        public int GetHeapIndex(int slot) => _indexes[slot];

        public void SetHeapIndex(int slot, int index) => _indexes[slot] = index;
    }
}
