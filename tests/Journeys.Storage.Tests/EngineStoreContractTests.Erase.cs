namespace Journeys.Storage.Tests;

/// <summary>Erasing a customer: <see cref="IEnrollmentStore.EraseCustomerAsync"/> and <see cref="IFrequencyCapStore.EraseCustomerSendsAsync"/>.</summary>
public abstract partial class EngineStoreContractTests
{
    [Fact]
    public async Task Erase_deletes_every_ended_enrollment_of_the_customer_and_their_event_ids_but_live_ones_and_other_customers()
    {
        await using var stores = await CreateAsync();
        await EnrollAndEndAsync(stores, Request("j", "a", T0, AfterExit), T0.AddHours(1));
        await EnrollAndEndAsync(stores, Request("j", "a", T0.AddHours(1), AfterExit), T0.AddHours(2));
        await EnrollAndEndAsync(stores, Request("k", "a", T0), T0.AddHours(1));
        var other = await EnrollAndEndAsync(stores, Request("k", "b", T0), T0.AddHours(1));
        Assert.True(Assert.Single(await stores.Enrollments.AppendNewEventsAsync([EventWithId("a", "viewed", "evt-a", T0)], T0, IdsSince)) > 0);
        Assert.True(Assert.Single(await stores.Enrollments.AppendNewEventsAsync([EventWithId("b", "viewed", "evt-b", T0)], T0, IdsSince)) > 0);

        Assert.Equal(3, await stores.Enrollments.EraseCustomerAsync("a"));

        Assert.Empty(await stores.Enrollments.GetByCustomerAsync("a"));
        Assert.Equal(other.Id, Assert.Single(await stores.Enrollments.GetByCustomerAsync("b")).Id);

        // The customer's event ids are gone (the same id is new again); another customer's stay.
        Assert.True(Assert.Single(await stores.Enrollments.AppendNewEventsAsync([EventWithId("a", "viewed", "evt-a", T0)], T0.AddMinutes(1), IdsSince)) > 0);
        Assert.Equal([0L], await stores.Enrollments.AppendNewEventsAsync([EventWithId("b", "viewed", "evt-b", T0)], T0.AddMinutes(1), IdsSince));

        // Forgotten: a "never" journey takes the customer again; its entry count still counts the erased entries.
        Assert.Equal(EnrollmentOutcomeKind.Created, Assert.Single(await stores.Enrollments.EnrollAsync([Request("k", "a", T0.AddDays(1))])).Kind);
        Assert.Equal(0, await stores.Enrollments.EraseCustomerAsync("nobody"));
    }

    [Fact]
    public async Task Erase_leaves_a_live_enrollment_and_the_events_it_has_not_read()
    {
        await using var stores = await CreateAsync();
        var waiting = await WaitingAsync(stores, "a", "click");
        await stores.Enrollments.AppendNewEventsAsync([Event("a", "click", T0.AddMinutes(1))], T0.AddMinutes(1), IdsSince);

        Assert.Equal(0, await stores.Enrollments.EraseCustomerAsync("a"));

        var item = Assert.Single(await stores.Enrollments.ClaimAsync("engine", T0.AddMinutes(2), 10, Lease));
        Assert.Equal(waiting.Id, item.Enrollment.Id);
        Assert.Equal("click", Assert.Single(item.Events).Event.Name);
    }

    [Fact]
    public async Task Erase_takes_the_customer_out_of_every_version_of_every_journey_list_in_place_with_a_new_etag()
    {
        await using var stores = await CreateAsync();
        static JourneyDefinition Listing(string id, int version, params string[] ids) => Journey(id, version) with { Entry = new CustomerListEntry(ids) };
        var v1 = await stores.Journeys.SaveAsync(Listing("list", 1, "a", "b", "a") with { Status = JourneyStatus.Active }, null);
        await stores.Journeys.SaveIntakeAsync(new JourneyIntake(Guid.NewGuid(), "list", 1, T0.AddDays(1)));
        var v2 = await stores.Journeys.SaveAsync(Listing("list", 2, "b", "a"), v1.ETag);
        var other = await stores.Journeys.SaveAsync(Listing("other", 1, "b", "aa"), null);
        var named = await stores.Journeys.SaveAsync(Journey("named", name: "customerList"), null);
        var intakes = await ToListAsync(stores.Journeys.ListIntakesAsync());
        Time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(["list"], await stores.Journeys.EraseCustomerAsync("a"));

        var first = (await stores.Journeys.GetVersionAsync("list", 1))!;
        var latest = (await stores.Journeys.GetAsync("list"))!;
        Assert.Equal(Listing("list", 1, "b") with { Status = JourneyStatus.Active }, first.Journey);
        Assert.Equal(Listing("list", 2, "b"), latest.Journey);
        Assert.Equal(T0.AddMinutes(5), latest.UpdatedAt);
        Assert.Equal(4, new[] { v1.ETag, v2.ETag, first.ETag, latest.ETag }.Distinct().Count());
        Assert.Equal(latest, (await ToListAsync(stores.Journeys.ListAsync())).Single(r => r.Journey.Id == "list"));
        Assert.Equal(other, await stores.Journeys.GetAsync("other"));
        Assert.Equal(named, await stores.Journeys.GetAsync("named"));
        Assert.Equal(intakes, await ToListAsync(stores.Journeys.ListIntakesAsync()));

        // A save from a read before the erasure is refused; one from the new ETag is not.
        await Assert.ThrowsAsync<JourneyConcurrencyException>(() => stores.Journeys.SaveAsync(Listing("list", 2, "b", "a"), v2.ETag).AsTask());
        Assert.Empty(await stores.Journeys.EraseCustomerAsync("a"));
        Assert.Empty(await stores.Journeys.EraseCustomerAsync("nobody"));
        Assert.Equal(["list", "other"], await stores.Journeys.EraseCustomerAsync("b"));
        Assert.Empty(((CustomerListEntry)(await stores.Journeys.GetAsync("list"))!.Journey.Entry).CustomerIds);
    }

    [Fact]
    public async Task Erase_sends_removes_the_customers_frequency_records_only()
    {
        await using var stores = await CreateAsync();
        Assert.Equal([true, true], await Sends(stores).TryReserveSendsAsync([Send("a", "k1"), Send("b", "k1")], 1, Day, T0));

        Assert.Equal(1, await Sends(stores).EraseCustomerSendsAsync("a"));
        Assert.Equal(0, await Sends(stores).EraseCustomerSendsAsync("a"));

        Assert.Equal([true, false], await Sends(stores).TryReserveSendsAsync([Send("a", "k2"), Send("b", "k2")], 1, Day, T0.AddHours(1)));
    }
}
