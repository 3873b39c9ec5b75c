using Journeys.Storage.InMemory;

namespace Journeys.Tests.Storage;

public sealed class IndexedQueueTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(42)]
    public void Random_enqueues_and_removes_from_anywhere_agree_with_a_linked_list(int seed)
    {
        var random = new Random(seed);
        var queue = new IndexedQueue<Item>(1);
        var reference = new LinkedList<Item>();
        var items = Enumerable.Range(0, 300).Select(i => new Item(i)).ToArray();

        for (var step = 0; step < 20_000; step++)
        {
            var item = items[random.Next(items.Length)];
            switch (random.Next(3))
            {
                case 0 when !queue.Contains(item):
                    queue.Enqueue(item);
                    reference.AddLast(item);
                    break;
                case 1:
                    Assert.Equal(reference.Remove(item), queue.Remove(item));
                    break;
                case 2 when queue.Count > 0:
                    // Mostly from the front, as completions come.
                    var first = queue.First!;
                    Assert.Same(reference.First!.Value, first);
                    Assert.True(queue.Remove(first));
                    reference.RemoveFirst();
                    break;
            }

            Assert.Equal(reference.Count, queue.Count);
            Assert.Same(reference.First?.Value, queue.First);
            Assert.Same(reference.Last?.Value, queue.Last);
            Assert.Equal(-1, item.GetHeapIndex(0)); // the other slot is untouched
        }

        Assert.Equal(reference, Drain(queue));
        Assert.All(items, i => Assert.Equal(-1, i.GetHeapIndex(1)));
    }

    [Fact]
    public void An_item_in_the_queue_is_not_in_the_heap_of_its_slot_and_neither_takes_it_twice()
    {
        var queue = new IndexedQueue<Item>(0);
        var heap = new IndexedHeap<Item>(Comparer<Item>.Create(static (x, y) => x.Id.CompareTo(y.Id)), 0);
        var queued = new Item(1);
        var heaped = new Item(2);
        queue.Enqueue(queued);
        heap.Add(heaped);

        Assert.False(heap.Contains(queued));
        Assert.False(heap.Remove(queued));
        Assert.False(queue.Contains(heaped));
        Assert.False(queue.Remove(heaped));
        Assert.Throws<InvalidOperationException>(() => queue.Enqueue(queued));
        Assert.Throws<InvalidOperationException>(() => queue.Enqueue(heaped));
        Assert.Equal(1, queue.Count);
        Assert.Equal(1, heap.Count);

        // An item of another queue of the same slot is refused, not unlinked from the wrong list.
        var other = new IndexedQueue<Item>(0);
        other.Enqueue(new Item(3));
        Assert.Throws<InvalidOperationException>(() => other.Remove(queued));
        Assert.True(queue.Remove(queued));
        Assert.Equal(0, queue.Count);
        Assert.Null(queue.First);
        Assert.Null(queue.Last);
    }

    [Fact]
    public void Slots_of_removed_items_are_reused_in_order()
    {
        // Thousands of leases taken in order and released mostly from the front while new ones arrive: the order holds
        // through reused slots and the arrays' growth and release.
        var random = new Random(5);
        var queue = new IndexedQueue<Item>(0);
        var reference = new LinkedList<Item>();
        var next = 0;
        for (var round = 0; round < 200; round++)
        {
            for (var i = 0; i < 60; i++, next++)
            {
                var item = new Item(next);
                queue.Enqueue(item);
                reference.AddLast(item);
            }

            for (var i = 0; i < (round == 100 ? reference.Count : 50); i++)
            {
                var victim = reference.ElementAt(Math.Min(random.Next(8), reference.Count - 1));
                Assert.True(queue.Remove(victim));
                reference.Remove(victim);
                Assert.Same(reference.First?.Value, queue.First);
            }
        }

        Assert.Equal(reference, Drain(queue));
    }

    private static List<Item> Drain(IndexedQueue<Item> queue)
    {
        var drained = new List<Item>();
        while (queue.First is { } first)
        {
            queue.Remove(first);
            drained.Add(first);
        }

        return drained;
    }

    private sealed class Item(int id) : IHeapNode
    {
        private readonly int[] _indexes = [-1, -1];

        public int Id { get; } = id;

        public int GetHeapIndex(int slot) => _indexes[slot];

        public void SetHeapIndex(int slot, int index) => _indexes[slot] = index;
    }
}
