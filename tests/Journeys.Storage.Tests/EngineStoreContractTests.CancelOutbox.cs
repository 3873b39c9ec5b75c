using Journeys.Messaging;
using Journeys.Model;

namespace Journeys.Storage.Tests;

/// <summary>A cancel takes the matching outbox messages with it (a stopped journey sends nothing more).</summary>
public abstract partial class EngineStoreContractTests
{
    [Fact]
    public async Task Cancel_by_journey_removes_the_journeys_messages_leased_and_held_ones_included_and_counts_each_at_its_node()
    {
        await using var stores = await CreateAsync();
        var held = T0.AddHours(8);

        // a waits at "delay" after a send still held (quiet hours); its message of journey k stays.
        var a = await EnrollAndClaimAsync(stores, Request("j", "a", T0));
        await stores.Enrollments.CommitAsync("engine", [Checkpoint(WaitUntil(a.Enrollment, T0.AddDays(1), "delay"), 1, [JourneyMessage("ja", "j", "a", a.Enrollment.Id, "send", held)])]);
        var ak = await EnrollAndClaimAsync(stores, Request("k", "a", T0));
        await stores.Enrollments.CommitAsync("engine", [Checkpoint(WaitUntil(ak.Enrollment, T0.AddDays(1), "delay"), 1, [JourneyMessage("ka", "k", "a", ak.Enrollment.Id, "send", held)])]);

        // c completed in the commit that queued its message; d's message is leased to a dispatcher.
        var c = await EnrollAndClaimAsync(stores, Request("j", "c", T0));
        await stores.Enrollments.CommitAsync("engine", [Checkpoint(Complete(c.Enrollment, T0), 1, [JourneyMessage("jc", "j", "c", c.Enrollment.Id, "send", held)])]);
        var d = await EnrollAndClaimAsync(stores, Request("j", "d", T0));
        await stores.Enrollments.CommitAsync("engine", [Checkpoint(Complete(d.Enrollment, T0), 1, [JourneyMessage("jd", "j", "d", d.Enrollment.Id, "send", T0)])]);
        Assert.Equal("jd", Assert.Single(await stores.Outbox.ClaimAsync("dispatcher", T0, 10, Lease)).Message.MessageId);

        // e waits at the webhook node for its call's result: one Cancelled there (the enrollment), not two.
        var e = await EnrollAndClaimAsync(stores, Request("j", "e", T0));
        await stores.Enrollments.CommitAsync("engine", [Checkpoint(WaitFor(e.Enrollment, "result") with { CurrentNodeId = "hook" }, 1, [JourneyMessage("je", "j", "e", e.Enrollment.Id, "hook", held)])]);

        var cancelled = await stores.Enrollments.CancelAsync("j", null, null, "journey stopped", T0.AddMinutes(1));

        Assert.Equal(2, cancelled); // a and e; c and d had completed
        var left = await stores.Outbox.ClaimAsync("dispatcher", T0.AddDays(1), 10, Lease);
        Assert.Equal(["ka"], left.Select(m => m.Message.MessageId));
        var statistics = await stores.Statistics.GetAsync("j", 1);
        Assert.Equal(3, statistics.Get("send", StatisticCounter.Cancelled)); // ja, jc, jd
        Assert.Equal(1, statistics.Get("delay", StatisticCounter.Cancelled));
        Assert.Equal(1, statistics.Get("hook", StatisticCounter.Cancelled));
        Assert.Equal(2, statistics.Get(StatisticCounter.Cancelled)); // the journey version counts enrollments only
        Assert.Equal(0, (await stores.Statistics.GetAsync("k", 1)).Get("send", StatisticCounter.Cancelled));

        // The dispatcher that held jd reports a transient failure with a retry: ignored, nothing comes back or counts.
        await stores.Outbox.CompleteAsync("dispatcher", [new OutboxResult("jd", SendResult.Transient("quiet hours"), T0.AddHours(8), [new StatisticDelta("j", 1, "send", StatisticCounter.Failed)])]);
        await stores.Outbox.CompleteAsync("dispatcher", [new OutboxResult("ka", SendResult.Sent, null, [])]);
        Assert.Null(await stores.Outbox.GetNextDueAsync());
        Assert.Empty(await stores.Outbox.ClaimAsync("dispatcher", T0.AddDays(2), 10, Lease));
        Assert.Equal(0, (await stores.Statistics.GetAsync("j", 1)).Get("send", StatisticCounter.Failed));
    }

    [Fact]
    public async Task Cancel_by_customer_or_version_removes_only_the_matching_messages()
    {
        await using var stores = await CreateAsync();
        var due = T0.AddHours(1);
        var a = await EnrollAndClaimAsync(stores, Request("j", "a", T0));
        var b = await EnrollAndClaimAsync(stores, Request("j", "b", T0, version: 2));
        var ak = await EnrollAndClaimAsync(stores, Request("k", "a", T0));
        await stores.Enrollments.CommitAsync("engine", [
            Checkpoint(WaitUntil(a.Enrollment, T0.AddDays(1), "delay"), 1, [JourneyMessage("ja", "j", "a", a.Enrollment.Id, "send", due)]),
            Checkpoint(WaitUntil(b.Enrollment, T0.AddDays(1), "delay"), 1, [JourneyMessage("jb2", "j", "b", b.Enrollment.Id, "send", due, version: 2)]),
            Checkpoint(WaitUntil(ak.Enrollment, T0.AddDays(1), "delay"), 1, [JourneyMessage("ka", "k", "a", ak.Enrollment.Id, "send", due)]),
        ]);

        Assert.Equal(1, await stores.Enrollments.CancelAsync("j", 1, null, "v1 retired", T0));
        Assert.Equal(["jb2", "ka"], (await stores.Outbox.ClaimAsync("dispatcher", due, 10, Lease)).Select(m => m.Message.MessageId).Order(StringComparer.Ordinal));

        Assert.Equal(1, await stores.Enrollments.CancelAsync(null, null, "a", "customer deleted", T0));
        Assert.Equal(1, (await stores.Statistics.GetAsync("k", 1)).Get("send", StatisticCounter.Cancelled));
        await stores.Outbox.CompleteAsync("dispatcher", [new OutboxResult("ka", SendResult.Transient("retry"), due.AddMinutes(1), [])]);
        await stores.Outbox.CompleteAsync("dispatcher", [new OutboxResult("jb2", SendResult.Transient("retry"), due.AddMinutes(1), [])]);
        Assert.Equal(["jb2"], (await stores.Outbox.ClaimAsync("dispatcher", due.AddHours(1), 10, Lease)).Select(m => m.Message.MessageId));
        Assert.Equal(EnrollmentStatus.Waiting, Assert.Single(await stores.Enrollments.GetByCustomerAsync("b")).Status);
    }

    [Fact]
    public async Task Cancel_of_messages_still_queued_keeps_the_order_of_the_others()
    {
        // Messages due now sit in arrival order (the in-memory store keeps them in a queue): removing some from the
        // middle leaves the rest due in the same order.
        await using var stores = await CreateAsync();
        var checkpoints = new List<EnrollmentCheckpoint>();
        for (var i = 0; i < 6; i++)
        {
            var journey = i % 2 == 0 ? "j" : "k";
            var item = await EnrollAndClaimAsync(stores, Request(journey, "c" + i, T0));
            checkpoints.Add(Checkpoint(Complete(item.Enrollment, T0), 1, [JourneyMessage(journey + i, journey, "c" + i, item.Enrollment.Id, "send", T0.AddSeconds(i))]));
        }

        await stores.Enrollments.CommitAsync("engine", checkpoints);
        await stores.Enrollments.CancelAsync("j", null, null, "journey stopped", T0);

        Assert.Equal(T0.AddSeconds(1), await stores.Outbox.GetNextDueAsync());
        Assert.Equal(["k1", "k3", "k5"], (await stores.Outbox.ClaimAsync("dispatcher", T0.AddMinutes(1), 10, Lease)).Select(m => m.Message.MessageId));
        Assert.Equal(3, (await stores.Statistics.GetAsync("j", 1)).Get("send", StatisticCounter.Cancelled));
    }

    protected static OutboxMessage JourneyMessage(string messageId, string journeyId, string customerId, Guid enrollmentId, string nodeId, DateTimeOffset dueAt, int version = 1) =>
        new(new OutboundMessage(messageId, "key:" + messageId, Channel.Email, "campaign", customerId, "body", journeyId, version, nodeId), enrollmentId, dueAt);
}
