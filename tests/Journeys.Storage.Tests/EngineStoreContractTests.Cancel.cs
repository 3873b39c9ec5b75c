namespace Journeys.Storage.Tests;

public abstract partial class EngineStoreContractTests
{
    [Fact]
    public async Task Cancel_by_journey_ends_active_and_waiting_enrollments_and_counts_them()
    {
        await using var stores = await CreateAsync();
        var waiting = await EnrollAndClaimAsync(stores, Request("j", "a", T0));
        await stores.Enrollments.CommitAsync("engine", [Checkpoint(WaitUntil(waiting.Enrollment, T0.AddDays(1), "delay"), 1)]);
        await stores.Enrollments.EnrollAsync([Request("j", "b", T0, version: 2), Request("k", "a", T0)]);
        await EnrollAndEndAsync(stores, Request("j", "c", T0), T0);

        var cancelled = await stores.Enrollments.CancelAsync("j", null, null, "journey stopped", T0.AddHours(1));

        Assert.Equal(2, cancelled);
        var a = (await stores.Enrollments.GetByCustomerAsync("a")).Single(e => e.JourneyId == "j");
        Assert.Equal(EnrollmentStatus.Cancelled, a.Status);
        Assert.Null(a.CurrentNodeId);
        Assert.Null(a.WakeAt);
        Assert.Equal("journey stopped", a.EndReason);
        Assert.Equal(T0.AddHours(1), a.UpdatedAt);
        Assert.Equal(3, a.ConcurrencyToken);
        Assert.Equal(EnrollmentStatus.Cancelled, Assert.Single(await stores.Enrollments.GetByCustomerAsync("b")).Status);
        Assert.Equal(EnrollmentStatus.Active, (await stores.Enrollments.GetByCustomerAsync("a")).Single(e => e.JourneyId == "k").Status);
        Assert.Equal(EnrollmentStatus.Completed, Assert.Single(await stores.Enrollments.GetByCustomerAsync("c")).Status);
        Assert.Null(await stores.Enrollments.GetNextWakeAsync());

        var all = await stores.Statistics.GetAsync("j", null);
        Assert.Equal(2, all.Get(StatisticCounter.Cancelled));
        Assert.Equal(1, all.Get("delay", StatisticCounter.Cancelled));
        Assert.Equal(1, all.Get("start", StatisticCounter.Cancelled));
        Assert.Equal(1, (await stores.Statistics.GetAsync("j", 2)).Get("start", StatisticCounter.Cancelled));

        // Only the other journey's enrollment is left to claim.
        Assert.Equal("k", Assert.Single(await stores.Enrollments.ClaimAsync("engine", T0.AddDays(2), 10, Lease)).Enrollment.JourneyId);
    }

    [Fact]
    public async Task Cancel_by_version_leaves_other_versions()
    {
        await using var stores = await CreateAsync();
        await stores.Enrollments.EnrollAsync([Request("j", "a", T0, version: 1), Request("j", "b", T0, version: 2)]);

        Assert.Equal(1, await stores.Enrollments.CancelAsync("j", 1, null, "v1 retired", T0));

        Assert.Equal(EnrollmentStatus.Cancelled, Assert.Single(await stores.Enrollments.GetByCustomerAsync("a")).Status);
        Assert.Equal(EnrollmentStatus.Active, Assert.Single(await stores.Enrollments.GetByCustomerAsync("b")).Status);
    }

    [Fact]
    public async Task Cancel_by_customer_ends_their_enrollments_in_every_journey_only()
    {
        await using var stores = await CreateAsync();
        await stores.Enrollments.EnrollAsync([Request("j", "a", T0), Request("k", "a", T0), Request("j", "b", T0)]);

        Assert.Equal(2, await stores.Enrollments.CancelAsync(null, null, "a", "customer deleted", T0));
        Assert.Equal(0, await stores.Enrollments.CancelAsync(null, null, "a", "customer deleted", T0));

        Assert.All(await stores.Enrollments.GetByCustomerAsync("a"), e => Assert.Equal(EnrollmentStatus.Cancelled, e.Status));
        Assert.Equal(EnrollmentStatus.Active, Assert.Single(await stores.Enrollments.GetByCustomerAsync("b")).Status);
    }

    [Fact]
    public async Task Cancel_of_claimed_work_refuses_the_later_commit()
    {
        await using var stores = await CreateAsync();
        var item = await EnrollAndClaimAsync(stores, Request("j", "a", T0));

        Assert.Equal(1, await stores.Enrollments.CancelAsync("j", null, null, "stopped", T0.AddSeconds(1)));
        var late = await stores.Enrollments.CommitAsync("engine", [Checkpoint(WaitUntil(item.Enrollment, T0.AddHours(1)), 1, [Message("m1", T0)])]);

        Assert.False(Assert.Single(late));
        Assert.Equal(EnrollmentStatus.Cancelled, Assert.Single(await stores.Enrollments.GetByCustomerAsync("a")).Status);
        Assert.Null(await stores.Outbox.GetNextDueAsync());
        Assert.Null(await stores.Enrollments.GetNextWakeAsync());
    }

    [Fact]
    public async Task Cancelled_enrollment_lets_the_customer_enter_again_after_exit()
    {
        await using var stores = await CreateAsync();
        var rules = EntryRules.Default with { ReEntry = ReEntryMode.AfterExit };
        await stores.Enrollments.EnrollAsync([Request("j", "a", T0, rules)]);
        await stores.Enrollments.CancelAsync("j", null, "a", "stopped", T0);

        Assert.Equal(EnrollmentOutcomeKind.Created, Assert.Single(await stores.Enrollments.EnrollAsync([Request("j", "a", T0.AddMinutes(1), rules)])).Kind);
    }

    [Fact]
    public async Task Purge_deletes_old_events_every_live_enrollment_has_seen_and_keeps_the_rest()
    {
        await using var stores = await CreateAsync();
        await stores.Enrollments.AppendEventsAsync([Event("a", "seen", T0.AddMinutes(-10))]);
        var item = await EnrollAndClaimAsync(stores, Request("j", "a", T0));
        await stores.Enrollments.AppendEventsAsync([Event("a", "unseen", T0.AddMinutes(-5)), Event("a", "recent", T0.AddMinutes(5)), Event("nobody", "old", T0.AddMinutes(-5))]);
        await stores.Enrollments.CommitAsync("engine", [Checkpoint(WaitFor(item.Enrollment, "purchase"), 1)]);

        var purged = await stores.Enrollments.PurgeEventsAsync(T0);

        Assert.Equal(2, purged); // "seen" (before the entry) and "old" (no enrollment waits for it)
        await stores.Enrollments.AppendEventsAsync([Event("a", "purchase", T0.AddMinutes(6))]);
        var woken = Assert.Single(await stores.Enrollments.ClaimAsync("engine", T0.AddMinutes(7), 10, Lease));
        Assert.Equal(["unseen", "recent", "purchase"], woken.Events.Select(e => e.Event.Name));
        Assert.Equal(0, await stores.Enrollments.PurgeEventsAsync(T0));
    }

    [Fact]
    public async Task Purge_deletes_events_once_the_cursor_passed_them()
    {
        await using var stores = await CreateAsync();
        var item = await EnrollAndClaimAsync(stores, Request("j", "a", T0));
        await stores.Enrollments.AppendEventsAsync([Event("a", "one", T0), Event("a", "two", T0)]);
        await stores.Enrollments.CommitAsync("engine", [Checkpoint(item.Enrollment, 1)]);
        var next = Assert.Single(await stores.Enrollments.ClaimAsync("engine", T0, 10, Lease));
        var first = next.Events[0].Sequence;
        await stores.Enrollments.CommitAsync("engine", [Checkpoint(WaitFor(next.Enrollment, "never") with { EventCursor = first }, next.Enrollment.ConcurrencyToken)]);

        Assert.Equal(1, await stores.Enrollments.PurgeEventsAsync(T0.AddDays(1)));

        await stores.Enrollments.AppendEventsAsync([Event("a", "never", T0.AddMinutes(1))]);
        var woken = Assert.Single(await stores.Enrollments.ClaimAsync("engine", T0.AddMinutes(1), 10, Lease));
        Assert.Equal(["two", "never"], woken.Events.Select(e => e.Event.Name));
    }

    [Fact]
    public async Task Purge_of_many_events_and_ids_goes_past_any_step_size_and_keeps_the_unseen_events_among_them()
    {
        await using var stores = await CreateAsync();
        await WaitingAsync(stores, "w", "purchase");
        const int Events = 2_500;
        static string CustomerOf(int i) => i % 5 == 0 ? "w" : $"c{i % 7}";
        for (var start = 0; start < Events; start += 500)
        {
            // Interleaved in time: w's unseen events lie among the others in every step of the purge.
            await stores.Enrollments.AppendNewEventsAsync(
                [.. Enumerable.Range(start, 500).Select(i => EventWithId(CustomerOf(i), "viewed", $"e{i}", T0.AddSeconds(i - Events)))], T0, IdsSince);
        }

        Assert.Equal(Events - (Events / 5), await stores.Enrollments.PurgeEventsAsync(T0.AddMinutes(1)));
        Assert.Equal(0, await stores.Enrollments.PurgeEventsAsync(T0.AddMinutes(1)));

        await stores.Enrollments.AppendEventsAsync([Event("w", "purchase", T0.AddMinutes(2))]);
        var woken = Assert.Single(await stores.Enrollments.ClaimAsync("engine", T0.AddMinutes(2), 10, Lease));
        Assert.Equal(
            [.. Enumerable.Range(0, Events).Where(i => i % 5 == 0).Select(i => T0.AddSeconds(i - Events)), T0.AddMinutes(2)],
            woken.Events.Select(e => e.Event.Time));

        // Every id was recorded before the cut-off: checked with no window, each is new again.
        var again = await stores.Enrollments.AppendNewEventsAsync(
            [.. Enumerable.Range(0, Events).Select(i => EventWithId(CustomerOf(i), "viewed", $"e{i}", T0.AddMinutes(3)))], T0.AddMinutes(3), DateTimeOffset.MinValue);
        Assert.All(again, sequence => Assert.True(sequence > 0));
    }
}
