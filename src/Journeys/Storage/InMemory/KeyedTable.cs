using System.Diagnostics.CodeAnalysis;

namespace Journeys.Storage.InMemory;

/// <summary>
/// A set of items found by a key the item itself holds (open addressing, linear probing, no removal): one array slot
/// per item and no entry record, where a <see cref="Dictionary{TKey, TValue}"/> keeps the key, the value, the hash and
/// a link per item and grows its arrays to the next prime above twice the count. The array stays between three eighths
/// and three quarters full. Items are never removed (the in-memory stores keep what they index for their lifetime).
/// </summary>
/// <param name="keyOf">The item's key; it must not change while the item is in the table.</param>
/// <param name="comparer">The key comparer.</param>
internal sealed class KeyedTable<TKey, T>(Func<T, TKey> keyOf, IEqualityComparer<TKey> comparer)
    where T : class
{
    private T?[] _slots = [];
    private int _shift = 32;

    /// <summary>The number of items.</summary>
    public int Count { get; private set; }

    /// <summary>Finds the item with <paramref name="key"/>.</summary>
    public bool TryGetValue(TKey key, [MaybeNullWhen(false)] out T item)
    {
        if (Count > 0)
        {
            var mask = _slots.Length - 1;
            for (var i = Start(key); ; i = (i + 1) & mask)
            {
                var candidate = _slots[i];
                if (candidate is null)
                {
                    break;
                }

                if (comparer.Equals(keyOf(candidate), key))
                {
                    item = candidate;
                    return true;
                }
            }
        }

        item = null;
        return false;
    }

    /// <summary>Whether an item has <paramref name="key"/>.</summary>
    public bool ContainsKey(TKey key) => TryGetValue(key, out _);

    /// <summary>Adds an item whose key is not in the table yet.</summary>
    /// <exception cref="ArgumentException">An item with the same key is in the table.</exception>
    public void Add(T item)
    {
        ArgumentNullException.ThrowIfNull(item);
        if ((Count + 1) * 4L > _slots.Length * 3L)
        {
            Grow();
        }

        var key = keyOf(item);
        var mask = _slots.Length - 1;
        var i = Start(key);
        while (_slots[i] is { } occupant)
        {
            if (comparer.Equals(keyOf(occupant), key))
            {
                throw new ArgumentException("An item with the same key is already in the table.", nameof(item));
            }

            i = (i + 1) & mask;
        }

        _slots[i] = item;
        Count++;
    }

    /// <summary>The items, in no particular order (the table must not change during the enumeration).</summary>
    public Enumerator GetEnumerator() => new(_slots);

    // Fibonacci hashing: the top bits of hash × 2^32/φ, so keys whose hashes differ only in high bits still spread.
    private int Start(TKey key) => (int)(((uint)comparer.GetHashCode(key!) * 0x9E3779B9u) >> _shift);

    private void Grow()
    {
        var old = _slots;
        var length = Math.Max(16, old.Length * 2);
        _slots = new T?[length];
        _shift = 32 - System.Numerics.BitOperations.Log2((uint)length);
        var mask = length - 1;
        foreach (var item in old)
        {
            if (item is not null)
            {
                var i = Start(keyOf(item));
                while (_slots[i] is not null)
                {
                    i = (i + 1) & mask;
                }

                _slots[i] = item;
            }
        }
    }

    /// <summary>Walks the occupied slots.</summary>
    public struct Enumerator(T?[] slots)
    {
        private int _index = -1;

        public readonly T Current => slots[_index]!;

        public bool MoveNext()
        {
            while (++_index < slots.Length)
            {
                if (slots[_index] is not null)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
