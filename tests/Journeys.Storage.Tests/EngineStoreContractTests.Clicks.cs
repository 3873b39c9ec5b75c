namespace Journeys.Storage.Tests;

/// <summary>The click counter of an enrollment belongs to the store: <c>AddClicksAsync</c> increments it, commits never write it.</summary>
public abstract partial class EngineStoreContractTests
{
    private static async Task<int> ClicksOfAsync(StoreSet stores, string customerId, Guid enrollmentId) =>
        (await stores.Enrollments.GetByCustomerAsync(customerId)).Single(e => e.Id == enrollmentId).Clicks;

    [Fact]
    public async Task AddClicks_counts_each_click_whether_the_enrollment_is_active_leased_waiting_or_ended()
    {
        await using var stores = await CreateAsync();
        var active = Request("j", "active", T0);
        var leased = Request("j", "leased", T0);
        var waiting = Request("j", "waiting", T0);
        var completed = Request("k", "completed", T0);
        var cancelled = Request("j", "cancelled", T0);
        await EnrollAndEndAsync(stores, completed, T0.AddMinutes(1));
        await EnrollOneAsync(stores, leased);
        await EnrollOneAsync(stores, waiting);
        await EnrollOneAsync(stores, cancelled);
        var claimed = await stores.Enrollments.ClaimAsync("engine", T0, 10, Lease);
        var waitingItem = claimed.Single(w => w.Enrollment.Id == waiting.EnrollmentId);
        Assert.True(Assert.Single(await stores.Enrollments.CommitAsync("engine", [Checkpoint(WaitUntil(waitingItem.Enrollment, T0.AddDays(1)), waitingItem.Enrollment.ConcurrencyToken)])));
        await stores.Enrollments.CancelAsync("j", null, "cancelled", "stopped", T0.AddMinutes(2));
        await EnrollOneAsync(stores, active);

        var counted = await stores.Enrollments.AddClicksAsync([
            new EnrollmentClick("active", active.EnrollmentId),
            new EnrollmentClick("leased", leased.EnrollmentId),
            new EnrollmentClick("waiting", waiting.EnrollmentId),
            new EnrollmentClick("completed", completed.EnrollmentId),
            new EnrollmentClick("cancelled", cancelled.EnrollmentId),
            new EnrollmentClick("completed", completed.EnrollmentId),
        ]);

        Assert.Equal([true, true, true, true, true, true], counted);
        Assert.Equal(1, await ClicksOfAsync(stores, "active", active.EnrollmentId));
        Assert.Equal(1, await ClicksOfAsync(stores, "leased", leased.EnrollmentId));
        Assert.Equal(1, await ClicksOfAsync(stores, "waiting", waiting.EnrollmentId));
        Assert.Equal(2, await ClicksOfAsync(stores, "completed", completed.EnrollmentId));
        Assert.Equal(1, await ClicksOfAsync(stores, "cancelled", cancelled.EnrollmentId));
        var exported = await ToListAsync(stores.Enrollments.ListByJourneyAsync("k", null));
        Assert.Equal((EnrollmentStatus.Completed, 2), (Assert.Single(exported).Status, exported[0].Clicks));
    }

    [Fact]
    public async Task AddClicks_changes_nothing_for_an_unknown_enrollment_or_one_of_another_customer()
    {
        await using var stores = await CreateAsync();
        var mine = Request("j", "c1", T0);
        await EnrollOneAsync(stores, mine);

        var counted = await stores.Enrollments.AddClicksAsync([
            new EnrollmentClick("c1", Guid.NewGuid()),
            new EnrollmentClick("c2", mine.EnrollmentId),
            new EnrollmentClick("c1", mine.EnrollmentId),
        ]);

        Assert.Equal([false, false, true], counted);
        Assert.Equal(1, await ClicksOfAsync(stores, "c1", mine.EnrollmentId));
        Assert.Empty(await stores.Enrollments.GetByCustomerAsync("c2"));
        Assert.Empty(await stores.Enrollments.AddClicksAsync([]));
    }

    [Fact]
    public async Task AddClicks_refuses_a_click_without_a_customer_and_counts_nothing_of_the_call()
    {
        await using var stores = await CreateAsync();
        var mine = Request("j", "c1", T0);
        await EnrollOneAsync(stores, mine);

        await Assert.ThrowsAsync<ArgumentNullException>(() => stores.Enrollments.AddClicksAsync(null!).AsTask());
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => stores.Enrollments.AddClicksAsync([
            new EnrollmentClick("c1", mine.EnrollmentId),
            new EnrollmentClick("", mine.EnrollmentId),
        ]).AsTask());

        Assert.Contains("index 1", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, await ClicksOfAsync(stores, "c1", mine.EnrollmentId));
    }

    [Fact]
    public async Task A_commit_keeps_the_stored_click_counter_whatever_its_state_says()
    {
        await using var stores = await CreateAsync();
        var request = Request("j", "c1", T0);
        var item = await EnrollAndClaimAsync(stores, request);
        Assert.Equal(0, item.Enrollment.Clicks);

        // A click lands between the claim and the commit: the committed state (read before it) says 0.
        await stores.Enrollments.AddClicksAsync([new EnrollmentClick("c1", request.EnrollmentId)]);
        var waiting = WaitUntil(item.Enrollment, T0.AddHours(1)) with { MessagesSent = 1 };
        Assert.True(Assert.Single(await stores.Enrollments.CommitAsync("engine", [Checkpoint(waiting, item.Enrollment.ConcurrencyToken)])));
        var stored = Assert.Single(await stores.Enrollments.GetByCustomerAsync("c1"));
        Assert.Equal((EnrollmentStatus.Waiting, 1, 1), (stored.Status, stored.MessagesSent, stored.Clicks));

        // The claim hands out the stored count; a state that claims another count does not change it either.
        var again = Assert.Single(await stores.Enrollments.ClaimAsync("engine", T0.AddHours(1), 10, Lease));
        Assert.Equal(1, again.Enrollment.Clicks);
        var ended = Complete(again.Enrollment, T0.AddHours(1)) with { Clicks = 99 };
        Assert.True(Assert.Single(await stores.Enrollments.CommitAsync("engine", [Checkpoint(ended, again.Enrollment.ConcurrencyToken)])));
        Assert.Equal(1, await ClicksOfAsync(stores, "c1", request.EnrollmentId));

        await stores.Enrollments.AddClicksAsync([new EnrollmentClick("c1", request.EnrollmentId)]);
        Assert.Equal(2, await ClicksOfAsync(stores, "c1", request.EnrollmentId));
    }

    [Fact]
    public async Task A_batch_that_names_an_enrollment_twice_keeps_the_stored_click_counters_too()
    {
        // A durable store may apply such a batch one checkpoint at a time (the later checkpoint is stale): that path
        // must leave the click counter alone as well.
        await using var stores = await CreateAsync();
        var first = Request("j", "c1", T0);
        var second = Request("j", "c2", T0);
        await EnrollOneAsync(stores, first);
        await EnrollOneAsync(stores, second);
        var claimed = await stores.Enrollments.ClaimAsync("engine", T0, 10, Lease);
        await stores.Enrollments.AddClicksAsync([new EnrollmentClick("c1", first.EnrollmentId), new EnrollmentClick("c2", second.EnrollmentId)]);
        var a = claimed.Single(w => w.Enrollment.Id == first.EnrollmentId).Enrollment;
        var b = claimed.Single(w => w.Enrollment.Id == second.EnrollmentId).Enrollment;

        var applied = await stores.Enrollments.CommitAsync("engine", [
            Checkpoint(Complete(a, T0.AddMinutes(1)), a.ConcurrencyToken),
            Checkpoint(WaitUntil(b, T0.AddHours(1)), b.ConcurrencyToken),
            Checkpoint(Complete(a, T0.AddMinutes(1)) with { Clicks = 5 }, a.ConcurrencyToken),
        ]);

        Assert.Equal([true, true, false], applied);
        Assert.Equal(1, await ClicksOfAsync(stores, "c1", first.EnrollmentId));
        Assert.Equal(1, await ClicksOfAsync(stores, "c2", second.EnrollmentId));
    }

    [Fact]
    public async Task Clicks_racing_commits_are_neither_lost_nor_counted_twice()
    {
        await using var stores = await CreateAsync();
        var requests = Enumerable.Range(0, 60).Select(i => Request("j", "c" + i, T0)).ToArray();
        await stores.Enrollments.EnrollAsync(requests);
        var claimed = await stores.Enrollments.ClaimAsync("engine", T0, 100, Lease);
        Assert.Equal(60, claimed.Count);

        // Half the enrollments end in the commits, half go on waiting; every one gets three clicks meanwhile.
        var checkpoints = claimed.Select((w, i) => Checkpoint(
            i % 2 == 0 ? Complete(w.Enrollment, T0.AddMinutes(1)) : WaitUntil(w.Enrollment, T0.AddHours(1)),
            w.Enrollment.ConcurrencyToken)).ToArray();
        using var start = new ManualResetEventSlim();
        var commits = Task.Run(async () =>
        {
            start.Wait();
            var applied = 0;
            foreach (var chunk in checkpoints.Chunk(4))
            {
                applied += (await stores.Enrollments.CommitAsync("engine", chunk)).Count(a => a);
            }

            return applied;
        });
        var clicks = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            foreach (var chunk in requests.Chunk(7))
            {
                var counted = await stores.Enrollments.AddClicksAsync([.. chunk.Select(r => new EnrollmentClick(r.CustomerId, r.EnrollmentId))]);
                Assert.All(counted, Assert.True);
            }
        })).ToArray();
        start.Set();

        Assert.Equal(60, await commits);
        await Task.WhenAll(clicks);
        var stored = await ToListAsync(stores.Enrollments.ListByJourneyAsync("j", null));
        Assert.Equal(60, stored.Count);
        Assert.All(stored, e => Assert.Equal(3, e.Clicks));
        Assert.Equal(30, stored.Count(e => e.Status == EnrollmentStatus.Completed));
    }
}
