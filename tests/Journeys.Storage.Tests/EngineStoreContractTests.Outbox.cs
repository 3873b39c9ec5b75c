using Journeys.Messaging;

namespace Journeys.Storage.Tests;

public abstract partial class EngineStoreContractTests
{
    [Fact]
    public async Task Outbox_claims_due_messages_in_due_order_and_leases_them()
    {
        await using var stores = await CreateAsync();
        await AddMessagesAsync(stores, Message("later", T0.AddMinutes(10)), Message("now", T0), Message("soon", T0.AddMinutes(5)));

        Assert.Equal(T0, await stores.Outbox.GetNextDueAsync());
        var first = await stores.Outbox.ClaimAsync("d1", T0.AddMinutes(5), 10, Lease);

        Assert.Equal(["now", "soon"], first.Select(m => m.Message.MessageId));
        Assert.Equal(T0.AddMinutes(10), await stores.Outbox.GetNextDueAsync());
        Assert.Empty(await stores.Outbox.ClaimAsync("d2", T0.AddMinutes(5), 10, Lease));
        Assert.Empty(await stores.Outbox.ClaimAsync("d1", T0.AddMinutes(5), 10, Lease));
        await stores.Outbox.CompleteAsync("d1", [new OutboxResult("now", SendResult.Sent, null, []), new OutboxResult("soon", SendResult.Sent, null, [])]);
        Assert.Equal(["later"], (await stores.Outbox.ClaimAsync("d2", T0.AddMinutes(10), 10, Lease)).Select(m => m.Message.MessageId));
    }

    [Fact]
    public async Task Outbox_claims_in_due_order_when_messages_arrive_out_of_order_across_several_claims()
    {
        await using var stores = await CreateAsync();
        await AddMessagesAsync(
            stores,
            Message("a", T0.AddMinutes(1)),
            Message("b", T0.AddMinutes(3)),
            Message("c", T0.AddMinutes(2)),
            Message("d", T0.AddMinutes(4)),
            Message("e", T0));

        Assert.Equal(T0, await stores.Outbox.GetNextDueAsync());
        Assert.Equal(["e", "a"], (await stores.Outbox.ClaimAsync("d1", T0.AddMinutes(10), 2, Lease)).Select(m => m.Message.MessageId));
        Assert.Equal(T0.AddMinutes(2), await stores.Outbox.GetNextDueAsync());
        Assert.Equal(["c", "b"], (await stores.Outbox.ClaimAsync("d1", T0.AddMinutes(10), 2, Lease)).Select(m => m.Message.MessageId));
        await AddMessagesAsync(stores, Message("f", T0.AddMinutes(5)), Message("g", T0.AddMinutes(1)));
        Assert.Equal(["g", "d", "f"], (await stores.Outbox.ClaimAsync("d1", T0.AddMinutes(10), 10, Lease)).Select(m => m.Message.MessageId));
        Assert.Null(await stores.Outbox.GetNextDueAsync());
    }

    [Fact]
    public async Task Outbox_lease_expiry_hands_the_message_to_another_dispatcher_and_ignores_the_late_result()
    {
        await using var stores = await CreateAsync();
        await AddMessagesAsync(stores, Message("m1", T0));
        Assert.Single(await stores.Outbox.ClaimAsync("d1", T0, 10, Lease));

        var retaken = Assert.Single(await stores.Outbox.ClaimAsync("d2", T0 + Lease, 10, Lease));
        await stores.Outbox.CompleteAsync("d1", [new OutboxResult("m1", SendResult.Sent, null, [new StatisticDelta("j", 1, "send", StatisticCounter.Sent)])]);

        Assert.Equal("m1", retaken.Message.MessageId);
        Assert.Equal(0, (await stores.Statistics.GetAsync("j", 1)).Get("send", StatisticCounter.Sent));
        await stores.Outbox.CompleteAsync("d2", [new OutboxResult("m1", SendResult.Sent, null, [new StatisticDelta("j", 1, "send", StatisticCounter.Sent)])]);
        Assert.Equal(1, (await stores.Statistics.GetAsync("j", 1)).Get("send", StatisticCounter.Sent));
        Assert.Null(await stores.Outbox.GetNextDueAsync());
    }

    [Fact]
    public async Task Outbox_complete_removes_sent_and_permanently_failed_messages_and_counts_them()
    {
        await using var stores = await CreateAsync();
        await AddMessagesAsync(stores, Message("sent", T0), Message("failed", T0));
        await stores.Outbox.ClaimAsync("d1", T0, 10, Lease);

        await stores.Outbox.CompleteAsync("d1", [
            new OutboxResult("sent", SendResult.Sent, null, [new StatisticDelta("j", 1, "send", StatisticCounter.Sent)]),
            new OutboxResult("failed", SendResult.Permanent("bounced"), null, [new StatisticDelta("j", 1, "send", StatisticCounter.Failed)]),
        ]);

        Assert.Null(await stores.Outbox.GetNextDueAsync());
        Assert.Empty(await stores.Outbox.ClaimAsync("d1", T0.AddDays(1), 10, Lease));
        var statistics = await stores.Statistics.GetAsync("j", 1);
        Assert.Equal(1, statistics.Get("send", StatisticCounter.Sent));
        Assert.Equal(1, statistics.Get("send", StatisticCounter.Failed));
    }

    [Fact]
    public async Task Outbox_retry_keeps_the_message_due_at_the_retry_time_with_one_more_attempt()
    {
        await using var stores = await CreateAsync();
        await AddMessagesAsync(stores, Message("m1", T0));
        await stores.Outbox.ClaimAsync("d1", T0, 10, Lease);

        await stores.Outbox.CompleteAsync("d1", [new OutboxResult("m1", SendResult.Transient("timeout"), T0.AddMinutes(2), [])]);

        Assert.Equal(T0.AddMinutes(2), await stores.Outbox.GetNextDueAsync());
        Assert.Empty(await stores.Outbox.ClaimAsync("d1", T0.AddMinutes(2).AddTicks(-1), 10, Lease));
        var retry = Assert.Single(await stores.Outbox.ClaimAsync("d2", T0.AddMinutes(2), 10, Lease));
        Assert.Equal(1, retry.Attempts);
        Assert.Equal(T0.AddMinutes(2), retry.DueAt);
        Assert.Equal("key:m1", retry.Message.IdempotencyKey);
    }

    [Fact]
    public async Task Outbox_next_due_is_null_when_empty()
    {
        await using var stores = await CreateAsync();
        Assert.Null(await stores.Outbox.GetNextDueAsync());
        Assert.Empty(await stores.Outbox.ClaimAsync("d1", T0, 10, Lease));
    }

    /// <summary>Messages enter the outbox only through a checkpoint.</summary>
    protected static async Task AddMessagesAsync(StoreSet stores, params OutboxMessage[] messages)
    {
        var customer = "outbox-" + Guid.NewGuid().ToString("N");
        var item = await EnrollAndClaimAsync(stores, Request("outbox", customer, T0));
        Assert.True(Assert.Single(await stores.Enrollments.CommitAsync("engine", [Checkpoint(Complete(item.Enrollment, T0), 1, messages)])));
    }
}
