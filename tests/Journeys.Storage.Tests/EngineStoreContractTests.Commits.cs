using Journeys.Messaging;

namespace Journeys.Storage.Tests;

public abstract partial class EngineStoreContractTests
{
    [Fact]
    public async Task Commit_stores_the_state_with_the_next_token_and_releases_the_lease()
    {
        await using var stores = await CreateAsync();
        var item = await EnrollAndClaimAsync(stores, Request("j", "a", T0));
        var moved = item.Enrollment with { CurrentNodeId = "send", Visit = 1, UpdatedAt = T0.AddSeconds(1), ConcurrencyToken = 99 };

        Assert.True(Assert.Single(await stores.Enrollments.CommitAsync("engine", [Checkpoint(moved, 1)])));

        var stored = Assert.Single(await stores.Enrollments.GetByCustomerAsync("a"));
        Assert.Equal(moved with { ConcurrencyToken = 2 }, stored);

        // Still active, so ready again at once, for any owner.
        var again = Assert.Single(await stores.Enrollments.ClaimAsync("engine-2", T0.AddSeconds(1), 10, Lease));
        Assert.Equal(2, again.Enrollment.ConcurrencyToken);
    }

    [Fact]
    public async Task Records_handed_out_do_not_change_when_the_enrollment_is_committed_or_cancelled_later()
    {
        await using var stores = await CreateAsync();
        var item = await EnrollAndClaimAsync(stores, Request("j", "a", T0));
        var claimed = item.Enrollment;
        var claimedCopy = claimed with { };
        var moved = WaitUntil(claimed, T0.AddHours(1));

        Assert.True(Assert.Single(await stores.Enrollments.CommitAsync("engine", [Checkpoint(moved, claimed.ConcurrencyToken)])));
        var read = Assert.Single(await stores.Enrollments.GetByCustomerAsync("a"));
        var readCopy = read with { };
        await stores.Enrollments.CancelAsync("j", null, null, "stopped", T0.AddMinutes(1));

        Assert.Equal(claimedCopy, claimed);
        Assert.Equal(readCopy, read);
        Assert.Equal((EnrollmentStatus.Waiting, "wait", 2L), (read.Status, read.CurrentNodeId, read.ConcurrencyToken));
        var cancelled = Assert.Single(await stores.Enrollments.GetByCustomerAsync("a"));
        Assert.Equal((EnrollmentStatus.Cancelled, (string?)null, 3L, "stopped"), (cancelled.Status, cancelled.CurrentNodeId, cancelled.ConcurrencyToken, cancelled.EndReason));
    }

    [Fact]
    public async Task Commit_applies_outbox_customer_updates_and_statistics_together()
    {
        await using var stores = await CreateAsync();
        await stores.Customers.UpsertAsync([new Customer("a", [new("plan", "free"), new("score", 3.0)], "Europe/Madrid")]);
        var item = await EnrollAndClaimAsync(stores, Request("j", "a", T0));
        var state = Complete(item.Enrollment, T0);

        var applied = await stores.Enrollments.CommitAsync("engine", [Checkpoint(
            state,
            1,
            [Message("m1", T0, "a", item.Enrollment.Id)],
            [new CustomerFieldUpdate("a", "plan", "pro"), new CustomerFieldUpdate("a", "score", FieldValue.Null), new CustomerFieldUpdate("ghost", "vip", true)],
            [new StatisticDelta("j", 1, null, StatisticCounter.Completed), new StatisticDelta("j", 1, "send", StatisticCounter.Sent, 2)])]);

        Assert.True(Assert.Single(applied));
        var customer = (await stores.Customers.GetAsync("a"))!;
        Assert.Equal("pro", customer.GetField("plan").AsString());
        Assert.True(customer.GetField("score").IsNull);
        Assert.Equal("Europe/Madrid", customer.TimeZoneId);
        Assert.True((await stores.Customers.GetAsync("ghost"))!.GetField("vip").AsBoolean());
        var message = Assert.Single(await stores.Outbox.ClaimAsync("dispatcher", T0, 10, Lease));
        Assert.Equal("m1", message.Message.MessageId);
        Assert.Equal(item.Enrollment.Id, message.EnrollmentId);
        var statistics = await stores.Statistics.GetAsync("j", 1);
        Assert.Equal(1, statistics.Get(StatisticCounter.Completed));
        Assert.Equal(2, statistics.Get("send", StatisticCounter.Sent));
    }

    [Fact]
    public async Task Commit_with_a_stale_token_is_refused_and_applies_nothing()
    {
        await using var stores = await CreateAsync();
        await stores.Customers.UpsertAsync([new Customer("a", [new("plan", "free")])]);
        var item = await EnrollAndClaimAsync(stores, Request("j", "a", T0));

        var applied = await stores.Enrollments.CommitAsync("engine", [Checkpoint(
            Complete(item.Enrollment, T0),
            item.Enrollment.ConcurrencyToken + 1,
            [Message("m1", T0, "a")],
            [new CustomerFieldUpdate("a", "plan", "pro")],
            [new StatisticDelta("j", 1, null, StatisticCounter.Completed)])]);

        Assert.False(Assert.Single(applied));
        Assert.Equal(item.Enrollment, Assert.Single(await stores.Enrollments.GetByCustomerAsync("a")));
        Assert.Empty(await stores.Outbox.ClaimAsync("dispatcher", T0.AddDays(1), 10, Lease));
        Assert.Null(await stores.Outbox.GetNextDueAsync());
        Assert.Equal("free", (await stores.Customers.GetAsync("a"))!.GetField("plan").AsString());
        Assert.Equal(0, (await stores.Statistics.GetAsync("j", null)).Get(StatisticCounter.Completed));
    }

    [Fact]
    public async Task Malformed_requests_checkpoints_results_and_deltas_are_refused_naming_their_index_and_nothing_is_written()
    {
        // Every store makes the same argument checks (StoreArgumentChecks) before it writes anything.
        await using var stores = await CreateAsync();
        await stores.Customers.UpsertAsync([new Customer("a", [new("plan", "free")])]);
        var item = await EnrollAndClaimAsync(stores, Request("j", "a", T0));
        var good = Checkpoint(
            Complete(item.Enrollment, T0),
            item.Enrollment.ConcurrencyToken,
            [Message("m1", T0, "a", item.Enrollment.Id)],
            [new CustomerFieldUpdate("a", "plan", "pro")],
            [new StatisticDelta("j", 1, null, StatisticCounter.Completed)]);

        async Task<string> RefusedAsync(Func<Task> write) => (await Assert.ThrowsAsync<ArgumentException>(write)).Message;

        Assert.Contains("Checkpoint at index 1 is null", await RefusedAsync(() => stores.Enrollments.CommitAsync("engine", [good, null!]).AsTask()), StringComparison.Ordinal);
        Assert.Contains("Checkpoint at index 1 has a null outbox message", await RefusedAsync(() => stores.Enrollments.CommitAsync("engine", [good, good with { Outbox = [null!] }]).AsTask()), StringComparison.Ordinal);
        Assert.Contains("Statistic delta at index 1 has no journey id", await RefusedAsync(() => stores.Enrollments.CommitAsync("engine", [good with { Statistics = [new StatisticDelta("j", 1, null, StatisticCounter.Entered), new StatisticDelta("", 1, null, StatisticCounter.Entered)] }]).AsTask()), StringComparison.Ordinal);
        Assert.Contains("Statistic delta at index 1 has no journey id", await RefusedAsync(() => stores.Statistics.AddAsync([new StatisticDelta("j", 1, null, StatisticCounter.Completed), new StatisticDelta("", 1, null, StatisticCounter.Entered)]).AsTask()), StringComparison.Ordinal);
        // An empty node id: the durable stores keep the journey-level counters under '' and the in-memory one kept it as a
        // node of its own, so the same delta read back differently; no store takes it.
        Assert.Contains("Statistic delta at index 1 has an empty node id", await RefusedAsync(() => stores.Statistics.AddAsync([new StatisticDelta("j", 1, null, StatisticCounter.Completed), new StatisticDelta("j", 1, "", StatisticCounter.Completed)]).AsTask()), StringComparison.Ordinal);
        Assert.Contains("Statistic delta at index 0 has an empty node id", await RefusedAsync(() => stores.Enrollments.CommitAsync("engine", [good with { Statistics = [new StatisticDelta("j", 1, "", StatisticCounter.Completed)] }]).AsTask()), StringComparison.Ordinal);
        Assert.Contains("Outbox result at index 1 is null", await RefusedAsync(() => stores.Outbox.CompleteAsync("dispatcher", [new OutboxResult("m0", SendResult.Sent, null, []), null!]).AsTask()), StringComparison.Ordinal);
        var fresh = Request("j", "b", T0);
        var lease = new EnrollmentLease("engine", T0, Lease, 10);
        Assert.Contains("Enrollment request at index 1 is null", await RefusedAsync(() => stores.Enrollments.EnrollAsync([fresh, null!]).AsTask()), StringComparison.Ordinal);
        Assert.Contains("Enrollment request at index 1 needs a journey id", await RefusedAsync(() => stores.Enrollments.EnrollAsync([fresh, Request("j", "c", T0) with { StartNodeId = "" }]).AsTask()), StringComparison.Ordinal);
        Assert.Contains("is used twice in the batch (index 1)", await RefusedAsync(() => stores.Enrollments.EnrollAsync([fresh, fresh with { CustomerId = "c" }]).AsTask()), StringComparison.Ordinal);
        Assert.Contains("Enrollment request at index 1 is null", await RefusedAsync(() => stores.Enrollments.EnrollLeasedAsync([fresh, null!], lease).AsTask()), StringComparison.Ordinal);
        Assert.Contains("is used twice in the batch (index 1)", await RefusedAsync(() => stores.Enrollments.EnrollLeasedAsync([fresh, fresh with { CustomerId = "c" }], lease).AsTask()), StringComparison.Ordinal);

        Assert.Equal(item.Enrollment, Assert.Single(await stores.Enrollments.GetByCustomerAsync("a")));
        Assert.Empty(await stores.Enrollments.GetByCustomerAsync("b"));
        Assert.Empty(await stores.Enrollments.GetByCustomerAsync("c"));
        Assert.Null(await stores.Outbox.GetNextDueAsync());
        Assert.Equal("free", (await stores.Customers.GetAsync("a"))!.GetField("plan").AsString());
        Assert.Equal(0, (await stores.Statistics.GetAsync("j", null)).Get(StatisticCounter.Completed));

        // The good checkpoint alone still commits.
        Assert.True(Assert.Single(await stores.Enrollments.CommitAsync("engine", [good])));
    }

    [Fact]
    public async Task Commit_by_a_non_owner_is_refused()
    {
        await using var stores = await CreateAsync();
        var item = await EnrollAndClaimAsync(stores, Request("j", "a", T0), "engine-1");

        var applied = await stores.Enrollments.CommitAsync("engine-2", [Checkpoint(Complete(item.Enrollment, T0), 1, statistics: [new StatisticDelta("j", 1, null, StatisticCounter.Completed)])]);

        Assert.False(Assert.Single(applied));
        Assert.Equal(EnrollmentStatus.Active, Assert.Single(await stores.Enrollments.GetByCustomerAsync("a")).Status);
        Assert.Equal(0, (await stores.Statistics.GetAsync("j", null)).Get(StatisticCounter.Completed));
        Assert.True(Assert.Single(await stores.Enrollments.CommitAsync("engine-1", [Checkpoint(Complete(item.Enrollment, T0), 1)])));
    }

    [Fact]
    public async Task Commit_of_work_never_claimed_or_unknown_is_refused()
    {
        await using var stores = await CreateAsync();
        var enrollment = await EnrollOneAsync(stores, Request("j", "a", T0));
        var unknown = enrollment with { Id = Guid.NewGuid() };

        var applied = await stores.Enrollments.CommitAsync("engine", [Checkpoint(Complete(enrollment, T0), 1), Checkpoint(Complete(unknown, T0), 1)]);

        Assert.Equal([false, false], applied);
    }

    [Fact]
    public async Task Commit_after_the_lease_passed_to_another_owner_is_refused()
    {
        await using var stores = await CreateAsync();
        var item = await EnrollAndClaimAsync(stores, Request("j", "a", T0), "engine-1");
        var taken = Assert.Single(await stores.Enrollments.ClaimAsync("engine-2", T0 + Lease, 10, Lease));

        var late = await stores.Enrollments.CommitAsync("engine-1", [Checkpoint(Complete(item.Enrollment, T0), 1, [Message("late", T0)])]);
        var current = await stores.Enrollments.CommitAsync("engine-2", [Checkpoint(WaitUntil(taken.Enrollment, T0.AddHours(1)), 1)]);

        Assert.False(Assert.Single(late));
        Assert.True(Assert.Single(current));
        Assert.Equal(EnrollmentStatus.Waiting, Assert.Single(await stores.Enrollments.GetByCustomerAsync("a")).Status);
        Assert.Null(await stores.Outbox.GetNextDueAsync());
    }

    [Fact]
    public async Task Commit_of_a_batch_applies_the_good_checkpoints_and_refuses_the_stale_one()
    {
        await using var stores = await CreateAsync();
        await stores.Enrollments.EnrollAsync([Request("j", "a", T0), Request("j", "b", T0)]);
        var claimed = await stores.Enrollments.ClaimAsync("engine", T0, 10, Lease);
        var a = claimed.Single(w => w.Enrollment.CustomerId == "a").Enrollment;
        var b = claimed.Single(w => w.Enrollment.CustomerId == "b").Enrollment;

        var applied = await stores.Enrollments.CommitAsync("engine", [
            Checkpoint(Complete(a, T0), 7, [Message("stale", T0, "a")], statistics: [new StatisticDelta("j", 1, "x", StatisticCounter.Completed)]),
            Checkpoint(Complete(b, T0), 1, [Message("good", T0, "b")], statistics: [new StatisticDelta("j", 1, "y", StatisticCounter.Completed)]),
        ]);

        Assert.Equal([false, true], applied);
        Assert.Equal(EnrollmentStatus.Active, Assert.Single(await stores.Enrollments.GetByCustomerAsync("a")).Status);
        Assert.Equal(EnrollmentStatus.Completed, Assert.Single(await stores.Enrollments.GetByCustomerAsync("b")).Status);
        Assert.Equal("good", Assert.Single(await stores.Outbox.ClaimAsync("dispatcher", T0, 10, Lease)).Message.MessageId);
        var statistics = await stores.Statistics.GetAsync("j", 1);
        Assert.Equal(0, statistics.Get("x", StatisticCounter.Completed));
        Assert.Equal(1, statistics.Get("y", StatisticCounter.Completed));
    }

    [Fact]
    public async Task Commit_twice_with_the_same_token_applies_once()
    {
        await using var stores = await CreateAsync();
        var item = await EnrollAndClaimAsync(stores, Request("j", "a", T0));
        var checkpoint = Checkpoint(Complete(item.Enrollment, T0), 1, statistics: [new StatisticDelta("j", 1, null, StatisticCounter.Completed)]);

        Assert.Equal([true, false], await stores.Enrollments.CommitAsync("engine", [checkpoint, checkpoint]));
        Assert.False(Assert.Single(await stores.Enrollments.CommitAsync("engine", [checkpoint])));
        Assert.Equal(1, (await stores.Statistics.GetAsync("j", null)).Get(StatisticCounter.Completed));
    }
}
