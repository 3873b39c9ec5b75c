using Journeys.Messaging;

namespace Journeys.Storage.Tests;

/// <summary>
/// A commit with an <see cref="OutboxHandoff"/> writes its due messages leased to the committing owner, exactly as if
/// that owner had claimed them at the hand-off's time: nobody else claims them before the lease expires, the owner
/// renews and settles them, and after expiry anyone claims them.
/// </summary>
public abstract partial class EngineStoreContractTests
{
    [Fact]
    public async Task A_handoff_leases_the_due_messages_to_the_committing_owner_and_leaves_later_ones_pending()
    {
        await using var stores = await CreateAsync();
        await CommitWithHandoffAsync(stores, new OutboxHandoff(T0, Lease), Message("now", T0), Message("earlier", T0.AddMinutes(-1)), Message("later", T0.AddMinutes(10)));

        // Leased messages are not pending: only the later one is due next, and nobody claims the handed-over ones.
        Assert.Equal(T0.AddMinutes(10), await stores.Outbox.GetNextDueAsync());
        Assert.Empty(await stores.Outbox.ClaimAsync("d2", T0.AddSeconds(30), 10, Lease));
        Assert.Empty(await stores.Outbox.ClaimAsync("engine", T0.AddSeconds(30), 10, Lease));

        await stores.Outbox.CompleteAsync("engine", [
            new OutboxResult("now", SendResult.Sent, null, [new StatisticDelta("j", 1, "send", StatisticCounter.Sent)]),
            new OutboxResult("earlier", SendResult.Permanent("bounced"), null, [new StatisticDelta("j", 1, "send", StatisticCounter.Failed)]),
        ]);

        var statistics = await stores.Statistics.GetAsync("j", 1);
        Assert.Equal(1, statistics.Get("send", StatisticCounter.Sent));
        Assert.Equal(1, statistics.Get("send", StatisticCounter.Failed));
        Assert.Equal(["later"], (await stores.Outbox.ClaimAsync("d2", T0.AddMinutes(10), 10, Lease)).Select(m => m.Message.MessageId));
        Assert.Null(await stores.Outbox.GetNextDueAsync());
    }

    [Fact]
    public async Task A_handed_over_message_is_claimed_by_another_dispatcher_once_its_lease_expires_and_the_late_result_is_ignored()
    {
        await using var stores = await CreateAsync();
        await CommitWithHandoffAsync(stores, new OutboxHandoff(T0, Lease), Message("m1", T0));

        Assert.Empty(await stores.Outbox.ClaimAsync("d2", T0 + Lease - TimeSpan.FromSeconds(1), 10, Lease));
        var retaken = Assert.Single(await stores.Outbox.ClaimAsync("d2", T0 + Lease, 10, Lease));
        await stores.Outbox.CompleteAsync("engine", [new OutboxResult("m1", SendResult.Sent, null, [new StatisticDelta("j", 1, "send", StatisticCounter.Sent)])]);

        Assert.Equal("m1", retaken.Message.MessageId);
        Assert.Equal("key:m1", retaken.Message.IdempotencyKey);
        Assert.Equal(0, retaken.Attempts);
        Assert.Equal(0, (await stores.Statistics.GetAsync("j", 1)).Get("send", StatisticCounter.Sent));
        await stores.Outbox.CompleteAsync("d2", [new OutboxResult("m1", SendResult.Sent, null, [new StatisticDelta("j", 1, "send", StatisticCounter.Sent)])]);
        Assert.Equal(1, (await stores.Statistics.GetAsync("j", 1)).Get("send", StatisticCounter.Sent));
        Assert.Null(await stores.Outbox.GetNextDueAsync());
    }

    [Fact]
    public async Task A_handed_over_message_lease_is_renewed_by_its_owner_only()
    {
        await using var stores = await CreateAsync();
        await CommitWithHandoffAsync(stores, new OutboxHandoff(T0, Lease), Message("m1", T0), Message("m2", T0));

        Assert.Equal([false, false], await stores.Outbox.RenewLeasesAsync("d2", ["m1", "m2"], T0.AddSeconds(40), Lease));
        Assert.Equal([true, true], await stores.Outbox.RenewLeasesAsync("engine", ["m1", "m2"], T0.AddSeconds(40), Lease));
        await stores.Outbox.CompleteAsync("engine", [new OutboxResult("m2", SendResult.Sent, null, [])]);

        // Renewed until T0 + 40 s + lease: not claimable at the original expiry, claimable at the renewed one.
        Assert.Empty(await stores.Outbox.ClaimAsync("d2", T0 + Lease, 10, Lease));
        Assert.Equal([true, false], await stores.Outbox.RenewLeasesAsync("engine", ["m1", "m2"], T0.AddSeconds(90), Lease));
        Assert.Empty(await stores.Outbox.ClaimAsync("d2", T0.AddSeconds(90) + Lease - TimeSpan.FromSeconds(1), 10, Lease));
        Assert.Equal(["m1"], (await stores.Outbox.ClaimAsync("d2", T0.AddSeconds(90) + Lease, 10, Lease)).Select(m => m.Message.MessageId));
    }

    [Fact]
    public async Task A_handed_over_message_settled_with_a_retry_is_pending_again_for_any_dispatcher()
    {
        await using var stores = await CreateAsync();
        await CommitWithHandoffAsync(stores, new OutboxHandoff(T0, Lease), Message("m1", T0));

        await stores.Outbox.CompleteAsync("engine", [new OutboxResult("m1", SendResult.Transient("quiet hours"), T0.AddMinutes(5), [])]);

        Assert.Equal(T0.AddMinutes(5), await stores.Outbox.GetNextDueAsync());
        var retry = Assert.Single(await stores.Outbox.ClaimAsync("d2", T0.AddMinutes(5), 10, Lease));
        Assert.Equal(1, retry.Attempts);
        Assert.Equal(T0.AddMinutes(5), retry.DueAt);
    }

    [Fact]
    public async Task A_refused_checkpoint_hands_over_nothing_and_an_applied_one_in_the_same_batch_does()
    {
        await using var stores = await CreateAsync();
        var stale = await EnrollAndClaimAsync(stores, Request("j", "stale", T0));
        var fresh = await EnrollAndClaimAsync(stores, Request("j", "fresh", T0));

        var applied = await stores.Enrollments.CommitAsync(
            "engine",
            [
                Checkpoint(Complete(stale.Enrollment, T0), stale.Enrollment.ConcurrencyToken + 5, [Message("refused", T0, "stale")]),
                Checkpoint(Complete(fresh.Enrollment, T0), fresh.Enrollment.ConcurrencyToken, [Message("handed", T0, "fresh")]),
            ],
            new OutboxHandoff(T0, Lease));

        Assert.Equal([false, true], applied);
        Assert.Equal([false, true], await stores.Outbox.RenewLeasesAsync("engine", ["refused", "handed"], T0.AddSeconds(10), Lease));
        Assert.Equal(["handed"], (await stores.Outbox.ClaimAsync("d2", T0.AddDays(1), 10, Lease)).Select(m => m.Message.MessageId));
    }

    [Fact]
    public void A_handoff_without_a_positive_lease_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new OutboxHandoff(T0, TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => new OutboxHandoff(T0, TimeSpan.FromSeconds(-1)));
        Assert.Equal(T0 + Lease, new OutboxHandoff(T0, Lease).ExpiresAt);
    }

    /// <summary>Messages committed by owner "engine" with <paramref name="handoff"/>.</summary>
    [Fact]
    public async Task A_cancel_takes_handed_over_messages_from_their_owner_so_renewing_them_answers_false()
    {
        // The engine's dispatcher asks this (RenewLeasesAsync) before sending what it took before a stop in its process.
        await using var stores = await CreateAsync();
        var a = await EnrollAndClaimAsync(stores, Request("j", "a", T0));
        var b = await EnrollAndClaimAsync(stores, Request("k", "b", T0));
        Assert.Equal(
            [true, true],
            await stores.Enrollments.CommitAsync(
                "engine",
                [
                    Checkpoint(Complete(a.Enrollment, T0), a.Enrollment.ConcurrencyToken, [JourneyMessage("ja", "j", "a", a.Enrollment.Id, "send", T0)]),
                    Checkpoint(Complete(b.Enrollment, T0), b.Enrollment.ConcurrencyToken, [JourneyMessage("kb", "k", "b", b.Enrollment.Id, "send", T0)]),
                ],
                new OutboxHandoff(T0, Lease)));

        await stores.Enrollments.CancelAsync("j", null, null, "journey stopped", T0.AddSeconds(1));

        Assert.Equal([false, true], await stores.Outbox.RenewLeasesAsync("engine", ["ja", "kb"], T0.AddSeconds(2), Lease));
    }

    private static async Task CommitWithHandoffAsync(StoreSet stores, OutboxHandoff handoff, params OutboxMessage[] messages)
    {
        var customer = "handoff-" + Guid.NewGuid().ToString("N");
        var item = await EnrollAndClaimAsync(stores, Request("outbox", customer, T0));
        Assert.True(Assert.Single(await stores.Enrollments.CommitAsync("engine", [Checkpoint(Complete(item.Enrollment, T0), item.Enrollment.ConcurrencyToken, messages)], handoff)));
    }
}
