using Journeys.Messaging;
using Journeys.Model;

namespace Journeys.Storage.Tests;

/// <summary>
/// A commit whose checkpoint names nodes (<see cref="EnrollmentCheckpoint.WithdrawNodeIds"/>: a retargeting node left by
/// its conversion event) withdraws the enrollment's messages made at those nodes that have not gone out, and no others:
/// the journey goes on.
/// </summary>
public abstract partial class EngineStoreContractTests
{
    [Fact]
    public async Task A_checkpoint_naming_a_node_withdraws_that_nodes_held_retrying_and_leased_messages_of_its_enrollment_only()
    {
        await using var stores = await CreateAsync();
        var counter = Assert.IsAssignableFrom<IWithdrawalCounter>(stores.Enrollments);
        var morning = T0.AddHours(8);
        var at = T0.AddHours(1);

        // a waits at "retarget" with three reminders not gone out (held for quiet hours, waiting for a retry, held by a
        // dispatcher) and an earlier node's message; the same customer's enrollment in k and b's in j have reminders of a
        // node of the same id.
        var a = await EnrollAndClaimAsync(stores, Request("j", "a", T0));
        var ak = await EnrollAndClaimAsync(stores, Request("k", "a", T0));
        var b = await EnrollAndClaimAsync(stores, Request("j", "b", T0));
        await stores.Enrollments.CommitAsync("engine", [
            Checkpoint(WaitUntil(a.Enrollment, at, "retarget", "purchase"), a.Enrollment.ConcurrencyToken, [
                JourneyMessage("ja-welcome", "j", "a", a.Enrollment.Id, "welcome", morning),
                JourneyMessage("ja-held", "j", "a", a.Enrollment.Id, "retarget", morning),
                JourneyMessage("ja-retry", "j", "a", a.Enrollment.Id, "retarget", T0),
                JourneyMessage("ja-leased", "j", "a", a.Enrollment.Id, "retarget", T0),
            ]),
            Checkpoint(WaitUntil(ak.Enrollment, T0.AddDays(1), "retarget"), ak.Enrollment.ConcurrencyToken, [JourneyMessage("ka", "k", "a", ak.Enrollment.Id, "retarget", morning)]),
            Checkpoint(WaitUntil(b.Enrollment, T0.AddDays(1), "retarget"), b.Enrollment.ConcurrencyToken, [JourneyMessage("jb", "j", "b", b.Enrollment.Id, "retarget", morning)]),
        ]);
        Assert.Equal(["ja-leased", "ja-retry"], (await stores.Outbox.ClaimAsync("dispatcher", T0, 10, TimeSpan.FromHours(2))).Select(m => m.Message.MessageId).Order(StringComparer.Ordinal));
        await stores.Outbox.CompleteAsync("dispatcher", [new OutboxResult("ja-retry", SendResult.Transient("circuit open"), T0.AddHours(2), [])]);
        var before = counter.WithdrawingCommits;

        // The conversion event: a leaves "retarget" for "thanks", whose message (and a new reminder of "retarget" this
        // commit writes, as a loop back to it would) are the commit's own and stay.
        var claimed = Assert.Single(await stores.Enrollments.ClaimAsync("engine", at, 10, Lease));
        var applied = await stores.Enrollments.CommitAsync("engine", [
            Checkpoint(WaitUntil(claimed.Enrollment, T0.AddDays(2), "later"), claimed.Enrollment.ConcurrencyToken, [
                JourneyMessage("ja-thanks", "j", "a", a.Enrollment.Id, "thanks", at),
                JourneyMessage("ja-again", "j", "a", a.Enrollment.Id, "retarget", morning),
            ]) with { WithdrawNodeIds = ["retarget"] },
        ]);
        Assert.True(Assert.Single(applied));
        Assert.Equal(before + 1, counter.WithdrawingCommits);

        // The dispatcher that held ja-leased reports it sent: the result is ignored (no Sent, nothing comes back).
        await stores.Outbox.CompleteAsync("dispatcher", [new OutboxResult("ja-leased", SendResult.Sent, null, [new StatisticDelta("j", 1, "retarget", StatisticCounter.Sent)])]);
        Assert.Equal([false], await stores.Outbox.RenewLeasesAsync("dispatcher", ["ja-leased"], at, Lease));

        var left = await stores.Outbox.ClaimAsync("dispatcher", T0.AddDays(1), 10, Lease);
        Assert.Equal(["ja-again", "ja-thanks", "ja-welcome", "jb", "ka"], left.Select(m => m.Message.MessageId).Order(StringComparer.Ordinal));
        var statistics = await stores.Statistics.GetAsync("j", 1);
        Assert.Equal(3, statistics.Get("retarget", StatisticCounter.Withdrawn));
        Assert.Equal(0, statistics.Get("welcome", StatisticCounter.Withdrawn));
        Assert.Equal(0, statistics.Get("thanks", StatisticCounter.Withdrawn));
        Assert.Equal(0, statistics.Get("retarget", StatisticCounter.Sent));
        Assert.Equal(0, statistics.Get("retarget", StatisticCounter.Cancelled));
        Assert.Equal(0, (await stores.Statistics.GetAsync("k", 1)).Get("retarget", StatisticCounter.Withdrawn));
        Assert.Equal(EnrollmentStatus.Waiting, Assert.Single(await stores.Enrollments.GetByCustomerAsync("a"), e => e.JourneyId == "j").Status);
    }

    [Fact]
    public async Task A_checkpoint_naming_a_node_withdraws_nothing_when_its_commit_fails_or_it_is_stale_and_only_a_withdrawal_advances_the_counter()
    {
        await using var stores = await CreateAsync();
        var counter = Assert.IsAssignableFrom<IWithdrawalCounter>(stores.Enrollments);
        var morning = T0.AddHours(8);
        var at = T0.AddHours(1);
        var a = await EnrollAndClaimAsync(stores, Request("j", "a", T0));
        var b = await EnrollAndClaimAsync(stores, Request("j", "b", T0));
        var c = await EnrollAndClaimAsync(stores, Request("j", "c", T0));
        await stores.Enrollments.CommitAsync("engine", [
            Checkpoint(WaitUntil(a.Enrollment, at, "retarget"), a.Enrollment.ConcurrencyToken, [JourneyMessage("ja", "j", "a", a.Enrollment.Id, "retarget", morning)]),
            Checkpoint(WaitUntil(b.Enrollment, at, "retarget"), b.Enrollment.ConcurrencyToken, [JourneyMessage("jb", "j", "b", b.Enrollment.Id, "retarget", T0)]),
            Checkpoint(WaitUntil(c.Enrollment, at, "retarget"), c.Enrollment.ConcurrencyToken, [JourneyMessage("jc", "j", "c", c.Enrollment.Id, "send", morning)]),
        ]);
        var before = counter.WithdrawingCommits;
        var claimed = await stores.Enrollments.ClaimAsync("engine", at, 10, Lease);
        var ca = Assert.Single(claimed, w => w.Enrollment.CustomerId == "a").Enrollment;
        var cb = Assert.Single(claimed, w => w.Enrollment.CustomerId == "b").Enrollment;
        var cc = Assert.Single(claimed, w => w.Enrollment.CustomerId == "c").Enrollment;
        var leaveA = Checkpoint(WaitUntil(ca, T0.AddDays(1), "later"), ca.ConcurrencyToken) with { WithdrawNodeIds = ["retarget"] };

        // b's checkpoint adds a message whose id is pending: the whole commit is refused, a's withdrawal included.
        await Assert.ThrowsAsync<ArgumentException>(() => stores.Enrollments.CommitAsync("engine", [
            leaveA,
            Checkpoint(WaitUntil(cb, T0.AddDays(1), "later"), cb.ConcurrencyToken, [JourneyMessage("jb", "j", "b", b.Enrollment.Id, "retarget", morning)]),
        ]).AsTask());

        // A node id that is null or empty: refused, naming the checkpoint and the place, before anything is written.
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => stores.Enrollments.CommitAsync("engine", [leaveA with { WithdrawNodeIds = ["retarget", ""] }]).AsTask());
        Assert.Contains("index 0", refused.Message, StringComparison.Ordinal);
        Assert.Contains("WithdrawNodeIds", refused.Message, StringComparison.Ordinal);

        // A stale token: refused, withdraws nothing.
        Assert.False(Assert.Single(await stores.Enrollments.CommitAsync("engine", [leaveA with { ExpectedToken = ca.ConcurrencyToken + 5 }])));

        Assert.Equal(0, (await stores.Statistics.GetAsync("j", 1)).Get("retarget", StatisticCounter.Withdrawn));
        Assert.Equal(before, counter.WithdrawingCommits);

        // c names a node it has no message of, and b converts after its message went out: applied, nothing withdrawn, the
        // counter stays.
        Assert.Equal("jb", Assert.Single(await stores.Outbox.ClaimAsync("dispatcher", at, 10, Lease)).Message.MessageId);
        await stores.Outbox.CompleteAsync("dispatcher", [new OutboxResult("jb", SendResult.Sent, null, [])]);
        Assert.Equal([true, true], await stores.Enrollments.CommitAsync("engine", [
            Checkpoint(WaitUntil(cc, T0.AddDays(1), "later"), cc.ConcurrencyToken) with { WithdrawNodeIds = ["retarget"] },
            Checkpoint(Converted(cb, at, "retarget"), cb.ConcurrencyToken),
        ]));
        Assert.Equal(before, counter.WithdrawingCommits);

        // a's commit made well: now ja goes (and only ja), and the counter moves.
        Assert.True(Assert.Single(await stores.Enrollments.CommitAsync("engine", [leaveA])));
        Assert.Equal(before + 1, counter.WithdrawingCommits);
        Assert.Equal(1, (await stores.Statistics.GetAsync("j", 1)).Get("retarget", StatisticCounter.Withdrawn));
        Assert.Equal(0, (await stores.Statistics.GetAsync("j", 1)).Get("send", StatisticCounter.Withdrawn));
    }
}
