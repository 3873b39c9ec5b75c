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

    private static readonly OutboxMessage[] Outbox =
        [new(new OutboundMessage("m1", "k1", new Channel("push"), "c", "customer-1", "body", "j", 3, "send-2"), Claimed.Id, T0)];

    private static readonly CustomerFieldUpdate[] Updates = [new("customer-1", "plan", FieldValue.FromString("gold"))];

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
        var checkpoint = new EnrollmentCheckpoint(ClaimedItem, Change, Outbox, Updates, Deltas);

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
        var built = new EnrollmentCheckpoint(ClaimedItem, Change, Outbox, Updates, Deltas);
        var given = new EnrollmentCheckpoint(Expected, Claimed.ConcurrencyToken, Outbox, Updates, Deltas);

        Assert.Equal(given, built);
        Assert.Equal(built, given);
        Assert.True(built == given);
        Assert.Equal(given.GetHashCode(), built.GetHashCode());
        Assert.Equal(given.ToString(), built.ToString());
        Assert.NotEqual(given with { ExpectedToken = 8 }, built);
        Assert.NotEqual(given with { State = Expected with { Visit = 7 } }, built);

        var (state, token, outbox, updates, statistics) = new EnrollmentCheckpoint(ClaimedItem, Change, Outbox, Updates, Deltas);
        Assert.Equal(Expected, state);
        Assert.Equal(7, token);
        Assert.Same(Outbox, outbox);
        Assert.Same(Updates, updates);
        Assert.Same(Deltas, statistics);
    }

    [Fact]
    public void A_state_set_with_with_replaces_the_change_and_a_null_one_is_refused_by_the_checks()
    {
        var built = new EnrollmentCheckpoint(ClaimedItem, Change, Outbox, Updates, Deltas);
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
}
