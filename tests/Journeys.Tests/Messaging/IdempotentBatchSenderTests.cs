using Journeys.Messaging;

namespace Journeys.Tests.Messaging;

/// <summary>
/// <see cref="IdempotentBatchChannelSender"/>: each message of a batch is treated as the single decorator treats a send
/// (reserve first, duplicate not passed on, release on failure), and the reserved ones go to the inner sender in one call.
/// </summary>
public sealed class IdempotentBatchSenderTests
{
    private static readonly SendResult Unanswered = SendResult.Transient("no result reported");

    [Fact]
    public void Wrap_keeps_the_batch_form_of_a_batch_sender_and_the_single_form_of_a_single_one()
    {
        var store = new InMemoryIdempotencyKeyStore();
        var batch = Assert.IsType<IdempotentBatchChannelSender>(IdempotentChannelSender.Wrap(new ScriptedBatchSender(7), store));
        Assert.Equal(7, batch.MaxBatchSize);
        Assert.IsType<IdempotentChannelSender>(IdempotentChannelSender.Wrap(new RecordingChannelSender(), store));
        Assert.Throws<ArgumentNullException>(() => IdempotentChannelSender.Wrap(null!, store));
        Assert.Throws<ArgumentNullException>(() => IdempotentChannelSender.Wrap(new RecordingChannelSender(), null!));
    }

    [Fact]
    public async Task Duplicates_inside_one_batch_and_across_batches_are_not_passed_on_and_results_keep_the_callers_order()
    {
        var inner = new ScriptedBatchSender(10);
        var store = new CountingKeyStore();
        var sender = new IdempotentBatchChannelSender(inner, store);

        Assert.Equal(
            [SendOutcome.Sent, SendOutcome.Sent, SendOutcome.Duplicate, SendOutcome.Sent],
            await SendAsync(sender, ("a", "m0"), ("b", "m1"), ("a", "m2"), ("c", "m3")));
        Assert.Equal(
            [SendOutcome.Duplicate, SendOutcome.Sent, SendOutcome.Duplicate],
            await SendAsync(sender, ("c", "m4"), ("d", "m5"), ("b", "m6")));

        Assert.Equal([["m0", "m1", "m3"], ["m5"]], inner.Calls);
        Assert.Equal(0, inner.SingleCalls);
        Assert.Equal((2, 0), (store.ReserveManyCalls, store.ReserveCalls));
        Assert.Empty(store.Released);
    }

    [Fact]
    public async Task A_batch_of_duplicates_only_makes_no_inner_call()
    {
        var inner = new ScriptedBatchSender(10);
        var store = new InMemoryIdempotencyKeyStore();
        var sender = new IdempotentBatchChannelSender(inner, store);
        Assert.True(await store.TryReserveAsync("a", default));
        Assert.True(await store.TryReserveAsync("b", default));

        Assert.Equal([SendOutcome.Duplicate, SendOutcome.Duplicate, SendOutcome.Duplicate], await SendAsync(sender, ("a", "m0"), ("b", "m1"), ("a", "m2")));
        Assert.Empty(inner.Calls);
    }

    [Fact]
    public async Task Only_the_keys_of_the_messages_that_failed_are_released()
    {
        // b fails transiently, c permanently, d is left unanswered (its slot keeps the caller's transient start value).
        var inner = new ScriptedBatchSender(10, (call, m) => call > 0 ? SendResult.Sent : m.MessageId switch
        {
            "m1" => SendResult.Transient("busy"),
            "m2" => SendResult.Permanent("invalid"),
            "m3" => null,
            _ => SendResult.Sent,
        });
        var store = new CountingKeyStore();
        var sender = new IdempotentBatchChannelSender(inner, store);
        Assert.True(await store.TryReserveAsync("x", default));

        var results = new SendResult[5];
        Array.Fill(results, Unanswered);
        await sender.SendBatchAsync(Messages(("a", "m0"), ("b", "m1"), ("c", "m2"), ("d", "m3"), ("x", "m4")), results, default);

        Assert.Equal(
            [SendResult.Sent, SendResult.Transient("busy"), SendResult.Permanent("invalid"), Unanswered, SendResult.Duplicate],
            results);
        Assert.Equal(["b", "c", "d"], store.Released);
        Assert.All(store.ReleaseTokens, t => Assert.False(t.CanBeCanceled));

        Assert.Equal(
            [SendOutcome.Duplicate, SendOutcome.Sent, SendOutcome.Sent, SendOutcome.Sent, SendOutcome.Duplicate],
            await SendAsync(sender, ("a", "m5"), ("b", "m6"), ("c", "m7"), ("d", "m8"), ("x", "m9")));
        Assert.Equal([["m0", "m1", "m2", "m3"], ["m6", "m7", "m8"]], inner.Calls);
    }

    [Fact]
    public async Task A_throwing_inner_call_releases_every_key_the_call_reserved_and_propagates()
    {
        // It reports the first message sent, then throws: the call failed as a whole, so that key is released too.
        var inner = new SentThenThrowingSender();
        var store = new CountingKeyStore();
        var sender = new IdempotentBatchChannelSender(inner, store);
        Assert.True(await store.TryReserveAsync("x", default));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await SendAsync(sender, ("a", "m0"), ("x", "m1"), ("b", "m2")));

        Assert.Equal("gateway exploded", error.Message);
        Assert.Equal(["a", "b"], store.Released);
        Assert.True(await store.TryReserveAsync("a", default));
        Assert.True(await store.TryReserveAsync("b", default));
        Assert.False(await store.TryReserveAsync("x", default));

        // Without duplicates the inner call writes into the caller's slots: "c" reported sent is released all the same.
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await SendAsync(sender, ("c", "m3"), ("d", "m4")));
        Assert.Equal(["a", "b", "c", "d"], store.Released);
        Assert.True(await store.TryReserveAsync("c", default));
    }

    [Fact]
    public async Task A_cancelled_inner_call_releases_the_keys_with_a_token_that_cannot_be_cancelled()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var inner = new ScriptedBatchSender(10, before: async (_, token) =>
        {
            entered.SetResult();
            await Task.Delay(Timeout.Infinite, token);
        });
        var store = new CountingKeyStore();
        var sender = new IdempotentBatchChannelSender(inner, store);
        using var cancel = new CancellationTokenSource();

        var send = sender.SendBatchAsync(Messages(("a", "m0"), ("b", "m1")), new SendResult[2], cancel.Token).AsTask();
        await entered.Task;
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);
        Assert.Equal(["a", "b"], store.Released);
        Assert.All(store.ReleaseTokens, t => Assert.False(t.CanBeCanceled));
        Assert.True(await store.TryReserveAsync("a", default));
    }

    [Fact]
    public async Task A_batch_with_a_null_message_is_refused_before_any_key_is_reserved()
    {
        var inner = new ScriptedBatchSender(10);
        var store = new CountingKeyStore();
        var sender = new IdempotentBatchChannelSender(inner, store);

        var error = await Assert.ThrowsAsync<ArgumentException>(async () =>
            await sender.SendBatchAsync(new[] { MessageFactory.Create("a"), null! }, new SendResult[2], default));
        Assert.Contains("index 1", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, store.ReserveManyCalls);
        Assert.Empty(inner.Calls);
        await Assert.ThrowsAsync<ArgumentException>(async () => await sender.SendBatchAsync(Messages(("a", "m0")), Memory<SendResult>.Empty, default));
    }

    [Fact]
    public async Task The_single_send_of_the_batch_decorator_is_idempotent_too()
    {
        var inner = new ScriptedBatchSender(10);
        var sender = new IdempotentBatchChannelSender(inner, new InMemoryIdempotencyKeyStore());
        Assert.Equal(SendOutcome.Sent, (await sender.SendAsync(MessageFactory.Create("k", "m0"), default)).Outcome);
        Assert.Equal(SendOutcome.Duplicate, (await sender.SendAsync(MessageFactory.Create("k", "m1"), default)).Outcome);
        Assert.Equal(SendOutcome.Duplicate, (await SendAsync(sender, ("k", "m2"))).Single());
        Assert.Equal(1, inner.SingleCalls);
        Assert.Empty(inner.Calls);
    }

    [Fact]
    public async Task The_stores_default_batch_reserve_reserves_in_order_and_releases_what_it_reserved_when_it_throws()
    {
        var store = new SingleKeyStore { FailOn = "boom" };
        IIdempotencyKeyStore asInterface = store;
        var reserved = new bool[4];

        Assert.Equal(2, await asInterface.TryReserveManyAsync(new[] { "a", "b", "a", "c" }.AsMemory(0, 3), reserved, default));
        Assert.Equal([true, true, false, false], reserved);

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await asInterface.TryReserveManyAsync(new[] { "d", "e", "boom" }, new bool[3], default));
        Assert.Equal(["a", "b"], store.Keys.Order());

        await asInterface.ReleaseManyAsync(new[] { "a", "b" }, default);
        Assert.Empty(store.Keys);
        await Assert.ThrowsAsync<ArgumentException>(async () => await asInterface.TryReserveManyAsync(new[] { "a" }, Memory<bool>.Empty, default));
    }

    [Fact]
    public async Task The_in_memory_stores_batch_reserve_matches_reserving_one_by_one()
    {
        var store = new InMemoryIdempotencyKeyStore(3, TimeSpan.FromHours(1));
        Assert.True(await store.TryReserveAsync("a", default));
        var reserved = new bool[4];

        Assert.Equal(3, await store.TryReserveManyAsync(new[] { "a", "b", "b", "c", "d" }.AsMemory(1, 4), reserved, default));
        Assert.Equal([true, false, true, true], reserved);

        // At capacity 3 the oldest key ("a") was forgotten for "d", as TryReserveAsync would have.
        Assert.Equal(3, store.Count);
        Assert.True(await store.TryReserveAsync("a", default));

        // "a" took the place of "b", the oldest; releasing "c" and "d" leaves "a" alone.
        await store.ReleaseManyAsync(new[] { "c", "d", "unknown" }, default);
        Assert.Equal(1, store.Count);
        Assert.False(await store.TryReserveAsync("a", default));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await store.TryReserveManyAsync(new[] { "e", null! }, new bool[2], default));
        await Assert.ThrowsAsync<ArgumentException>(async () => await store.TryReserveManyAsync(new[] { "e" }, Memory<bool>.Empty, default));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.TryReserveManyAsync(new[] { "e" }, new bool[1], new CancellationToken(true)));
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public async Task A_slot_the_store_leaves_unwritten_is_not_taken_for_reserved()
    {
        // The first batch reserves every key (the rented flags array then holds true flags); the store then answers the
        // next batch without writing any flag: none of its messages was reserved, so none may reach the inner sender.
        var inner = new ScriptedBatchSender(10);
        var store = new SilentAfterFirstKeyStore();
        var sender = new IdempotentBatchChannelSender(inner, store);
        Assert.Equal([SendOutcome.Sent, SendOutcome.Sent, SendOutcome.Sent], await SendAsync(sender, ("a", "m0"), ("b", "m1"), ("c", "m2")));

        Assert.Equal([SendOutcome.Duplicate, SendOutcome.Duplicate, SendOutcome.Duplicate], await SendAsync(sender, ("d", "m3"), ("e", "m4"), ("f", "m5")));
        Assert.Equal([["m0", "m1", "m2"]], inner.Calls);
    }

    private static OutboundMessage[] Messages(params (string Key, string Id)[] messages) =>
        [.. messages.Select(m => MessageFactory.Create(m.Key, m.Id))];

    private static async Task<SendOutcome[]> SendAsync(IdempotentBatchChannelSender sender, params (string Key, string Id)[] messages)
    {
        var results = new SendResult[messages.Length];
        Array.Fill(results, Unanswered);
        await sender.SendBatchAsync(Messages(messages), results, default);
        return [.. results.Select(r => r.Outcome)];
    }

    /// <summary>The in-memory store, counting its calls and recording the released keys and the release tokens.</summary>
    private sealed class CountingKeyStore : IIdempotencyKeyStore
    {
        private readonly InMemoryIdempotencyKeyStore _inner = new();

        public int ReserveCalls { get; private set; }

        public int ReserveManyCalls { get; private set; }

        public List<string> Released { get; } = [];

        public List<CancellationToken> ReleaseTokens { get; } = [];

        public ValueTask<bool> TryReserveAsync(string key, CancellationToken cancellationToken)
        {
            ReserveCalls++;
            return _inner.TryReserveAsync(key, cancellationToken);
        }

        public ValueTask ReleaseAsync(string key, CancellationToken cancellationToken)
        {
            Released.Add(key);
            ReleaseTokens.Add(cancellationToken);
            return _inner.ReleaseAsync(key, cancellationToken);
        }

        public ValueTask<int> TryReserveManyAsync(ReadOnlyMemory<string> keys, Memory<bool> reserved, CancellationToken cancellationToken)
        {
            ReserveManyCalls++;
            return _inner.TryReserveManyAsync(keys, reserved, cancellationToken);
        }

        public ValueTask ReleaseManyAsync(ReadOnlyMemory<string> keys, CancellationToken cancellationToken)
        {
            Released.AddRange(keys.ToArray());
            ReleaseTokens.Add(cancellationToken);
            return _inner.ReleaseManyAsync(keys, cancellationToken);
        }
    }

    private sealed class SentThenThrowingSender : IBatchChannelSender
    {
        public int MaxBatchSize => 10;

        public ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken) => new(SendResult.Sent);

        public ValueTask SendBatchAsync(ReadOnlyMemory<OutboundMessage> messages, Memory<SendResult> results, CancellationToken cancellationToken)
        {
            results.Span[0] = SendResult.Sent;
            throw new InvalidOperationException("gateway exploded");
        }
    }

    /// <summary>Reserves the first batch's keys; later batch calls return without writing a flag (a careless custom store).</summary>
    private sealed class SilentAfterFirstKeyStore : IIdempotencyKeyStore
    {
        private int _calls;

        public ValueTask<bool> TryReserveAsync(string key, CancellationToken cancellationToken) => new(true);

        public ValueTask ReleaseAsync(string key, CancellationToken cancellationToken) => default;

        public ValueTask<int> TryReserveManyAsync(ReadOnlyMemory<string> keys, Memory<bool> reserved, CancellationToken cancellationToken)
        {
            if (_calls++ > 0)
            {
                return new(0);
            }

            reserved.Span[..keys.Length].Fill(true);
            return new(keys.Length);
        }
    }

    /// <summary>A store with the two single-key methods only (the batch ones are the interface's defaults); throws on one key.</summary>
    private sealed class SingleKeyStore : IIdempotencyKeyStore
    {
        public HashSet<string> Keys { get; } = [];

        public string? FailOn { get; init; }

        public ValueTask<bool> TryReserveAsync(string key, CancellationToken cancellationToken) =>
            key == FailOn ? throw new InvalidOperationException("store down") : new(Keys.Add(key));

        public ValueTask ReleaseAsync(string key, CancellationToken cancellationToken)
        {
            Keys.Remove(key);
            return default;
        }
    }
}
