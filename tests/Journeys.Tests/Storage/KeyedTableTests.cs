using Journeys.Storage.InMemory;

namespace Journeys.Tests.Storage;

public sealed class KeyedTableTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 1)]
    [InlineData(42, 3)]
    [InlineData(5, 1_000_000)]
    public void Adds_and_lookups_agree_with_a_dictionary_across_growth_and_hash_collisions(int seed, int hashBuckets)
    {
        // hashBuckets 1: every key has the same hash, so only the key comparison tells items apart; 3: a few hashes
        // shared by many keys; a million: mostly distinct hashes. The table grows through several sizes on the way.
        var random = new Random(seed);
        var comparer = new BucketComparer(hashBuckets);
        var table = new KeyedTable<string, Item>(static i => i.Key, comparer);
        var reference = new Dictionary<string, Item>(StringComparer.Ordinal);

        for (var step = 0; step < 600; step++)
        {
            var key = "k" + random.Next(400).ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (reference.TryGetValue(key, out var existing))
            {
                Assert.True(table.TryGetValue(key, out var found));
                Assert.Same(existing, found);
                Assert.Throws<ArgumentException>(() => table.Add(new Item(key)));
            }
            else
            {
                Assert.False(table.ContainsKey(key));
                var item = new Item(key);
                table.Add(item);
                reference.Add(key, item);
            }

            Assert.Equal(reference.Count, table.Count);
        }

        foreach (var (key, item) in reference)
        {
            Assert.True(table.TryGetValue(key, out var found));
            Assert.Same(item, found);
        }

        var enumerated = new List<Item>();
        foreach (var item in table)
        {
            enumerated.Add(item);
        }

        Assert.Equal(reference.Values.OrderBy(i => i.Key, StringComparer.Ordinal), enumerated.OrderBy(i => i.Key, StringComparer.Ordinal));
        Assert.False(table.TryGetValue("absent", out _));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 1)]
    [InlineData(42, 3)]
    [InlineData(5, 1_000_000)]
    [InlineData(9, 16)]
    public void Removes_and_replaces_keep_every_other_item_findable_as_a_dictionary_does(int seed, int hashBuckets)
    {
        // Removal shifts later items of a probe run back into the hole: with shared hashes (1, 3, 16 buckets) runs are
        // long and wrap around the array's end, so every case of the shift is taken many times.
        var random = new Random(seed);
        var table = new KeyedTable<string, Item>(static i => i.Key, new BucketComparer(hashBuckets));
        var reference = new Dictionary<string, Item>(StringComparer.Ordinal);

        for (var step = 0; step < 4_000; step++)
        {
            var key = "k" + random.Next(300).ToString(System.Globalization.CultureInfo.InvariantCulture);
            switch (random.Next(3))
            {
                case 0:
                    Assert.Equal(reference.Remove(key), table.Remove(key));
                    break;
                case 1 when reference.ContainsKey(key):
                    var replacement = new Item(key);
                    table.Replace(replacement);
                    reference[key] = replacement;
                    break;
                case 1:
                    Assert.Throws<KeyNotFoundException>(() => table.Replace(new Item(key)));
                    break;
                default:
                    if (!reference.ContainsKey(key))
                    {
                        var item = new Item(key);
                        table.Add(item);
                        reference.Add(key, item);
                    }

                    break;
            }

            Assert.Equal(reference.Count, table.Count);
            if (step % 50 == 0)
            {
                for (var k = 0; k < 300; k++)
                {
                    var probe = "k" + k.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    Assert.Equal(reference.TryGetValue(probe, out var expected), table.TryGetValue(probe, out var found));
                    Assert.Same(expected, found);
                }
            }
        }

        var enumerated = new List<Item>();
        foreach (var item in table)
        {
            enumerated.Add(item);
        }

        Assert.Equal(reference.Values.OrderBy(i => i.Key, StringComparer.Ordinal), enumerated.OrderBy(i => i.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void An_empty_table_finds_nothing_and_refuses_a_null_item()
    {
        var table = new KeyedTable<string, Item>(static i => i.Key, StringComparer.Ordinal);

        Assert.False(table.TryGetValue("k", out _));
        Assert.Throws<ArgumentNullException>(() => table.Add(null!));
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void Room_made_for_a_bulk_intake_keeps_every_item_findable_and_the_adds_up_to_it_grow_nothing()
    {
        var table = new KeyedTable<string, Item>(static i => i.Key, new BucketComparer(1_000_000));
        var items = Enumerable.Range(0, 2_000).Select(i => new Item("k" + i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray();
        foreach (var item in items.AsSpan(0, 300))
        {
            table.Add(item);
        }

        table.EnsureCapacity(2_000);
        table.EnsureCapacity(10); // never shrinks
        foreach (var item in items.AsSpan(0, 300))
        {
            Assert.True(table.TryGetValue(item.Key, out var found), item.Key);
            Assert.Same(item, found);
        }

        // The remaining 1,700 adds fit the room made: no array is allocated on the way.
        var before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var item in items.AsSpan(300))
        {
            table.Add(item);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(2_000, table.Count);
        foreach (var item in items)
        {
            Assert.True(table.TryGetValue(item.Key, out var found), item.Key);
            Assert.Same(item, found);
        }

        Assert.False(table.ContainsKey("absent"));
    }

    private sealed record Item(string Key);

    // Ordinal equality with a hash reduced to a few values, so distinct keys share hashes.
    private sealed class BucketComparer(int buckets) : IEqualityComparer<string>
    {
        public bool Equals(string? x, string? y) => string.Equals(x, y, StringComparison.Ordinal);

        public int GetHashCode(string obj) => (int)((uint)StringComparer.Ordinal.GetHashCode(obj) % (uint)buckets);
    }
}
