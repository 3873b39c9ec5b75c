using Journeys.Messaging;
using Journeys.Model;
using Journeys.Storage;
using Journeys.Storage.InMemory;

namespace Journeys.Tests.Storage;

public sealed class InMemoryEngineStoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private static EnrollmentRequest Request(Guid id, string customerId) =>
        new(id, "j", 1, customerId, "start", T0, EntryRules.Default, EquatableArray<string>.Empty);

    [Fact]
    public async Task Enroll_refuses_a_repeated_or_existing_id_writing_nothing_and_the_next_call_is_unaffected()
    {
        var store = new InMemoryEngineStore(new InMemoryCustomerStore());
        var repeated = Guid.NewGuid();

        // Repeated within the call: refused before anything is written (the store checks ids on a scratch set).
        var twice = await Assert.ThrowsAsync<ArgumentException>(async () => await store.EnrollAsync([Request(repeated, "c1"), Request(repeated, "c2")]));
        Assert.Contains("used twice in the batch (index 1)", twice.Message, StringComparison.Ordinal);
        Assert.Empty(await store.GetByCustomerAsync("c1"));
        Assert.Empty(await store.GetByCustomerAsync("c2"));

        // The failed call left nothing behind in the scratch set: the same id is accepted by the next call.
        var created = Assert.Single(await store.EnrollAsync([Request(repeated, "c1")]));
        Assert.Equal(new EnrollmentOutcome(EnrollmentOutcomeKind.Created, repeated), created);

        // Already in the store: refused, nothing of the call written (the new id before it included).
        var fresh = Guid.NewGuid();
        var existing = await Assert.ThrowsAsync<ArgumentException>(async () => await store.EnrollAsync([Request(fresh, "c3"), Request(repeated, "c4")]));
        Assert.Contains($"Enrollment id {repeated} already exists", existing.Message, StringComparison.Ordinal);
        Assert.Empty(await store.GetByCustomerAsync("c3"));
        Assert.Empty(await store.GetByCustomerAsync("c4"));

        Assert.Equal(EnrollmentOutcomeKind.Created, Assert.Single(await store.EnrollAsync([Request(fresh, "c3")])).Kind);
    }

    [Fact]
    public async Task Commit_applies_each_accepted_checkpoint_to_its_own_enrollment_around_refused_ones()
    {
        var store = new InMemoryEngineStore(new InMemoryCustomerStore());
        string[] customers = ["c1", "c2", "c3", "c4"];
        await store.EnrollAsync([.. customers.Select(c => Request(Guid.NewGuid(), c))]);
        var claimed = await store.ClaimAsync("owner", T0, 10, TimeSpan.FromMinutes(1));
        Assert.Equal(4, claimed.Count);

        // c2's token is stale and c4 appears twice (the second is stale too): the entries found by the checks must
        // line up with the checkpoints that were accepted, not with their positions in the batch.
        var byCustomer = claimed.ToDictionary(i => i.Enrollment.CustomerId);
        EnrollmentCheckpoint Moved(string customerId, long tokenOffset = 0)
        {
            var state = byCustomer[customerId].Enrollment;
            return new EnrollmentCheckpoint(
                state with { CurrentNodeId = "next-" + customerId, Status = EnrollmentStatus.Waiting, WakeAt = T0.AddDays(1), Visit = 1 },
                state.ConcurrencyToken + tokenOffset,
                [],
                [],
                []);
        }

        var applied = await store.CommitAsync("owner", [Moved("c1"), Moved("c2", tokenOffset: 5), Moved("c3"), Moved("c4"), Moved("c4")], null);

        Assert.Equal(new[] { true, false, true, true, false }, applied);
        foreach (var customer in customers)
        {
            var enrollment = Assert.Single(await store.GetByCustomerAsync(customer));
            if (customer == "c2")
            {
                Assert.Equal("start", enrollment.CurrentNodeId);
                Assert.Equal(EnrollmentStatus.Active, enrollment.Status);
                Assert.Equal(1, enrollment.ConcurrencyToken);
            }
            else
            {
                Assert.Equal("next-" + customer, enrollment.CurrentNodeId);
                Assert.Equal(EnrollmentStatus.Waiting, enrollment.Status);
                Assert.Equal(T0.AddDays(1), enrollment.WakeAt);
                Assert.Equal(2, enrollment.ConcurrencyToken);
            }
        }
    }

    // A store with the enrollments of c1 and c2, both claimed by "owner".
    private static async Task<(InMemoryEngineStore Store, Enrollment First, Enrollment Second)> TwoClaimedAsync()
    {
        var store = new InMemoryEngineStore(new InMemoryCustomerStore());
        await store.EnrollAsync([Request(Guid.NewGuid(), "c1"), Request(Guid.NewGuid(), "c2")]);
        var claimed = await store.ClaimAsync("owner", T0, 10, TimeSpan.FromMinutes(1));
        return (store, claimed[0].Enrollment, claimed[1].Enrollment);
    }

    private static EnrollmentCheckpoint Checkpoint(Enrollment state, params OutboxMessage[] messages) =>
        new(state with { Status = EnrollmentStatus.Completed, CurrentNodeId = null }, state.ConcurrencyToken, messages, [], []);

    private static OutboxMessage Message(string messageId, Guid enrollmentId) =>
        new(new OutboundMessage(messageId, "key:" + messageId, Channel.Email, "campaign", "c1", "body", "j", 1, "send"), enrollmentId, T0);

    [Fact]
    public async Task Commit_refusing_a_repeated_or_pending_message_id_leaves_no_id_reserved_and_the_next_commit_is_unaffected()
    {
        var (store, first, second) = await TwoClaimedAsync();
        IOutboxStore outbox = store;

        // Repeated within the batch, in the second checkpoint: the ids the first checkpoint reserved go again.
        var repeated = await Assert.ThrowsAsync<ArgumentException>(async () => await store.CommitAsync(
            "owner",
            [Checkpoint(first, Message("a", first.Id), Message("b", first.Id)), Checkpoint(second, Message("c", second.Id), Message("b", second.Id))], null));
        Assert.Contains("adds outbox message 'b', which is already pending; nothing was written", repeated.Message, StringComparison.Ordinal);
        Assert.Empty(await outbox.ClaimAsync("dispatcher", T0, 10, TimeSpan.FromMinutes(1)));
        Assert.Equal(EnrollmentStatus.Active, (await store.GetByCustomerAsync("c1"))[0].Status);

        // The same ids are free for the next commit, and its messages are claimable.
        Assert.Equal([true], await store.CommitAsync("owner", [Checkpoint(first, Message("a", first.Id), Message("b", first.Id))], null));
        Assert.Equal(["a", "b"], (await outbox.ClaimAsync("dispatcher", T0, 10, TimeSpan.FromMinutes(1))).Select(m => m.Message.MessageId));

        // Pending in the store: refused, and the other new id of the batch is not left behind.
        var pending = await Assert.ThrowsAsync<ArgumentException>(async () => await store.CommitAsync("owner", [Checkpoint(second, Message("d", second.Id), Message("a", second.Id))], null));
        Assert.Contains("adds outbox message 'a', which is already pending", pending.Message, StringComparison.Ordinal);
        Assert.Equal([true], await store.CommitAsync("owner", [Checkpoint(second, Message("d", second.Id))], null));
        Assert.Equal(["d"], (await outbox.ClaimAsync("dispatcher", T0, 10, TimeSpan.FromMinutes(1))).Select(m => m.Message.MessageId));

        // A result from an owner that does not hold the message leaves it in place for the one that does.
        await outbox.CompleteAsync("someone-else", [new OutboxResult("d", SendResult.Sent, null, [])]);
        Assert.Equal([true], await outbox.RenewLeasesAsync("dispatcher", ["d"], T0, TimeSpan.FromMinutes(2)));
        await outbox.CompleteAsync("dispatcher", [new OutboxResult("d", SendResult.Sent, null, [])]);
        Assert.Equal([false], await outbox.RenewLeasesAsync("dispatcher", ["d"], T0, TimeSpan.FromMinutes(2)));
    }

    [Fact]
    public async Task An_engine_send_is_one_message_with_its_id_given_as_a_string_pending_completed_and_renewed_by_that_id()
    {
        var (store, first, second) = await TwoClaimedAsync();
        IOutboxStore outbox = store;
        OutboxMessage EngineSend(Guid enrollment, int visit) =>
            new(new OutboundMessage(enrollment, visit, Channel.Email, "campaign", "c1", "body", "j", 1, "send"), enrollment, T0);
        var id = $"{first.Id:N}/send/3";

        Assert.Equal([true], await store.CommitAsync("owner", [Checkpoint(first, EngineSend(first.Id, 3), EngineSend(first.Id, 4))], null));

        // Its id given as a string is the same message: refused while it is pending.
        var pending = await Assert.ThrowsAsync<ArgumentException>(async () => await store.CommitAsync("owner", [Checkpoint(second, Message(id, second.Id))], null));
        Assert.Contains($"adds outbox message '{id}', which is already pending", pending.Message, StringComparison.Ordinal);

        var taken = await outbox.ClaimAsync("dispatcher", T0, 10, TimeSpan.FromMinutes(1));
        Assert.Equal([id, $"{first.Id:N}/send/4"], taken.Select(m => m.Message.MessageId));
        Assert.Equal([true, false], await outbox.RenewLeasesAsync("dispatcher", [id, $"{first.Id:N}/send/5"], T0, TimeSpan.FromMinutes(2)));

        // Completed by its id: gone, and the id is free again; the other send is completed by the message itself.
        await outbox.CompleteAsync("dispatcher", [new OutboxResult(id, SendResult.Sent, null, [])]);
        Assert.Equal([false, true], await outbox.RenewLeasesAsync("dispatcher", [id, $"{first.Id:N}/send/4"], T0, TimeSpan.FromMinutes(2)));
        store.Complete("dispatcher", [new OutboxOutcome(taken[1].Message, SendResult.Sent, null, [])]);
        Assert.Equal([false], await outbox.RenewLeasesAsync("dispatcher", [$"{first.Id:N}/send/4"], T0, TimeSpan.FromMinutes(2)));
        Assert.Equal([true], await store.CommitAsync("owner", [Checkpoint(second, Message(id, second.Id))], null));
        Assert.Equal([id], (await outbox.ClaimAsync("dispatcher", T0, 10, TimeSpan.FromMinutes(1))).Select(m => m.Message.MessageId));
    }

    [Fact]
    public async Task Expired_leases_come_back_in_lease_expiry_then_creation_order_whether_leased_in_order_or_not()
    {
        // Leases taken in (expiry, creation) order sit in a queue, the others in a heap: the expiry sweep must merge
        // both in that one order, which is the order the expired enrollments are claimed again.
        var store = new InMemoryEngineStore(new InMemoryCustomerStore());
        string[] customers = ["c0", "c1", "c2", "c3", "c4", "c5"];
        foreach (var customer in customers)
        {
            await store.EnrollAsync([Request(Guid.NewGuid(), customer)]);
        }

        async Task<string[]> Claim(DateTimeOffset now) =>
            [.. (await store.ClaimAsync("o", now, 10, TimeSpan.FromMinutes(1))).Select(i => i.Enrollment.CustomerId)];
        async Task<Guid> Id(string customer) => (await store.GetByCustomerAsync(customer))[0].Id;

        Assert.Equal(customers, await Claim(T0)); // all expire at T0+1m
        Assert.Equal([true, true], await store.RenewLeasesAsync("o", [await Id("c1"), await Id("c3")], T0, TimeSpan.FromMinutes(3))); // T0+3m, after the others
        Assert.Equal([true], await store.RenewLeasesAsync("o", [await Id("c4")], T0, TimeSpan.FromMinutes(2))); // T0+2m, before c1 and c3
        Assert.Equal(["c0", "c2", "c5"], await Claim(T0.AddMinutes(1))); // leased again until T0+2m, before c1 and c3
        Assert.Equal(["c0", "c2", "c4", "c5"], await Claim(T0.AddMinutes(2))); // until T0+3m, as c1 and c3
        Assert.Equal(customers, await Claim(T0.AddMinutes(3))); // c1, c3, c4 and c5 from the queue, c0 and c2 from the heap
    }

    [Fact]
    public async Task Expired_outbox_leases_come_back_whether_leased_in_expiry_order_or_renewed_out_of_it()
    {
        // Leases taken in expiry order sit in a queue, the others in a heap; a completion takes a message out of either.
        // The expiry sweep must find every expired lease in both, and only those, and a completed one never.
        var (store, first, _) = await TwoClaimedAsync();
        IOutboxStore outbox = store;
        string[] ids = ["m0", "m1", "m2", "m3", "m4", "m5"];
        Assert.Equal([true], await store.CommitAsync("owner", [Checkpoint(first, [.. ids.Select(id => Message(id, first.Id))])], null));

        async Task<string[]> Claim(DateTimeOffset now) =>
            [.. (await outbox.ClaimAsync("dispatcher", now, 10, TimeSpan.FromMinutes(1))).Select(m => m.Message.MessageId)];

        Assert.Equal(ids, await Claim(T0)); // all until T0+1m, in the queue
        Assert.Equal([true, true], await outbox.RenewLeasesAsync("dispatcher", ["m1", "m3"], T0, TimeSpan.FromMinutes(3))); // T0+3m: the queue's tail
        Assert.Equal([true], await outbox.RenewLeasesAsync("dispatcher", ["m4"], T0, TimeSpan.FromMinutes(2))); // T0+2m, before the tail: the heap
        store.Complete("dispatcher", [new OutboxOutcome(Message("m2", first.Id).Message, SendResult.Sent, null, [])]); // from the queue's middle
        Assert.Empty(await Claim(T0.AddSeconds(59)));
        Assert.Equal(["m0", "m5"], await Claim(T0.AddMinutes(1))); // leased again until T0+2m: the heap
        Assert.Equal(["m0", "m4", "m5"], await Claim(T0.AddMinutes(2))); // until T0+3m: the queue, after m1 and m3
        await outbox.CompleteAsync("dispatcher", [new OutboxResult("m4", SendResult.Sent, null, [])]);
        Assert.Equal(["m0", "m1", "m3", "m5"], await Claim(T0.AddMinutes(3)));
        Assert.Equal([false, true, true, true, false, true], await outbox.RenewLeasesAsync("dispatcher", ["m2", "m0", "m1", "m3", "m4", "m5"], T0.AddMinutes(3), TimeSpan.FromMinutes(1)));
        Assert.Null(await outbox.GetNextDueAsync());
    }

    [Fact]
    public async Task The_engines_claim_leases_what_the_stores_claim_would_and_the_two_share_the_leases()
    {
        // The dispatcher's claim returns the messages without records: same order, same leases, same expiry sweep.
        var (store, first, second) = await TwoClaimedAsync();
        IOutboxStore outbox = store;
        Assert.Equal([true, true], await store.CommitAsync("owner", [Checkpoint(first, Message("a", first.Id), Message("b", first.Id)), Checkpoint(second, Message("c", second.Id))], null));

        Assert.Equal(["a", "b"], store.ClaimMessages("dispatcher", T0, 2, TimeSpan.FromMinutes(1)).Select(m => m.MessageId));
        Assert.Equal(["c"], (await outbox.ClaimAsync("other", T0, 10, TimeSpan.FromMinutes(2))).Select(m => m.Message.MessageId));
        Assert.Empty(store.ClaimMessages("dispatcher", T0.AddSeconds(59), 10, TimeSpan.FromMinutes(1)));
        Assert.Equal([true, true, false], await outbox.RenewLeasesAsync("dispatcher", ["a", "b", "c"], T0, TimeSpan.FromMinutes(1)));

        // Expired: a and b come back to whoever claims; c, leased longer, does not.
        var again = await outbox.ClaimAsync("other", T0.AddMinutes(1), 10, TimeSpan.FromMinutes(5));
        Assert.Equal(["a", "b"], again.Select(m => m.Message.MessageId));
        Assert.Equal([first.Id, first.Id], again.Select(m => m.EnrollmentId));
        Assert.Equal(["c"], store.ClaimMessages("dispatcher", T0.AddMinutes(2), 10, TimeSpan.FromMinutes(1)).Select(m => m.MessageId));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.ClaimMessages("dispatcher", T0, 0, TimeSpan.FromMinutes(1)));
    }
}
