using Journeys.Messaging;
using Journeys.Model;

namespace Journeys.Storage.Tests;

/// <summary>A commit that converts an enrollment withdraws its messages that have not gone out (a customer who bought gets no reminder).</summary>
public abstract partial class EngineStoreContractTests
{
    [Fact]
    public async Task Conversion_withdraws_the_enrollments_held_retrying_and_leased_messages_keeps_the_others_and_counts_each_withdrawn_at_its_node()
    {
        await using var stores = await CreateAsync();
        var morning = T0.AddHours(8);
        var at = T0.AddHours(1);

        // a waits at "delay" until `at`, with a message held for quiet hours, one that will wait for a retry and one that
        // a dispatcher will hold; the same customer's enrollment in journey k and customer b's in j have messages too.
        var a = await EnrollAndClaimAsync(stores, Request("j", "a", T0));
        var ak = await EnrollAndClaimAsync(stores, Request("k", "a", T0));
        var b = await EnrollAndClaimAsync(stores, Request("j", "b", T0));
        await stores.Enrollments.CommitAsync("engine", [
            Checkpoint(WaitUntil(a.Enrollment, at, "delay"), a.Enrollment.ConcurrencyToken, [
                JourneyMessage("ja-held", "j", "a", a.Enrollment.Id, "send", morning),
                JourneyMessage("ja-retry", "j", "a", a.Enrollment.Id, "send", T0),
                JourneyMessage("ja-leased", "j", "a", a.Enrollment.Id, "remind", T0),
            ]),
            Checkpoint(WaitUntil(ak.Enrollment, T0.AddDays(1), "delay"), ak.Enrollment.ConcurrencyToken, [JourneyMessage("ka", "k", "a", ak.Enrollment.Id, "send", morning)]),
            Checkpoint(WaitUntil(b.Enrollment, T0.AddDays(1), "delay"), b.Enrollment.ConcurrencyToken, [JourneyMessage("jb", "j", "b", b.Enrollment.Id, "send", morning)]),
        ]);
        Assert.Equal(["ja-leased", "ja-retry"], (await stores.Outbox.ClaimAsync("dispatcher", T0, 10, Lease)).Select(m => m.Message.MessageId).Order(StringComparer.Ordinal));
        await stores.Outbox.CompleteAsync("dispatcher", [new OutboxResult("ja-retry", SendResult.Transient("circuit open"), T0.AddHours(2), [])]);

        // The goal event: a's next claim converts it, and its commit queues one message of its own (kept).
        var claimed = Assert.Single(await stores.Enrollments.ClaimAsync("engine", at, 10, Lease));
        Assert.Equal(a.Enrollment.Id, claimed.Enrollment.Id);
        var applied = await stores.Enrollments.CommitAsync("engine", [
            Checkpoint(Converted(claimed.Enrollment, at, "delay"), claimed.Enrollment.ConcurrencyToken, [JourneyMessage("ja-thanks", "j", "a", a.Enrollment.Id, "thanks", at)]),
        ]);
        Assert.True(Assert.Single(applied));

        // The dispatcher that held ja-leased reports it sent: the result is ignored (no Sent, nothing comes back).
        await stores.Outbox.CompleteAsync("dispatcher", [new OutboxResult("ja-leased", SendResult.Sent, null, [new StatisticDelta("j", 1, "remind", StatisticCounter.Sent)])]);

        var left = await stores.Outbox.ClaimAsync("dispatcher", T0.AddDays(1), 10, Lease);
        Assert.Equal(["ja-thanks", "jb", "ka"], left.Select(m => m.Message.MessageId).Order(StringComparer.Ordinal));
        var statistics = await stores.Statistics.GetAsync("j", 1);
        Assert.Equal(2, statistics.Get("send", StatisticCounter.Withdrawn)); // ja-held, ja-retry
        Assert.Equal(1, statistics.Get("remind", StatisticCounter.Withdrawn)); // ja-leased
        Assert.Equal(0, statistics.Get("thanks", StatisticCounter.Withdrawn));
        Assert.Equal(0, statistics.Get(StatisticCounter.Withdrawn)); // messages count at nodes only
        Assert.Equal(0, statistics.Get("remind", StatisticCounter.Sent));
        Assert.Equal(0, statistics.Get("send", StatisticCounter.Cancelled));
        Assert.Equal(0, (await stores.Statistics.GetAsync("k", 1)).Get("send", StatisticCounter.Withdrawn));
    }

    [Fact]
    public async Task Conversion_withdraws_nothing_when_its_commit_fails_or_its_checkpoint_is_stale()
    {
        await using var stores = await CreateAsync();
        var morning = T0.AddHours(8);
        var at = T0.AddHours(1);
        var a = await EnrollAndClaimAsync(stores, Request("j", "a", T0));
        var b = await EnrollAndClaimAsync(stores, Request("j", "b", T0));
        await stores.Enrollments.CommitAsync("engine", [
            Checkpoint(WaitUntil(a.Enrollment, at, "delay"), a.Enrollment.ConcurrencyToken, [JourneyMessage("ja", "j", "a", a.Enrollment.Id, "send", morning)]),
            Checkpoint(WaitUntil(b.Enrollment, at, "delay"), b.Enrollment.ConcurrencyToken, [JourneyMessage("jb", "j", "b", b.Enrollment.Id, "send", morning)]),
        ]);
        var claimed = await stores.Enrollments.ClaimAsync("engine", at, 10, Lease);
        var ca = Assert.Single(claimed, w => w.Enrollment.CustomerId == "a").Enrollment;
        var cb = Assert.Single(claimed, w => w.Enrollment.CustomerId == "b").Enrollment;

        // b's checkpoint adds a message whose id is pending: the whole commit is refused, a's conversion included.
        await Assert.ThrowsAsync<ArgumentException>(() => stores.Enrollments.CommitAsync("engine", [
            Checkpoint(Converted(ca, at, "delay"), ca.ConcurrencyToken),
            Checkpoint(WaitUntil(cb, T0.AddDays(1), "delay"), cb.ConcurrencyToken, [JourneyMessage("jb", "j", "b", b.Enrollment.Id, "send", morning)]),
        ]).AsTask());

        // A stale token: refused, withdraws nothing.
        Assert.False(Assert.Single(await stores.Enrollments.CommitAsync("engine", [Checkpoint(Converted(ca, at, "delay"), ca.ConcurrencyToken + 5)])));

        Assert.Equal(0, (await stores.Statistics.GetAsync("j", 1)).Get("send", StatisticCounter.Withdrawn));
        Assert.Equal(EnrollmentStatus.Waiting, Assert.Single(await stores.Enrollments.GetByCustomerAsync("a")).Status);

        // The same conversion committed well: now ja goes (and only ja).
        Assert.True(Assert.Single(await stores.Enrollments.CommitAsync("engine", [Checkpoint(Converted(ca, at, "delay"), ca.ConcurrencyToken)])));
        Assert.Equal(["jb"], (await stores.Outbox.ClaimAsync("dispatcher", T0.AddDays(1), 10, Lease)).Select(m => m.Message.MessageId));
        Assert.Equal(1, (await stores.Statistics.GetAsync("j", 1)).Get("send", StatisticCounter.Withdrawn));
    }

    [Fact]
    public async Task Only_a_conversion_withdraws_completing_exiting_or_failing_keeps_the_messages()
    {
        // Completing (a send at the end of a path), exiting or failing withdraws nothing: only a conversion does (g, in
        // the same commit).
        await using var stores = await CreateAsync();
        var morning = T0.AddHours(8);
        var at = T0.AddHours(1);
        var checkpoints = new List<EnrollmentCheckpoint>();
        foreach (var customer in new[] { "c", "e", "f", "g" })
        {
            var item = await EnrollAndClaimAsync(stores, Request("j", customer, T0));
            checkpoints.Add(Checkpoint(WaitUntil(item.Enrollment, at, "delay"), item.Enrollment.ConcurrencyToken, [JourneyMessage("j" + customer, "j", customer, item.Enrollment.Id, "send", morning)]));
        }

        await stores.Enrollments.CommitAsync("engine", checkpoints);
        var ends = new List<EnrollmentCheckpoint>();
        foreach (var item in await stores.Enrollments.ClaimAsync("engine", at, 10, Lease))
        {
            var state = item.Enrollment;
            var ended = state.CustomerId switch
            {
                "c" => Complete(state, at),
                "e" => state with { Status = EnrollmentStatus.Exited, WakeAt = null, EndReason = "exit", UpdatedAt = at },
                "g" => Converted(state, at, "delay"),
                _ => state with { Status = EnrollmentStatus.Failed, WakeAt = null, EndReason = "failed", UpdatedAt = at },
            };
            ends.Add(Checkpoint(ended, state.ConcurrencyToken));
        }

        Assert.All(await stores.Enrollments.CommitAsync("engine", ends), Assert.True);
        Assert.Equal(["jc", "je", "jf"], (await stores.Outbox.ClaimAsync("dispatcher", T0.AddDays(1), 10, Lease)).Select(m => m.Message.MessageId).Order(StringComparer.Ordinal));
        Assert.Equal(1, (await stores.Statistics.GetAsync("j", 1)).Get("send", StatisticCounter.Withdrawn)); // jg
    }

    /// <summary>The claimed state ended as converted by a goal event at <paramref name="nodeId"/>.</summary>
    protected static Enrollment Converted(Enrollment state, DateTimeOffset at, string nodeId) =>
        state with { Status = EnrollmentStatus.Converted, CurrentNodeId = nodeId, WakeAt = null, AwaitedEvent = null, WakeEvents = [], EndReason = "goal:purchase", UpdatedAt = at };
}
