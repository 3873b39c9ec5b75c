namespace Journeys.Storage.Tests;

public abstract partial class EngineStoreContractTests
{
    private static readonly EntryRules AfterExit = new(ReEntryMode.AfterExit);

    [Fact]
    public async Task Purge_ended_deletes_ended_enrollments_before_the_cut_off_but_each_customers_latest_in_each_journey_and_every_live_one()
    {
        await using var stores = await CreateAsync();
        var a1 = await EnrollAndEndAsync(stores, Request("j", "a", T0, AfterExit), T0.AddHours(1));
        var a2 = await EnrollAndEndAsync(stores, Request("j", "a", T0.AddHours(1), AfterExit), T0.AddHours(2));
        var a3 = await EnrollAndEndAsync(stores, Request("j", "a", T0.AddHours(2), AfterExit), T0.AddHours(3));
        var aLive = await EnrollOneAsync(stores, Request("j", "a", T0.AddHours(3), AfterExit));
        var aOther = await EnrollAndEndAsync(stores, Request("k", "a", T0, AfterExit), T0.AddHours(1));
        var b1 = await EnrollAndEndAsync(stores, Request("j", "b", T0, AfterExit), T0.AddHours(1));
        var b2 = await EnrollAndEndAsync(stores, Request("j", "b", T0.AddHours(1), AfterExit), T0.AddHours(5));
        var waiting = await EnrollAndClaimAsync(stores, Request("j", "c", T0));
        await stores.Enrollments.CommitAsync("engine", [Checkpoint(WaitUntil(waiting.Enrollment, T0.AddDays(30), "delay"), waiting.Enrollment.ConcurrencyToken)]);

        Assert.Equal(3, await stores.Enrollments.PurgeEndedAsync(T0.AddHours(4)));

        Assert.Equal(
            new[] { a3.Id, aLive.Id, aOther.Id }.Order(),
            (await stores.Enrollments.GetByCustomerAsync("a")).Select(e => e.Id).Order());
        Assert.Equal(b2.Id, Assert.Single(await stores.Enrollments.GetByCustomerAsync("b")).Id);
        Assert.Equal(EnrollmentStatus.Waiting, Assert.Single(await stores.Enrollments.GetByCustomerAsync("c")).Status);
        Assert.DoesNotContain(await ToListAsync(stores.Enrollments.ListByJourneyAsync("j", null)), e => e.Id == a1.Id || e.Id == a2.Id || e.Id == b1.Id);

        // Nothing more to delete; the waiting enrollment's timer still fires.
        Assert.Equal(0, await stores.Enrollments.PurgeEndedAsync(T0.AddHours(4)));
        Assert.Equal(T0.AddDays(30), await stores.Enrollments.GetNextWakeAsync());
    }

    [Fact]
    public async Task Purge_ended_keeps_what_the_entry_rules_read_so_entries_decide_as_before()
    {
        await using var stores = await CreateAsync();
        var cooldown = new EntryRules(ReEntryMode.AfterCooldown, TimeSpan.FromDays(7));
        await EnrollAndEndAsync(stores, Request("never", "a", T0), T0.AddHours(1));
        await EnrollAndEndAsync(stores, Request("cool", "a", T0, cooldown), T0.AddHours(1));
        await EnrollAndEndAsync(stores, Request("cool", "a", T0.AddDays(8), cooldown), T0.AddDays(8));
        await EnrollAndEndAsync(stores, Request("capped", "b", T0, new EntryRules(ReEntryMode.AfterExit, EntryCap: 2)), T0.AddHours(1));
        await EnrollAndEndAsync(stores, Request("capped", "c", T0, new EntryRules(ReEntryMode.AfterExit, EntryCap: 2)), T0.AddHours(1));

        Assert.Equal(1, await stores.Enrollments.PurgeEndedAsync(T0.AddDays(365)));

        var outcomes = await stores.Enrollments.EnrollAsync(
        [
            Request("never", "a", T0.AddDays(400)),
            Request("cool", "a", T0.AddDays(10), cooldown),
            Request("capped", "d", T0.AddDays(400), new EntryRules(ReEntryMode.AfterExit, EntryCap: 2)),
        ]);
        Assert.Equal(
            [EnrollmentOutcomeKind.ReEntryRefused, EnrollmentOutcomeKind.ReEntryRefused, EnrollmentOutcomeKind.CapReached],
            outcomes.Select(o => o.Kind));
        Assert.Equal(EnrollmentOutcomeKind.Created, Assert.Single(await stores.Enrollments.EnrollAsync([Request("cool", "a", T0.AddDays(16), cooldown)])).Kind);
    }

    [Fact]
    public async Task Purge_ended_of_many_customers_deletes_every_old_one_past_any_step_size()
    {
        await using var stores = await CreateAsync();
        const int Customers = 1_500;
        var first = Enumerable.Range(0, Customers).Select(i => Request("j", $"c{i:D4}", T0, AfterExit)).ToArray();
        await stores.Enrollments.EnrollAsync(first);
        await EndAllAsync(stores, T0.AddHours(1));
        await stores.Enrollments.EnrollAsync([.. Enumerable.Range(0, Customers).Select(i => Request("j", $"c{i:D4}", T0.AddHours(2), AfterExit))]);
        await EndAllAsync(stores, T0.AddHours(3));

        Assert.Equal(Customers, await stores.Enrollments.PurgeEndedAsync(T0.AddDays(1)));

        var left = await ToListAsync(stores.Enrollments.ListByJourneyAsync("j", null));
        Assert.Equal(Customers, left.Count);
        Assert.All(left, e => Assert.Equal(T0.AddHours(3), e.UpdatedAt));
        Assert.DoesNotContain(left, e => first.Any(r => r.EnrollmentId == e.Id));

        static async Task EndAllAsync(StoreSet stores, DateTimeOffset at)
        {
            while (await stores.Enrollments.ClaimAsync("engine", at, 500, Lease) is { Count: > 0 } claimed)
            {
                Assert.All(
                    await stores.Enrollments.CommitAsync("engine", [.. claimed.Select(w => Checkpoint(Complete(w.Enrollment, at), w.Enrollment.ConcurrencyToken))]),
                    Assert.True);
            }
        }
    }
}
