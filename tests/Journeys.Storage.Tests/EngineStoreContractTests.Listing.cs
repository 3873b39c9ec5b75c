namespace Journeys.Storage.Tests;

public abstract partial class EngineStoreContractTests
{
    [Fact]
    public async Task ListByJourney_returns_every_enrollment_of_the_journey_ordered_by_customer()
    {
        await using var stores = await CreateAsync();
        var rules = EntryRules.Default with { ReEntry = ReEntryMode.AfterExit };
        await stores.Enrollments.EnrollAsync([Request("j", "c2", T0, rules), Request("j", "c1", T0, rules), Request("other", "c1", T0)]);
        await stores.Enrollments.CancelAsync("j", null, "c1", "test", T0.AddMinutes(1));
        await stores.Enrollments.EnrollAsync([Request("j", "c1", T0.AddMinutes(2), rules, version: 2)]);

        var all = await ToListAsync(stores.Enrollments.ListByJourneyAsync("j", null));
        var v2 = await ToListAsync(stores.Enrollments.ListByJourneyAsync("j", 2));

        Assert.Equal([("c1", 1, EnrollmentStatus.Cancelled), ("c1", 2, EnrollmentStatus.Active), ("c2", 1, EnrollmentStatus.Active)], all.Select(e => (e.CustomerId, e.Version, e.Status)));
        Assert.Equal([("c1", 2)], v2.Select(e => (e.CustomerId, e.Version)));
        Assert.Empty(await ToListAsync(stores.Enrollments.ListByJourneyAsync("missing", null)));
    }

    [Fact]
    public async Task A_committed_state_keeps_its_message_counter_and_the_stored_click_counter_for_the_per_customer_export()
    {
        await using var stores = await CreateAsync();
        var request = Request("j", "c1", T0);
        await EnrollOneAsync(stores, request);
        var item = Assert.Single(await stores.Enrollments.ClaimAsync("engine", T0, 10, Lease));
        var state = WaitUntil(item.Enrollment, T0.AddHours(1)) with { MessagesSent = 3, Clicks = 7 };
        Assert.True(Assert.Single(await stores.Enrollments.CommitAsync("engine", [Checkpoint(state, item.Enrollment.ConcurrencyToken)])));
        await stores.Enrollments.AddClicksAsync([new EnrollmentClick("c1", request.EnrollmentId), new EnrollmentClick("c1", request.EnrollmentId)]);

        // MessagesSent comes from the committed state; Clicks from the store's counter (the state's 7 is ignored).
        var listed = Assert.Single(await ToListAsync(stores.Enrollments.ListByJourneyAsync("j", null)));
        Assert.Equal((3, 2), (listed.MessagesSent, listed.Clicks));
        var read = Assert.Single(await stores.Enrollments.GetByCustomerAsync("c1"));
        Assert.Equal((3, 2), (read.MessagesSent, read.Clicks));

        var claimed = Assert.Single(await stores.Enrollments.ClaimAsync("engine", T0.AddHours(1), 10, Lease));
        Assert.Equal((3, 2), (claimed.Enrollment.MessagesSent, claimed.Enrollment.Clicks));
    }
}
