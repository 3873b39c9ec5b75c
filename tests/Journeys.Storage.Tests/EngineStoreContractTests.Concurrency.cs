namespace Journeys.Storage.Tests;

public abstract partial class EngineStoreContractTests
{
    [Fact]
    public async Task Concurrent_claims_never_hand_one_enrollment_to_two_owners()
    {
        await using var stores = await CreateAsync();
        var requests = Enumerable.Range(0, 200).Select(i => Request("j", "c" + i, T0)).ToArray();
        await stores.Enrollments.EnrollAsync(requests);
        using var start = new ManualResetEventSlim();
        var owners = Enumerable.Range(0, 4).Select(o => Task.Run(async () =>
        {
            start.Wait();
            var mine = new List<Guid>();
            while (await stores.Enrollments.ClaimAsync("engine-" + o, T0, 7, Lease) is { Count: > 0 } batch)
            {
                mine.AddRange(batch.Select(w => w.Enrollment.Id));
            }

            return mine;
        })).ToArray();
        start.Set();

        var claimed = (await Task.WhenAll(owners)).SelectMany(ids => ids).ToList();

        Assert.Equal(requests.Length, claimed.Count);
        Assert.Equal(requests.Select(r => r.EnrollmentId).Order(), claimed.Order());
    }

    [Fact]
    public async Task Concurrent_commits_and_cancellation_leave_each_enrollment_either_committed_or_cancelled()
    {
        await using var stores = await CreateAsync();
        await stores.Enrollments.EnrollAsync(Enumerable.Range(0, 100).Select(i => Request("j", "c" + i, T0)).ToArray());
        var claimed = await stores.Enrollments.ClaimAsync("engine", T0, 100, Lease);
        var checkpoints = claimed.Select(w => Checkpoint(WaitUntil(w.Enrollment, T0.AddHours(1)), 1, statistics: [new StatisticDelta("j", 1, "wait", StatisticCounter.Entered)])).ToArray();

        var commits = Task.Run(async () =>
        {
            var applied = 0;
            foreach (var chunk in checkpoints.Chunk(5))
            {
                applied += (await stores.Enrollments.CommitAsync("engine", chunk)).Count(a => a);
            }

            return applied;
        });
        var cancelled = await Task.Run(() => stores.Enrollments.CancelAsync("j", null, null, "stopped", T0).AsTask());
        var committed = await commits;

        // Cancellation covers every enrollment (claimed or waiting), so each one ends cancelled; the commits that came
        // first are counted, the later ones refused.
        Assert.Equal(100, cancelled);
        var statistics = await stores.Statistics.GetAsync("j", 1);
        Assert.Equal(committed, statistics.Get("wait", StatisticCounter.Entered));
        Assert.Equal(100, statistics.Get(StatisticCounter.Cancelled));
        Assert.Equal(committed, statistics.Get("wait", StatisticCounter.Cancelled));
        Assert.Equal(100 - committed, statistics.Get("start", StatisticCounter.Cancelled));
        Assert.Null(await stores.Enrollments.GetNextWakeAsync());
    }

    [Fact]
    public async Task Cancel_with_no_filter_ends_every_live_enrollment()
    {
        await using var stores = await CreateAsync();
        await stores.Enrollments.EnrollAsync([Request("j", "a", T0), Request("k", "b", T0, version: 3)]);

        Assert.Equal(2, await stores.Enrollments.CancelAsync(null, null, null, "shutdown", T0));
        Assert.Empty(await stores.Enrollments.ClaimAsync("engine", T0, 10, Lease));
    }

    [Fact]
    public async Task Enroll_with_a_reused_enrollment_id_writes_nothing()
    {
        await using var stores = await CreateAsync();
        var first = Request("j", "a", T0);
        await EnrollOneAsync(stores, first);

        await Assert.ThrowsAsync<ArgumentException>(() => stores.Enrollments.EnrollAsync([Request("j", "b", T0), first with { CustomerId = "c" }]).AsTask());

        Assert.Empty(await stores.Enrollments.GetByCustomerAsync("b"));
        Assert.Empty(await stores.Enrollments.GetByCustomerAsync("c"));
    }
}
