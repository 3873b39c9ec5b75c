using System.Collections.Immutable;
using Journeys.Messaging;
using Journeys.Model;
using Journeys.Storage;
using Journeys.Storage.InMemory;

namespace Journeys.Tests.Storage;

/// <summary>
/// The executor's form of a checkpoint: the claimed record and the run's changed fields (<see cref="EnrollmentChange"/>),
/// whose state record is built only when read. It must be indistinguishable from a checkpoint given the state.
/// </summary>
public sealed class EnrollmentCheckpointTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 9, 0, 0, TimeSpan.FromHours(2));

    private static readonly Enrollment Claimed = new(
        Guid.Parse("00000000-0000-0000-0000-0000000000c1"),
        "j",
        3,
        "customer-1",
        "wait",
        EnrollmentStatus.Waiting,
        T0.AddHours(1),
        "click",
        4,
        T0.AddDays(-1),
        T0.AddMinutes(-5),
        7)
    {
        WakeEvents = new EquatableArray<string>(ImmutableArray.Create("purchase", "click")),
        EventCursor = 11,
        NodeEnteredAt = T0.AddMinutes(-5),
        NodeState = 1,
        MessagesSent = 2,
        Clicks = 5,
    };

    private static readonly WorkItem ClaimedItem = new(Claimed, [], T0.AddMinutes(5));

    // Offsets of +5:30 and -3:00 and a null node entry: each must come back exactly (DateTimeOffset equality ignores offsets).
    private static readonly EnrollmentChange Change = new(
        "send-2",
        EnrollmentStatus.Waiting,
        new DateTimeOffset(2026, 3, 2, 8, 15, 0, TimeSpan.FromMinutes(330)),
        null,
        6,
        new DateTimeOffset(2026, 3, 1, 4, 0, 0, TimeSpan.FromHours(-3)),
        new EquatableArray<string>(ImmutableArray.Create("purchase")),
        12,
        null,
        0,
        "not ended",
        3);

    private static readonly OutboundMessage Send = new("m1", "k1", new Channel("push"), "c", "customer-1", "body", "j", 3, "send-2");

    // The executor's sends are due at the run's time (the change's UpdatedAt, offset −3:00 kept), from the claimed enrollment.
    private static readonly OutboxMessage[] Outbox = [new(Send, Claimed.Id, Change.UpdatedAt)];

    private static readonly CustomerFieldUpdate[] Updates = [new("customer-1", "plan", FieldValue.FromString("gold"))];

    // The executor's form of Updates: the update node's write, of the claimed customer.
    private static readonly FieldWrite[] Writes = [new("plan", FieldValue.FromString("gold"))];

    private static readonly StatisticDelta[] Deltas = [new("j", 3, "send-2", StatisticCounter.Sent)];

    private static Enrollment Expected => Claimed with
    {
        ConcurrencyToken = 8,
        CurrentNodeId = "send-2",
        Status = EnrollmentStatus.Waiting,
        WakeAt = new DateTimeOffset(2026, 3, 2, 8, 15, 0, TimeSpan.FromMinutes(330)),
        AwaitedEvent = null,
        Visit = 6,
        UpdatedAt = new DateTimeOffset(2026, 3, 1, 4, 0, 0, TimeSpan.FromHours(-3)),
        WakeEvents = new EquatableArray<string>(ImmutableArray.Create("purchase")),
        EventCursor = 12,
        NodeEnteredAt = null,
        NodeState = 0,
        EndReason = "not ended",
        MessagesSent = 3,
    };

    [Fact]
    public void The_state_is_built_from_the_claimed_record_and_the_change_only_when_read_and_then_kept()
    {
        var checkpoint = new EnrollmentCheckpoint(ClaimedItem, Change, [Send], Writes, Deltas);

        Assert.True(checkpoint.HasState);
        Assert.Equal(Claimed.ConcurrencyToken, checkpoint.ExpectedToken);
        Assert.Same(Claimed, checkpoint.Identity);
        Assert.Equal(EnrollmentStatus.Waiting, checkpoint.Status);
        Assert.True(checkpoint.TryGetChange(out var change));
        Assert.Equal(Change.UpdatedAt, change.UpdatedAt);

        var state = checkpoint.State;
        Assert.Equal(Expected, state);
        Assert.Equal(Expected.WakeAt!.Value.Offset, state.WakeAt!.Value.Offset);
        Assert.Equal(Expected.UpdatedAt.Offset, state.UpdatedAt.Offset);
        Assert.Equal(TimeSpan.FromHours(2), state.EnteredAt.Offset);
        Assert.Equal(5, state.Clicks);

        // Built once: read again, the same record; the change is no longer offered (a store reads the state).
        Assert.Same(state, checkpoint.State);
        Assert.False(checkpoint.TryGetChange(out _));
        Assert.Same(state, checkpoint.Identity);
        Assert.Equal(EnrollmentStatus.Waiting, checkpoint.Status);
    }

    [Fact]
    public void The_executor_form_equals_the_given_form_of_the_same_state_and_prints_the_same()
    {
        var built = new EnrollmentCheckpoint(ClaimedItem, Change, [Send], Writes, Deltas);

        // Lists are compared by reference (as the record always did): the given form gets the list the executor form built.
        var given = new EnrollmentCheckpoint(Expected, Claimed.ConcurrencyToken, built.Outbox, built.CustomerUpdates, Deltas);
        Assert.Equal(Outbox, built.Outbox);
        Assert.Equal(Updates, built.CustomerUpdates);

        Assert.Equal(given, built);
        Assert.Equal(built, given);
        Assert.True(built == given);
        Assert.Equal(given.GetHashCode(), built.GetHashCode());
        Assert.Equal(given.ToString(), built.ToString());
        Assert.NotEqual(given with { ExpectedToken = 8 }, built);
        Assert.NotEqual(given with { State = Expected with { Visit = 7 } }, built);

        var (state, token, outbox, updates, statistics) = new EnrollmentCheckpoint(ClaimedItem, Change, [Send], Writes, Deltas);
        Assert.Equal(Expected, state);
        Assert.Equal(7, token);
        Assert.Equal(Outbox, outbox);
        Assert.Equal(Updates, updates);
        Assert.Same(Deltas, statistics);
    }

    [Fact]
    public void A_state_set_with_with_replaces_the_change_and_a_null_one_is_refused_by_the_checks()
    {
        var built = new EnrollmentCheckpoint(ClaimedItem, Change, [Send], Writes, Deltas);
        var other = Expected with { CurrentNodeId = "elsewhere" };

        var replaced = built with { State = other };
        Assert.Same(other, replaced.State);
        Assert.Same(other, replaced.Identity);
        Assert.False(replaced.TryGetChange(out _));

        // A copy that keeps the state keeps the change (and builds the same state).
        var moved = built with { ExpectedToken = 9 };
        Assert.True(moved.TryGetChange(out _));
        Assert.Equal(Expected, moved.State);

        var nulled = built with { State = null! };
        Assert.False(nulled.HasState);
        Assert.Null(nulled.State);
        var refused = Assert.Throws<ArgumentException>(() => StoreArgumentChecks.Checkpoints([nulled], "checkpoints"));
        Assert.Contains("null state", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_in_memory_store_applies_the_change_without_building_the_state_exactly_as_the_given_state()
    {
        var at = new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
        var store = new InMemoryEngineStore(new InMemoryCustomerStore());
        await store.EnrollAsync(
        [
            new EnrollmentRequest(Guid.NewGuid(), "j", 1, "a", "start", at, EntryRules.Default, EquatableArray<string>.Empty),
            new EnrollmentRequest(Guid.NewGuid(), "j", 1, "b", "start", at, EntryRules.Default, EquatableArray<string>.Empty),
            new EnrollmentRequest(Guid.NewGuid(), "j", 1, "c", "start", at, EntryRules.Default, EquatableArray<string>.Empty),
        ]);
        // The store's own items (their state in the claim form, no record built).
        var claimed = (await store.ClaimAsync("owner", at, 10, TimeSpan.FromMinutes(1))).ToDictionary(i => i.Claim.CustomerId);
        var change = new EnrollmentChange(
            "delay", EnrollmentStatus.Waiting, at.AddSeconds(1), null, 3, at.AddMilliseconds(2), new EquatableArray<string>(ImmutableArray.Create("goal")), 0, at.AddMilliseconds(2), 0, null, 1);

        var built = new EnrollmentCheckpoint(claimed["a"], change, [], [], []);
        var given = new EnrollmentCheckpoint(change.ApplyTo(claimed["b"].Claim), claimed["b"].Enrollment.ConcurrencyToken, [], [], []);
        var stale = new EnrollmentCheckpoint(claimed["c"] with { Enrollment = claimed["c"].Enrollment with { ConcurrencyToken = 5 } }, change, [], [], []);
        var applied = await store.CommitAsync("owner", [built, given, stale], null);

        Assert.Equal(new[] { true, true, false }, applied);
        Assert.True(built.TryGetChange(out _), "the store built the state record of an executor's checkpoint");
        var a = Assert.Single(await store.GetByCustomerAsync("a"));
        var b = Assert.Single(await store.GetByCustomerAsync("b"));
        Assert.Equal(b with { Id = a.Id, CustomerId = "a" }, a);
        Assert.Equal(built.State, a);
        Assert.Equal(2, a.ConcurrencyToken);
        Assert.Equal(at.AddSeconds(1), a.WakeAt);
        Assert.Equal(at.AddSeconds(1), await store.GetNextWakeAsync());
        var c = Assert.Single(await store.GetByCustomerAsync("c"));
        Assert.Equal(claimed["c"].Enrollment, c);
    }
    [Fact]
    public void The_executor_forms_outbox_records_are_built_only_when_read_due_at_the_runs_time_from_the_claimed_enrollment_and_kept()
    {
        var second = Send with { MessageId = "m2", NodeId = "send-3" };
        var one = new EnrollmentCheckpoint(ClaimedItem, Change, [Send], Writes, Deltas);
        var two = new EnrollmentCheckpoint(ClaimedItem, Change, [Send, second], Writes, Deltas);
        var none = new EnrollmentCheckpoint(ClaimedItem, Change, [], Writes, Deltas);

        // Read through Sends: no record built.
        Assert.Equal(1, one.Sends.Count);
        Assert.Same(Send, one.Sends.Message(0));
        Assert.Equal(Claimed.Id, one.Sends.EnrollmentId(0));
        Assert.Equal(Change.UpdatedAt, one.Sends.DueAt(0));
        Assert.Equal(TimeSpan.FromHours(-3), one.Sends.DueAt(0).Offset);
        Assert.Equal(0, one.Sends.Attempts(0));
        Assert.Equal(2, two.Sends.Count);
        Assert.Same(second, two.Sends.Message(1));
        Assert.False(one.OutboxListBuilt);
        Assert.False(two.OutboxListBuilt);
        Assert.Empty(none.Outbox);

        var records = one.Outbox;
        Assert.True(one.OutboxListBuilt);
        Assert.Equal(Outbox, records);
        Assert.Equal(TimeSpan.FromHours(-3), records[0].DueAt.Offset);
        Assert.Same(records, one.Outbox);
        Assert.Equal(
            [new OutboxMessage(Send, Claimed.Id, Change.UpdatedAt), new OutboxMessage(second, Claimed.Id, Change.UpdatedAt)],
            two.Outbox);

        // Once built, Sends reads the records (the same messages).
        Assert.Same(Send, one.Sends.Message(0));
        Assert.Equal(Change.UpdatedAt, one.Sends.DueAt(0));
    }

    [Fact]
    public void A_copy_with_another_state_keeps_the_executor_forms_messages_and_one_with_another_outbox_takes_it()
    {
        var built = new EnrollmentCheckpoint(ClaimedItem, Change, [Send], Writes, Deltas);

        // The sends' enrollment and due time are the claimed record's and the change's, which the new state drops.
        var replaced = built with { State = Expected with { Visit = 9 } };
        Assert.Equal(Outbox, replaced.Outbox);
        Assert.False(built.OutboxListBuilt);

        OutboxMessage[] other = [new(Send, null, T0, 2)];
        var moved = built with { Outbox = other };
        Assert.Same(other, moved.Outbox);
        Assert.Null(moved.Sends.EnrollmentId(0));
        Assert.Equal(2, moved.Sends.Attempts(0));
        Assert.True(moved.TryGetChange(out _));
    }

    [Fact]
    public async Task The_in_memory_store_keeps_an_executors_sends_without_their_records_and_gives_them_back_to_a_claim_as_the_records()
    {
        var at = new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
        var store = new InMemoryEngineStore(new InMemoryCustomerStore());
        await store.EnrollAsync(
        [
            new EnrollmentRequest(Guid.NewGuid(), "j", 1, "a", "start", at, EntryRules.Default, EquatableArray<string>.Empty),
            new EnrollmentRequest(Guid.NewGuid(), "j", 1, "b", "start", at, EntryRules.Default, EquatableArray<string>.Empty),
        ]);
        var claimed = (await store.ClaimAsync("owner", at, 10, TimeSpan.FromMinutes(1))).ToDictionary(i => i.Claim.CustomerId);

        // Run a sends at +5:30, run b's send is handed over to the committing owner (due at the hand-off's now).
        var runAt = at.AddSeconds(2).ToOffset(TimeSpan.FromMinutes(330));
        var change = new EnrollmentChange("send", EnrollmentStatus.Active, null, null, 1, runAt, EquatableArray<string>.Empty, 0, runAt, 0, null, 1);
        var sendA = new OutboundMessage("a-1", "ka", new Channel("push"), "c", "a", "hi a", "j", 1, "send");
        var sendB = new OutboundMessage("b-1", "kb", new Channel("push"), "c", "b", "hi b", "j", 1, "send");
        var first = new EnrollmentCheckpoint(claimed["a"], change, [sendA], [], []);
        var second = new EnrollmentCheckpoint(claimed["b"], change, [sendB], [], []);
        Assert.Equal(new[] { true }, await store.CommitAsync("owner", [first], null));
        Assert.Equal(new[] { true }, await store.CommitAsync("owner", [second], new OutboxHandoff(runAt, TimeSpan.FromMinutes(1))));
        Assert.False(first.OutboxListBuilt, "the store built the outbox records of an executor's checkpoint");
        Assert.False(second.OutboxListBuilt, "the store built the outbox records of an executor's checkpoint");

        IOutboxStore outbox = store;
        Assert.Equal(runAt, await outbox.GetNextDueAsync());
        var due = Assert.Single(await outbox.ClaimAsync("sender", runAt, 10, TimeSpan.FromMinutes(1)));
        Assert.Equal(new OutboxMessage(sendA, claimed["a"].Claim.Id, runAt), due);
        Assert.Same(sendA, due.Message);
        // The instant, at offset zero, as the SQL stores give it back.
        Assert.Equal(TimeSpan.Zero, due.DueAt.Offset);

        // The handed-over send is leased to the committing owner: no claim before its lease runs out.
        Assert.Empty(await outbox.ClaimAsync("sender", runAt.AddSeconds(59), 10, TimeSpan.FromMinutes(1)));

        // A retry keeps the message with one more attempt, due at the retry time (at offset zero); by then the hand-off's
        // lease ran out too, and that message comes first (due earlier).
        var retryAt = runAt.AddMinutes(5).ToOffset(TimeSpan.FromHours(-3));
        await outbox.CompleteAsync("sender", [new OutboxResult("a-1", SendResult.Transient("later"), retryAt, [])]);
        Assert.Equal(retryAt, await outbox.GetNextDueAsync());
        var again = await outbox.ClaimAsync("sender", retryAt, 10, TimeSpan.FromMinutes(1));
        Assert.Equal([new OutboxMessage(sendB, claimed["b"].Claim.Id, runAt), new OutboxMessage(sendA, claimed["a"].Claim.Id, retryAt, 1)], again);
        Assert.Equal(TimeSpan.Zero, again[0].DueAt.Offset);
        Assert.Equal(TimeSpan.Zero, again[1].DueAt.Offset);
    }

    [Fact]
    public void The_executor_forms_customer_updates_are_built_only_when_read_of_the_claimed_customer_and_kept()
    {
        FieldWrite country = new("country", FieldValue.FromString("ES"));
        var one = new EnrollmentCheckpoint(ClaimedItem, Change, [], Writes, Deltas);
        var two = new EnrollmentCheckpoint(ClaimedItem, Change, [], [Writes[0], country], Deltas);
        var none = new EnrollmentCheckpoint(ClaimedItem, Change, [], [], Deltas);

        // Read through the count and the indexer: no list built.
        Assert.True(one.HasCustomerUpdates);
        Assert.Equal(1, one.CustomerUpdateCount);
        Assert.Equal(Updates[0], one.CustomerUpdate(0));
        Assert.Equal(2, two.CustomerUpdateCount);
        Assert.Equal(new CustomerFieldUpdate("customer-1", "country", FieldValue.FromString("ES")), two.CustomerUpdate(1));
        Assert.Equal(0, none.CustomerUpdateCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => one.CustomerUpdate(1));
        Assert.False(one.CustomerUpdatesBuilt);
        Assert.False(two.CustomerUpdatesBuilt);

        // Read as the list: built once, then the same list.
        Assert.Equal(Updates, one.CustomerUpdates);
        Assert.True(one.CustomerUpdatesBuilt);
        Assert.Same(one.CustomerUpdates, one.CustomerUpdates);
        Assert.Equal([Updates[0], new CustomerFieldUpdate("customer-1", "country", FieldValue.FromString("ES"))], two.CustomerUpdates);
        Assert.Empty(none.CustomerUpdates);

        // A copy with another state (another customer) keeps the claimed customer's updates; one given a list takes it.
        var replaced = new EnrollmentCheckpoint(ClaimedItem, Change, [], Writes, Deltas) with { State = Expected with { CustomerId = "customer-2" } };
        Assert.Equal(Updates, replaced.CustomerUpdates);
        CustomerFieldUpdate[] other = [new("customer-1", "plan", FieldValue.Null)];
        var moved = one with { CustomerUpdates = other };
        Assert.Same(other, moved.CustomerUpdates);
        Assert.Equal(other[0], moved.CustomerUpdate(0));
    }

    [Fact]
    public async Task The_in_memory_store_applies_an_executors_writes_without_building_its_update_list()
    {
        var at = new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
        var customers = new InMemoryCustomerStore();
        await customers.UpsertAsync([new Customer("a", ImmutableDictionary<string, FieldValue>.Empty.Add("plan", FieldValue.FromString("silver")), null)]);
        var store = new InMemoryEngineStore(customers);
        await store.EnrollAsync(
        [
            new EnrollmentRequest(Guid.NewGuid(), "j", 1, "a", "start", at, EntryRules.Default, EquatableArray<string>.Empty),
            new EnrollmentRequest(Guid.NewGuid(), "j", 1, "b", "start", at, EntryRules.Default, EquatableArray<string>.Empty),
        ]);
        var claimed = (await store.ClaimAsync("owner", at, 10, TimeSpan.FromMinutes(1))).ToDictionary(i => i.Claim.CustomerId);
        var change = new EnrollmentChange(null, EnrollmentStatus.Completed, null, null, 2, at, EquatableArray<string>.Empty, 0, at, 0, null, 0);
        FieldWrite country = new("country", FieldValue.FromString("ES"));
        var first = new EnrollmentCheckpoint(claimed["a"], change, [], Writes, []);
        var second = new EnrollmentCheckpoint(claimed["b"], change, [], [country, Writes[0]], []);

        Assert.Equal(new[] { true, true }, await store.CommitAsync("owner", [first, second], null));

        Assert.False(first.CustomerUpdatesBuilt, "the store built the update list of an executor's checkpoint");
        Assert.False(second.CustomerUpdatesBuilt, "the store built the update list of an executor's checkpoint");
        var a = (await customers.GetAsync("a"))!;
        Assert.Equal(FieldValue.FromString("gold"), a.Fields["plan"]);
        var b = (await customers.GetAsync("b"))!;
        Assert.Equal(FieldValue.FromString("ES"), b.Fields["country"]);
        Assert.Equal(FieldValue.FromString("gold"), b.Fields["plan"]);
    }

    [Fact]
    public void A_reused_checkpoint_refilled_is_the_checkpoint_of_its_run_and_released_it_keeps_nothing_of_it()
    {
        var second = Send with { MessageId = "m2", NodeId = "send-3" };
        string[] withdraw = ["retarget"];
        var reused = EnrollmentCheckpoint.Reusable();

        reused.Refill(ClaimedItem, Change, [Send, second], Writes, Deltas, withdraw);
        var fresh = new EnrollmentCheckpoint(ClaimedItem, Change, [Send, second], Writes, Deltas, withdraw);
        Assert.Equal(2, reused.Sends.Count);
        Assert.Same(second, reused.Sends.Message(1));
        Assert.Same(withdraw, reused.WithdrawNodeIds);
        Assert.Same(Deltas, reused.Statistics);
        Assert.Equal(fresh.ExpectedToken, reused.ExpectedToken);
        Assert.Equal(fresh.Outbox, reused.Outbox);
        Assert.Equal(fresh.CustomerUpdates, reused.CustomerUpdates);
        Assert.Equal(Expected, reused.State);
        Assert.Equal(fresh.State, reused.State);

        // Released: no state, no item, no messages, no deltas.
        reused.Release();
        Assert.False(reused.HasState);
        Assert.Null(reused.State);
        Assert.Empty(reused.Statistics);
        Assert.Empty(reused.WithdrawNodeIds);
        Assert.Empty(reused.Outbox);
        Assert.Equal(0, reused.CustomerUpdateCount);
    }

    [Fact]
    public void A_reused_checkpoints_sends_are_each_runs_own_and_a_list_read_from_an_earlier_run_stays_that_runs()
    {
        var other = new WorkItem(Claimed with { Id = Guid.Parse("00000000-0000-0000-0000-0000000000c2"), CustomerId = "customer-2" }, [], T0.AddMinutes(5));
        var second = Send with { MessageId = "m2", NodeId = "send-3" };
        var third = Send with { MessageId = "m3", CustomerId = "customer-2" };
        var fourth = Send with { MessageId = "m4", CustomerId = "customer-2", NodeId = "send-3" };
        var reused = EnrollmentCheckpoint.Reusable();

        // Run 1, read through Sends only (its array is kept for the next run), then released.
        reused.Refill(ClaimedItem, Change, [Send, second], [], Deltas, []);
        Assert.Same(Send, reused.Sends.Message(0));
        reused.Release();

        // Run 2 of the same length: its own messages, of its own enrollment; its list read, then released.
        reused.Refill(other, Change, [third, fourth], [], Deltas, []);
        Assert.Equal(2, reused.Sends.Count);
        Assert.Same(third, reused.Sends.Message(0));
        Assert.Same(fourth, reused.Sends.Message(1));
        var records = reused.Outbox;
        Assert.Equal([new OutboxMessage(third, other.Claim.Id, Change.UpdatedAt), new OutboxMessage(fourth, other.Claim.Id, Change.UpdatedAt)], records);
        reused.Release();

        // Run 3: the list run 2 built is not written over.
        reused.Refill(ClaimedItem, Change, [Send, second], [], Deltas, []);
        Assert.Same(Send, reused.Sends.Message(0));
        Assert.Same(second, reused.Sends.Message(1));
        Assert.Same(third, records[0].Message);
        Assert.Same(fourth, records[1].Message);

        // Run 4 with one send, run 5 with three: each its own.
        reused.Release();
        reused.Refill(other, Change, [third], [], Deltas, []);
        Assert.Equal(1, reused.Sends.Count);
        Assert.Same(third, reused.Sends.Message(0));
        reused.Release();
        reused.Refill(other, Change, [third, fourth, Send], [], Deltas, []);
        Assert.Equal([third, fourth, Send], Enumerable.Range(0, 3).Select(i => reused.Sends.Message(i)));
    }
}
