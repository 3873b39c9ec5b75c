using Journeys.Messaging;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Tests.Messaging;

public sealed class IdempotencyTests
{
    [Fact]
    public async Task A_second_delivery_with_the_same_key_is_a_duplicate()
    {
        var inner = new RecordingChannelSender();
        var sender = new IdempotentChannelSender(inner, new InMemoryIdempotencyKeyStore());

        Assert.Equal(SendOutcome.Sent, (await sender.SendAsync(MessageFactory.Create("k1", "m1"), default)).Outcome);
        Assert.Equal(SendOutcome.Duplicate, (await sender.SendAsync(MessageFactory.Create("k1", "m2"), default)).Outcome);
        Assert.Equal(SendOutcome.Sent, (await sender.SendAsync(MessageFactory.Create("k2", "m3"), default)).Outcome);

        Assert.Equal(["m1", "m3"], inner.Messages.Select(m => m.MessageId));
        Assert.Equal(2, inner.Attempts);
    }

    [Theory]
    [InlineData(SendOutcome.TransientFailure)]
    [InlineData(SendOutcome.PermanentFailure)]
    public async Task A_failed_attempt_releases_the_key(SendOutcome failure)
    {
        var inner = new RecordingChannelSender();
        if (failure == SendOutcome.TransientFailure)
        {
            inner.FailNextTransiently(1);
        }
        else
        {
            inner.FailNextPermanently(1);
        }

        var sender = new IdempotentChannelSender(inner, new InMemoryIdempotencyKeyStore());
        Assert.Equal(failure, (await sender.SendAsync(MessageFactory.Create("k"), default)).Outcome);
        Assert.Equal(SendOutcome.Sent, (await sender.SendAsync(MessageFactory.Create("k"), default)).Outcome);
        Assert.Equal(SendOutcome.Duplicate, (await sender.SendAsync(MessageFactory.Create("k"), default)).Outcome);
        Assert.Equal(2, inner.Attempts);
    }

    [Fact]
    public async Task An_exception_releases_the_key_and_propagates()
    {
        var store = new InMemoryIdempotencyKeyStore();
        var sender = new IdempotentChannelSender(new ThrowingSender(), store);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await sender.SendAsync(MessageFactory.Create("k"), default));
        Assert.True(await store.TryReserveAsync("k", default));
    }

    [Fact]
    public async Task Concurrent_sends_of_one_key_reach_the_inner_sender_once()
    {
        var gate = new GatedSender();
        var sender = new IdempotentChannelSender(gate, new InMemoryIdempotencyKeyStore());
        var sends = Enumerable.Range(0, 16)
            .Select(i => Task.Run(async () => await sender.SendAsync(MessageFactory.Create("same", $"m{i}"), default)))
            .ToArray();

        // The one send that reserved the key is held at the gate; every other one must end as a duplicate meanwhile.
        await gate.Entered.Task;
        var pending = sends.ToList();
        while (pending.Count > 1)
        {
            var done = await Task.WhenAny(pending);
            Assert.Equal(SendOutcome.Duplicate, (await done).Outcome);
            pending.Remove(done);
        }

        gate.Release.SetResult();
        var results = await Task.WhenAll(sends);
        Assert.Equal(1, gate.Calls);
        Assert.Single(results, r => r.Outcome == SendOutcome.Sent);
        Assert.Equal(15, results.Count(r => r.Outcome == SendOutcome.Duplicate));
    }

    [Fact]
    public async Task Keys_expire_after_the_time_to_live()
    {
        var time = new FakeTimeProvider();
        var store = new InMemoryIdempotencyKeyStore(10, TimeSpan.FromHours(1), time);
        Assert.True(await store.TryReserveAsync("k", default));
        time.Advance(TimeSpan.FromMinutes(59));
        Assert.False(await store.TryReserveAsync("k", default));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await store.TryReserveAsync("k", default));
    }

    [Fact]
    public async Task The_oldest_key_is_forgotten_at_capacity()
    {
        var store = new InMemoryIdempotencyKeyStore(2, TimeSpan.FromHours(1), new FakeTimeProvider());
        Assert.True(await store.TryReserveAsync("a", default));
        Assert.True(await store.TryReserveAsync("b", default));
        Assert.True(await store.TryReserveAsync("c", default));
        Assert.Equal(2, store.Count);
        Assert.False(await store.TryReserveAsync("b", default));
        Assert.False(await store.TryReserveAsync("c", default));
        Assert.True(await store.TryReserveAsync("a", default));
    }

    [Fact]
    public async Task A_time_to_live_of_TimeSpan_MaxValue_remembers_keys_instead_of_failing_every_reservation()
    {
        // The constructor takes any positive time to live; "forever" must not make every send throw (the expiry is
        // now + time to live, which does not fit a DateTimeOffset).
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 5, 4, 10, 0, 0, TimeSpan.Zero));
        var store = new InMemoryIdempotencyKeyStore(10, TimeSpan.MaxValue, time);
        var sender = new IdempotentChannelSender(new RecordingChannelSender(), store);

        Assert.Equal(SendOutcome.Sent, (await sender.SendAsync(MessageFactory.Create("k"), default)).Outcome);
        time.Advance(TimeSpan.FromDays(3650));
        Assert.Equal(SendOutcome.Duplicate, (await sender.SendAsync(MessageFactory.Create("k"), default)).Outcome);

        var reserved = new bool[2];
        Assert.Equal(1, await store.TryReserveManyAsync(new[] { "k", "k2" }, reserved, default));
        Assert.Equal([false, true], reserved);
    }

    [Fact]
    public async Task Release_of_an_unknown_key_is_harmless()
    {
        var store = new InMemoryIdempotencyKeyStore();
        await store.ReleaseAsync("nope", default);
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void Invalid_store_settings_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new InMemoryIdempotencyKeyStore(0, TimeSpan.FromHours(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new InMemoryIdempotencyKeyStore(1, TimeSpan.Zero));
    }

    private sealed class ThrowingSender : IChannelSender
    {
        public ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("boom");
    }

    private sealed class GatedSender : IChannelSender
    {
        private int _calls;

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Calls => Volatile.Read(ref _calls);

        public async ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            Entered.TrySetResult();
            await Release.Task;
            return SendResult.Sent;
        }
    }
}
