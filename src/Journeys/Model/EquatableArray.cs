using System.Collections;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;

namespace Journeys.Model;

/// <summary>
/// An immutable array compared by its elements, so that model records that hold lists
/// (nodes, branches, bindings) are equal when their contents are equal.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
[CollectionBuilder(typeof(EquatableArray), nameof(EquatableArray.Create))]
public readonly struct EquatableArray<T> : IEquatable<EquatableArray<T>>, IReadOnlyList<T>
{
    private readonly ImmutableArray<T> _items;

    /// <summary>Creates an array over the given items (a default array is treated as empty).</summary>
    /// <param name="items">The items.</param>
    public EquatableArray(ImmutableArray<T> items) => _items = items;

    /// <summary>An empty array.</summary>
    public static EquatableArray<T> Empty => default;

    /// <summary>The items as an <see cref="ImmutableArray{T}"/> (never default).</summary>
    public ImmutableArray<T> AsImmutableArray() => _items.IsDefault ? [] : _items;

    /// <summary>The number of items.</summary>
    public int Count => _items.IsDefault ? 0 : _items.Length;

    /// <summary>True when there are no items.</summary>
    public bool IsEmpty => Count == 0;

    /// <summary>The item at <paramref name="index"/>.</summary>
    /// <param name="index">A zero-based index.</param>
    public T this[int index] => AsImmutableArray()[index];

    /// <summary>Converts an immutable array.</summary>
    /// <param name="items">The items.</param>
    public static implicit operator EquatableArray<T>(ImmutableArray<T> items) => new(items);

    /// <summary>Converts an array (copied).</summary>
    /// <param name="items">The items.</param>
    public static implicit operator EquatableArray<T>(T[]? items) => new(items is null ? [] : [.. items]);

    /// <summary>Compares two arrays item by item.</summary>
    /// <param name="left">The first array.</param>
    /// <param name="right">The second array.</param>
    public static bool operator ==(EquatableArray<T> left, EquatableArray<T> right) => left.Equals(right);

    /// <summary>Compares two arrays item by item.</summary>
    /// <param name="left">The first array.</param>
    /// <param name="right">The second array.</param>
    public static bool operator !=(EquatableArray<T> left, EquatableArray<T> right) => !left.Equals(right);

    /// <inheritdoc />
    public bool Equals(EquatableArray<T> other)
    {
        var a = AsImmutableArray();
        var b = other.AsImmutableArray();
        if (a.Length != b.Length)
        {
            return false;
        }

        var comparer = EqualityComparer<T>.Default;
        for (var i = 0; i < a.Length; i++)
        {
            if (!comparer.Equals(a[i], b[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is EquatableArray<T> other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = default(HashCode);
        foreach (var item in AsImmutableArray())
        {
            hash.Add(item);
        }

        return hash.ToHashCode();
    }

    /// <summary>Returns an enumerator over the items.</summary>
    public ImmutableArray<T>.Enumerator GetEnumerator() => AsImmutableArray().GetEnumerator();

    IEnumerator<T> IEnumerable<T>.GetEnumerator() => ((IEnumerable<T>)AsImmutableArray()).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => ((IEnumerable)AsImmutableArray()).GetEnumerator();

    /// <inheritdoc />
    public override string ToString() => $"[{string.Join(", ", AsImmutableArray())}]";
}

/// <summary>Creates <see cref="EquatableArray{T}"/> values (also used by collection expressions).</summary>
public static class EquatableArray
{
    /// <summary>Creates an array from a span of items.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="items">The items (copied).</param>
    public static EquatableArray<T> Create<T>(ReadOnlySpan<T> items) => new(ImmutableArray.Create(items));

    /// <summary>Creates an array from a sequence of items.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="items">The items (copied).</param>
    public static EquatableArray<T> ToEquatableArray<T>(this IEnumerable<T> items) => new([.. items]);
}
