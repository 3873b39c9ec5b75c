using System.Diagnostics.CodeAnalysis;

namespace Journeys.Storage.InMemory;

/// <summary>
/// A set of items found by a key the item itself holds (open addressing, linear probing): one array slot
/// per item and no entry record, where a <see cref="Dictionary{TKey, TValue}"/> keeps the key, the value, the hash and
/// a link per item and grows its arrays to the next prime above twice the count. The array stays between three eighths
/// and three quarters full (at most: <see cref="Remove"/> does not shrink it). Removal is rare (the purge of old ended
/// enrollments) and leaves no tombstone: the items after the removed one in its probe run are shifted back (Knuth's
/// algorithm R), so lookups stay as short as if the removed item had never been added.
/// </summary>
/// <remarks>
/// Each slot's key hash is kept beside it (a parallel <see cref="int"/> array, 4 bytes per slot): a probe compares the
/// hashes and reads an item (and its key) only when they are equal. The items are objects spread over the heap, so
/// every item read on a probe is a likely cache miss; at three quarters full a lookup of an absent key passes ~8 occupied
/// slots on average, and an enrollment's intake looks up two absent keys and adds them. Growth re-places the items by
/// their kept hashes, without reading an item or hashing a key again.
/// </remarks>
/// <param name="keyOf">The item's key; it must not change while the item is in the table.</param>
/// <param name="comparer">The key comparer.</param>
internal sealed class KeyedTable<TKey, T>(Func<T, TKey> keyOf, IEqualityComparer<TKey> comparer)
    where T : class
{
    // The items in a struct each: storing into an array of a reference type T checks the item's type against the
    // array's (covariance) on every store, through a helper, in the generic code shared by reference types; storing
    // into a struct's field does not. Same 8 bytes per slot.
    private Slot[] _slots = [];
    private int[] _hashes = [];
    private int _shift = 32;

    /// <summary>The number of items.</summary>
    public int Count { get; private set; }

    /// <summary>Finds the item with <paramref name="key"/>.</summary>
    public bool TryGetValue(TKey key, [MaybeNullWhen(false)] out T item) => TryGetValue(key, out item, out _);

    /// <summary>
    /// Finds the item with <paramref name="key"/>, and gives the key's hash (for <see cref="Add(T, int)"/> of an item
    /// with that key, which then does not hash it again: a string key's hash reads the whole string).
    /// </summary>
    public bool TryGetValue(TKey key, [MaybeNullWhen(false)] out T item, out int hash)
    {
        hash = comparer.GetHashCode(key!);
        var i = IndexOf(key, hash);
        item = i < 0 ? null : _slots[i].Item;
        return i >= 0;
    }

    /// <summary>Whether an item has <paramref name="key"/>.</summary>
    public bool ContainsKey(TKey key) => TryGetValue(key, out _);

    /// <summary>Adds an item whose key is not in the table yet.</summary>
    /// <exception cref="ArgumentException">An item with the same key is in the table.</exception>
    public void Add(T item)
    {
        ArgumentNullException.ThrowIfNull(item);
        Add(item, comparer.GetHashCode(keyOf(item)!));
    }

    /// <summary>Adds an item whose key is not in the table yet, with its key's <paramref name="hash"/> (from <see cref="TryGetValue(TKey, out T, out int)"/>).</summary>
    /// <exception cref="ArgumentException">An item with the same key is in the table.</exception>
    public void Add(T item, int hash)
    {
        ArgumentNullException.ThrowIfNull(item);
        if ((Count + 1) * 4L > _slots.Length * 3L)
        {
            Grow();
        }

        var key = keyOf(item);
        var slots = _slots;
        var hashes = _hashes;
        var mask = slots.Length - 1;
        var i = Start(hash);
        while (slots[i].Item is { } occupant)
        {
            if (hashes[i] == hash && comparer.Equals(keyOf(occupant), key))
            {
                throw new ArgumentException("An item with the same key is already in the table.", nameof(item));
            }

            i = (i + 1) & mask;
        }

        slots[i].Item = item;
        hashes[i] = hash;
        Count++;
    }

    /// <summary>
    /// Puts <paramref name="item"/> in place of the item with the same key (the key of a customer's first enrollment
    /// stays when that enrollment is replaced by the next one).
    /// </summary>
    /// <exception cref="KeyNotFoundException">No item has the key.</exception>
    public void Replace(T item)
    {
        ArgumentNullException.ThrowIfNull(item);
        var i = IndexOf(keyOf(item), comparer.GetHashCode(keyOf(item)!));
        if (i < 0)
        {
            throw new KeyNotFoundException("No item with the same key is in the table.");
        }

        _slots[i].Item = item;
    }

    /// <summary>Removes the item with <paramref name="key"/>.</summary>
    /// <returns>Whether there was one.</returns>
    public bool Remove(TKey key)
    {
        var i = IndexOf(key, comparer.GetHashCode(key!));
        if (i < 0)
        {
            return false;
        }

        // Backward shift: each later item of the run whose home slot is not cyclically in (i, j] moves into the hole.
        var slots = _slots;
        var hashes = _hashes;
        var mask = slots.Length - 1;
        var j = i;
        while (true)
        {
            j = (j + 1) & mask;
            if (slots[j].Item is null)
            {
                break;
            }

            var home = Start(hashes[j]);
            var stays = i <= j ? i < home && home <= j : i < home || home <= j;
            if (!stays)
            {
                slots[i] = slots[j];
                hashes[i] = hashes[j];
                i = j;
            }
        }

        slots[i].Item = null;
        hashes[i] = 0;
        Count--;
        return true;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private int IndexOf(TKey key, int hash)
    {
        if (Count == 0)
        {
            return -1;
        }

        var slots = _slots;
        var hashes = _hashes;
        var mask = slots.Length - 1;
        for (var i = Start(hash); ; i = (i + 1) & mask)
        {
            var candidate = slots[i].Item;
            if (candidate is null)
            {
                return -1;
            }

            if (hashes[i] == hash && comparer.Equals(keyOf(candidate), key))
            {
                return i;
            }
        }
    }

    /// <summary>The items, in no particular order (the table must not change during the enumeration).</summary>
    public Enumerator GetEnumerator() => new(_slots);

    // Fibonacci hashing: the top bits of hash × 2^32/φ, so keys whose hashes differ only in high bits still spread.
    private int Start(int hash) => (int)(((uint)hash * 0x9E3779B9u) >> _shift);

    /// <summary>
    /// Makes room for <paramref name="count"/> items at once (a bulk intake): the array grows once to the size it would
    /// reach by adding them one by one, instead of through every size in between (each a new pair of arrays).
    /// </summary>
    public void EnsureCapacity(int count)
    {
        var length = Math.Max(16, _slots.Length);
        while (count * 4L > length * 3L)
        {
            length *= 2;
        }

        if (length > _slots.Length)
        {
            Grow(length);
        }
    }

    private void Grow() => Grow(Math.Max(16, _slots.Length * 2));

    private void Grow(int length)
    {
        var oldSlots = _slots;
        var oldHashes = _hashes;
        var slots = new Slot[length];
        var hashes = new int[length];
        _shift = 32 - System.Numerics.BitOperations.Log2((uint)length);
        var mask = length - 1;
        for (var j = 0; j < oldSlots.Length; j++)
        {
            if (oldSlots[j].Item is { } item)
            {
                var hash = oldHashes[j];
                var i = Start(hash);
                while (slots[i].Item is not null)
                {
                    i = (i + 1) & mask;
                }

                slots[i].Item = item;
                hashes[i] = hash;
            }
        }

        _slots = slots;
        _hashes = hashes;
    }

    /// <summary>Walks the occupied slots.</summary>
    public struct Enumerator(Slot[] slots)
    {
        private int _index = -1;

        public readonly T Current => slots[_index].Item!;

        public bool MoveNext()
        {
            while (++_index < slots.Length)
            {
                if (slots[_index].Item is not null)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>One slot of the table: the item, or null.</summary>
    public struct Slot
    {
        public T? Item;
    }
}
