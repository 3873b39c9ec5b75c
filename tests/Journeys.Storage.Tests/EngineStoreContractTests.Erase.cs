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
    public async Task Erase_sends_removes_the_customers_frequency_records_only()
    {
        await using var stores = await CreateAsync();
        Assert.Equal([true, true], await Sends(stores).TryReserveSendsAsync([Send("a", "k1"), Send("b", "k1")], 1, Day, T0));

        Assert.Equal(1, await Sends(stores).EraseCustomerSendsAsync("a"));
        Assert.Equal(0, await Sends(stores).EraseCustomerSendsAsync("a"));

        Assert.Equal([true, false], await Sends(stores).TryReserveSendsAsync([Send("a", "k2"), Send("b", "k2")], 1, Day, T0.AddHours(1)));
    }
}
