namespace Journeys.Storage.Tests;

public abstract partial class EngineStoreContractTests
{
    [Fact]
    public async Task Claim_returns_new_enrollments_in_arrival_order_leased_to_the_owner()
    {
        await using var stores = await CreateAsync();
        var a = Request("j", "a", T0);
        var b = Request("j", "b", T0);
        await stores.Enrollments.EnrollAsync([a, b]);

        var claimed = await stores.Enrollments.ClaimAsync("engine-1", T0, 10, Lease);

        Assert.Equal([a.EnrollmentId, b.EnrollmentId], claimed.Select(w => w.Enrollment.Id));
        Assert.All(claimed, w => Assert.Equal(T0 + Lease, w.LeaseExpiresAt));
        Assert.All(claimed, w => Assert.Equal(1, w.Enrollment.ConcurrencyToken));
        Assert.All(claimed, w => Assert.Empty(w.Events));
    }

    [Fact]
    public async Task Claim_respects_max_items()
    {
        await using var stores = await CreateAsync();
        await stores.Enrollments.EnrollAsync([Request("j", "a", T0), Request("j", "b", T0), Request("j", "c", T0)]);

        Assert.Equal(2, (await stores.Enrollments.ClaimAsync("engine-1", T0, 2, Lease)).Count);
        Assert.Single(await stores.Enrollments.ClaimAsync("engine-1", T0, 2, Lease));
        Assert.Empty(await stores.Enrollments.ClaimAsync("engine-1", T0, 2, Lease));
    }

    [Fact]
    public async Task Claim_skips_leased_work_until_the_lease_expires_then_gives_it_to_another_owner()
    {
        await using var stores = await CreateAsync();
        var request = Request("j", "a", T0);
        await stores.Enrollments.EnrollAsync([request]);
        Assert.Single(await stores.Enrollments.ClaimAsync("engine-1", T0, 10, Lease));

        Assert.Empty(await stores.Enrollments.ClaimAsync("engine-2", T0.AddSeconds(59), 10, Lease));
        Assert.Empty(await stores.Enrollments.ClaimAsync("engine-1", T0.AddSeconds(59), 10, Lease));

        var reclaimed = Assert.Single(await stores.Enrollments.ClaimAsync("engine-2", T0 + Lease, 10, Lease));
        Assert.Equal(request.EnrollmentId, reclaimed.Enrollment.Id);
        Assert.Equal(T0 + Lease + Lease, reclaimed.LeaseExpiresAt);
    }

    [Fact]
    public async Task Claim_returns_a_timer_only_once_it_is_due()
    {
        await using var stores = await CreateAsync();
        var item = await EnrollAndClaimAsync(stores, Request("j", "a", T0));
        Assert.True(Assert.Single(await stores.Enrollments.CommitAsync("engine", [Checkpoint(WaitUntil(item.Enrollment, T0.AddHours(1)), 1)])));

        Assert.Empty(await stores.Enrollments.ClaimAsync("engine", T0.AddHours(1).AddTicks(-1), 10, Lease));
        var due = Assert.Single(await stores.Enrollments.ClaimAsync("engine", T0.AddHours(1), 10, Lease));

        Assert.Equal(EnrollmentStatus.Waiting, due.Enrollment.Status);
        Assert.Equal(2, due.Enrollment.ConcurrencyToken);
        Assert.Equal(T0.AddHours(1), due.Enrollment.WakeAt);
    }

    [Fact]
    public async Task Claim_returns_due_timers_in_wake_order_before_new_enrollments()
    {
        await using var stores = await CreateAsync();
        var late = await EnrollAndClaimAsync(stores, Request("j", "late", T0));
        var early = await EnrollAndClaimAsync(stores, Request("j", "early", T0));
        await stores.Enrollments.CommitAsync("engine", [Checkpoint(WaitUntil(late.Enrollment, T0.AddMinutes(20)), 1), Checkpoint(WaitUntil(early.Enrollment, T0.AddMinutes(10)), 1)]);
        var fresh = Request("j", "fresh", T0);
        await stores.Enrollments.EnrollAsync([fresh]);

        Assert.Equal(T0.AddMinutes(10), await stores.Enrollments.GetNextWakeAsync());
        var claimed = await stores.Enrollments.ClaimAsync("engine", T0.AddHours(1), 10, Lease);

        Assert.Equal(["early", "late", "fresh"], claimed.Select(w => w.Enrollment.CustomerId));
    }

    [Fact]
    public async Task Due_timers_at_the_same_instant_are_claimed_in_enrollment_id_order_whatever_the_customers()
    {
        // docs/storage.md: due timers come in (WakeAt, id) order; the customers here sort the other way round.
        await using var stores = await CreateAsync();
        string[] customers = ["a", "b", "c"];
        Guid[] ids = [new("30000000-0000-0000-0000-000000000000"), new("20000000-0000-0000-0000-000000000000"), new("10000000-0000-0000-0000-000000000000")];
        var checkpoints = new List<EnrollmentCheckpoint>();
        for (var i = 0; i < customers.Length; i++)
        {
            var item = await EnrollAndClaimAsync(stores, Request("j", customers[i], T0) with { EnrollmentId = ids[i] });
            checkpoints.Add(Checkpoint(WaitUntil(item.Enrollment, T0.AddMinutes(10)), item.Enrollment.ConcurrencyToken));
        }

        Assert.All(await stores.Enrollments.CommitAsync("engine", checkpoints), Assert.True);

        var first = await stores.Enrollments.ClaimAsync("engine", T0.AddHours(1), 2, Lease);
        var rest = await stores.Enrollments.ClaimAsync("engine", T0.AddHours(1), 2, Lease);
        Assert.Equal(["c", "b"], first.Select(w => w.Enrollment.CustomerId));
        Assert.Equal(["a"], rest.Select(w => w.Enrollment.CustomerId));
    }

    [Fact]
    public async Task A_claim_result_stays_as_returned_while_later_claims_take_the_next_due_timers()
    {
        await using var stores = await CreateAsync();
        foreach (var (customer, minutes) in new[] { ("a", 10), ("b", 20), ("c", 30), ("d", 40) })
        {
            var item = await EnrollAndClaimAsync(stores, Request("j", customer, T0));
            Assert.True(Assert.Single(await stores.Enrollments.CommitAsync("engine", [Checkpoint(WaitUntil(item.Enrollment, T0.AddMinutes(minutes)), 1)])));
        }

        var lease = TimeSpan.FromHours(2);
        var first = await stores.Enrollments.ClaimAsync("engine", T0.AddMinutes(35), 1, lease);
        var second = await stores.Enrollments.ClaimAsync("engine", T0.AddMinutes(35), 10, lease);
        var none = await stores.Enrollments.ClaimAsync("engine", T0.AddMinutes(35), 10, lease);
        var last = await stores.Enrollments.ClaimAsync("engine", T0.AddHours(1), 10, lease);

        // Each claim's result is its own: the later claims neither change nor share an earlier one's items.
        Assert.Equal(["a"], first.Select(w => w.Enrollment.CustomerId));
        Assert.Equal(["b", "c"], second.Select(w => w.Enrollment.CustomerId));
        Assert.Empty(none);
        Assert.Equal(["d"], last.Select(w => w.Enrollment.CustomerId));
        Assert.All(first.Concat(second).Concat(last), w => Assert.Equal(T0.AddMinutes(w.Enrollment.CustomerId == "d" ? 60 : 35) + lease, w.LeaseExpiresAt));
    }

    [Fact]
    public async Task Next_wake_is_the_earliest_unclaimed_timer_and_null_without_timers()
    {
        await using var stores = await CreateAsync();
        Assert.Null(await stores.Enrollments.GetNextWakeAsync());
        var a = await EnrollAndClaimAsync(stores, Request("j", "a", T0));
        var b = await EnrollAndClaimAsync(stores, Request("j", "b", T0));
        await stores.Enrollments.CommitAsync("engine", [Checkpoint(WaitUntil(a.Enrollment, T0.AddMinutes(30)), 1), Checkpoint(WaitUntil(b.Enrollment, T0.AddMinutes(5)), 1)]);
        Assert.Equal(T0.AddMinutes(5), await stores.Enrollments.GetNextWakeAsync());

        var first = Assert.Single(await stores.Enrollments.ClaimAsync("engine", T0.AddMinutes(5), 10, Lease));
        Assert.Equal(T0.AddMinutes(30), await stores.Enrollments.GetNextWakeAsync());

        await stores.Enrollments.CommitAsync("engine", [Checkpoint(Complete(first.Enrollment, T0.AddMinutes(5)), first.Enrollment.ConcurrencyToken)]);
        await stores.Enrollments.CancelAsync("j", null, "a", "stopped", T0.AddMinutes(6));
        Assert.Null(await stores.Enrollments.GetNextWakeAsync());
    }

    [Fact]
    public async Task Claim_wakes_a_waiting_enrollment_on_an_awaited_event_and_not_on_another()
    {
        await using var stores = await CreateAsync();
        var item = await EnrollAndClaimAsync(stores, Request("j", "a", T0));
        await stores.Enrollments.CommitAsync("engine", [Checkpoint(WaitFor(item.Enrollment, "purchase", "goal"), 1)]);

        await stores.Enrollments.AppendEventsAsync([Event("a", "page_view", T0.AddMinutes(1)), Event("b", "purchase", T0.AddMinutes(1))]);
        Assert.Empty(await stores.Enrollments.ClaimAsync("engine", T0.AddMinutes(2), 10, Lease));

        await stores.Enrollments.AppendEventsAsync([Event("a", "purchase", T0.AddMinutes(3)), Event("a", "click", T0.AddMinutes(4))]);
        var woken = Assert.Single(await stores.Enrollments.ClaimAsync("engine", T0.AddMinutes(5), 10, Lease));

        // Every retained event newer than the cursor, oldest first, whatever its name.
        Assert.Equal(["page_view", "purchase", "click"], woken.Events.Select(e => e.Event.Name));
        Assert.True(woken.Events.Select(e => e.Sequence).SequenceEqual(woken.Events.Select(e => e.Sequence).Order()));
        Assert.All(woken.Events, e => Assert.True(e.Sequence > woken.Enrollment.EventCursor));
        Assert.All(woken.Events, e => Assert.Equal("a", e.Event.CustomerId));
    }

    [Fact]
    public async Task Claim_does_not_replay_events_from_before_the_entry_nor_those_already_seen()
    {
        await using var stores = await CreateAsync();
        await stores.Enrollments.AppendEventsAsync([Event("a", "purchase", T0.AddMinutes(-5))]);
        var item = await EnrollAndClaimAsync(stores, Request("j", "a", T0, wakeEvents: "purchase"));
        Assert.Empty(item.Events);

        await stores.Enrollments.AppendEventsAsync([Event("a", "open", T0.AddMinutes(1)), Event("a", "purchase", T0.AddMinutes(2))]);
        await stores.Enrollments.CommitAsync("engine", [Checkpoint(WaitFor(item.Enrollment, "purchase"), 1)]);
        var woken = Assert.Single(await stores.Enrollments.ClaimAsync("engine", T0.AddMinutes(3), 10, Lease));
        Assert.Equal(["open", "purchase"], woken.Events.Select(e => e.Event.Name));

        // The engine consumed both: with the cursor at the last one the enrollment is not ready any more.
        var consumed = WaitFor(woken.Enrollment, "purchase") with { EventCursor = woken.Events[^1].Sequence };
        Assert.True(Assert.Single(await stores.Enrollments.CommitAsync("engine", [Checkpoint(consumed, woken.Enrollment.ConcurrencyToken)])));
        Assert.Empty(await stores.Enrollments.ClaimAsync("engine", T0.AddMinutes(4), 10, Lease));
    }

    [Fact]
    public async Task An_event_that_arrives_while_the_enrollment_is_claimed_wakes_it_after_the_commit()
    {
        await using var stores = await CreateAsync();
        var item = await EnrollAndClaimAsync(stores, Request("j", "a", T0));
        await stores.Enrollments.AppendEventsAsync([Event("a", "purchase", T0.AddSeconds(1))]);

        await stores.Enrollments.CommitAsync("engine", [Checkpoint(WaitFor(item.Enrollment, "purchase"), 1)]);

        var woken = Assert.Single(await stores.Enrollments.ClaimAsync("engine", T0.AddSeconds(2), 10, Lease));
        Assert.Equal("purchase", Assert.Single(woken.Events).Event.Name);
    }

    [Fact]
    public async Task Claim_never_returns_ended_enrollments()
    {
        await using var stores = await CreateAsync();
        await EnrollAndEndAsync(stores, Request("j", "a", T0, wakeEvents: "purchase"), T0);
        await stores.Enrollments.AppendEventsAsync([Event("a", "purchase", T0.AddMinutes(1))]);

        Assert.Empty(await stores.Enrollments.ClaimAsync("engine", T0.AddDays(1), 10, Lease));
    }

    protected static async Task<WorkItem> EnrollAndClaimAsync(StoreSet stores, EnrollmentRequest request, string owner = "engine")
    {
        await EnrollOneAsync(stores, request);
        return Assert.Single(await stores.Enrollments.ClaimAsync(owner, request.At, 10, Lease), w => w.Enrollment.Id == request.EnrollmentId);
    }
}
