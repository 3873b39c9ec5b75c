namespace Journeys.Messaging;

/// <summary>
/// An <see cref="IIdempotencyKeyStore"/> in process memory, thread-safe, bounded in size and in time: a key is
/// forgotten after <see cref="TimeToLive"/>, and when <see cref="Capacity"/> keys are held the oldest is forgotten
/// first. It protects one process only and is lost on restart: use a durable store across processes or restarts.
/// </summary>
public sealed class InMemoryIdempotencyKeyStore : IIdempotencyKeyStore
{
    /// <summary>The default capacity: 100,000 keys.</summary>
    public const int DefaultCapacity = 100_000;

    private readonly Dictionary<string, LinkedListNode<Entry>> _keys = new(StringComparer.Ordinal);

    // Insertion order is expiry order, since every key lives for the same time.
    private readonly LinkedList<Entry> _order = new();
    private readonly TimeProvider _timeProvider;
    private readonly Lock _lock = new();

    /// <summary>Creates a store holding up to <see cref="DefaultCapacity"/> keys for 24 hours.</summary>
    public InMemoryIdempotencyKeyStore()
        : this(DefaultCapacity, TimeSpan.FromHours(24), TimeProvider.System)
    {
    }

    /// <summary>Creates a store.</summary>
    /// <param name="capacity">How many keys are held at most (positive).</param>
    /// <param name="timeToLive">How long a key is remembered (positive).</param>
    /// <param name="timeProvider">The clock; <see langword="null"/> for the system clock.</param>
    /// <exception cref="ArgumentOutOfRangeException">The capacity or the time to live is not positive.</exception>
    public InMemoryIdempotencyKeyStore(int capacity, TimeSpan timeToLive, TimeProvider? timeProvider = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeToLive, TimeSpan.Zero);
        Capacity = capacity;
        TimeToLive = timeToLive;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>How many keys are held at most.</summary>
    public int Capacity { get; }

    /// <summary>How long a key is remembered.</summary>
    public TimeSpan TimeToLive { get; }

    /// <summary>How many keys are held now (expired ones included until the next reservation removes them).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _keys.Count;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> TryReserveAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        cancellationToken.ThrowIfCancellationRequested();
        var now = _timeProvider.GetUtcNow();
        lock (_lock)
        {
            RemoveExpired(now);
            return new(TryAdd(key, now));
        }
    }

    /// <inheritdoc />
    public ValueTask ReleaseAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_lock)
        {
            Release(key);
        }

        return default;
    }

    /// <inheritdoc />
    /// <remarks>Under one lock for the whole call; nothing is reserved when a key is null or the call is cancelled.</remarks>
    public ValueTask<int> TryReserveManyAsync(ReadOnlyMemory<string> keys, Memory<bool> reserved, CancellationToken cancellationToken)
    {
        if (reserved.Length < keys.Length)
        {
            throw new ArgumentException($"{reserved.Length} result slots for {keys.Length} keys: there must be one per key.", nameof(reserved));
        }

        var span = keys.Span;
        for (var i = 0; i < span.Length; i++)
        {
            if (span[i] is null)
            {
                throw new ArgumentNullException(nameof(keys), $"The key at index {i} of {span.Length} is null.");
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        var now = _timeProvider.GetUtcNow();
        var flags = reserved.Span;
        var count = 0;
        lock (_lock)
        {
            RemoveExpired(now);
            for (var i = 0; i < span.Length; i++)
            {
                flags[i] = TryAdd(span[i], now);
                count += flags[i] ? 1 : 0;
            }
        }

        return new(count);
    }

    /// <inheritdoc />
    /// <remarks>Under one lock for the whole call.</remarks>
    public ValueTask ReleaseManyAsync(ReadOnlyMemory<string> keys, CancellationToken cancellationToken)
    {
        var span = keys.Span;
        lock (_lock)
        {
            foreach (var key in span)
            {
                if (key is not null)
                {
                    Release(key);
                }
            }
        }

        return default;
    }

    private bool TryAdd(string key, DateTimeOffset now)
    {
        if (_keys.ContainsKey(key))
        {
            return false;
        }

        if (_keys.Count >= Capacity)
        {
            var oldest = _order.First!;
            _keys.Remove(oldest.Value.Key);
            _order.RemoveFirst();
        }

        // A time to live past the calendar's end (TimeSpan.MaxValue for "forever") keeps the key until capacity evicts it.
        var expiresAt = TimeToLive < DateTimeOffset.MaxValue - now ? now + TimeToLive : DateTimeOffset.MaxValue;
        _keys.Add(key, _order.AddLast(new Entry(key, expiresAt)));
        return true;
    }

    private void Release(string key)
    {
        if (_keys.Remove(key, out var node))
        {
            _order.Remove(node);
        }
    }

    private void RemoveExpired(DateTimeOffset now)
    {
        while (_order.First is { } first && first.Value.ExpiresAt <= now)
        {
            _keys.Remove(first.Value.Key);
            _order.RemoveFirst();
        }
    }

    private readonly record struct Entry(string Key, DateTimeOffset ExpiresAt);
}
