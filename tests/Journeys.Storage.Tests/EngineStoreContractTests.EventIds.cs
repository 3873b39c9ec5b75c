namespace Journeys.Storage.Tests;

/// <summary>Event ids (a retried publish is not appended again) and an entry's first cursor at its entering event.</summary>
public abstract partial class EngineStoreContractTests
{
    private static readonly DateTimeOffset IdsSince = T0.AddDays(-1);

    private static CustomerEvent EventWithId(string customerId, string name, string? id, DateTimeOffset time) => Event(customerId, name, time) with { Id = id };

    /// <summary>An enrollment of <paramref name="customerId"/> committed waiting for <paramref name="wakeEvents"/>, its cursor at the customer's latest event.</summary>
    private static async Task<Enrollment> WaitingAsync(StoreSet stores, string customerId, params string[] wakeEvents)
    {
        await EnrollOneAsync(stores, Request("j", customerId, T0));
        var item = Assert.Single(await stores.Enrollments.ClaimAsync("engine", T0, 10, Lease));
        var waiting = WaitFor(item.Enrollment, wakeEvents);
        Assert.True(Assert.Single(await stores.Enrollments.CommitAsync("engine", [Checkpoint(waiting, item.Enrollment.ConcurrencyToken)])));
        return waiting;
    }

    [Fact]
    public async Task An_event_appended_again_with_its_id_within_the_window_is_not_appended_and_reads_back_with_its_id()
    {
        await using var stores = await CreateAsync();
        await WaitingAsync(stores, "a", "click");

        var first = await stores.Enrollments.AppendNewEventsAsync([EventWithId("a", "click", "evt-1", T0)], T0, IdsSince);
        var retry = await stores.Enrollments.AppendNewEventsAsync([EventWithId("a", "click", "evt-1", T0)], T0.AddMinutes(1), IdsSince);

        Assert.True(Assert.Single(first) > 0);
        Assert.Equal([0L], retry);
        var item = Assert.Single(await stores.Enrollments.ClaimAsync("engine", T0.AddMinutes(2), 10, Lease));
        var seen = Assert.Single(item.Events);
        Assert.Equal(first[0], seen.Sequence);
        Assert.Equal("evt-1", seen.Event.Id);
        Assert.Equal(("a", "click", T0), (seen.Event.CustomerId, seen.Event.Name, seen.Event.Time));
    }

    [Fact]
    public async Task Ids_are_per_customer_a_repeat_in_one_call_is_a_duplicate_and_events_without_id_always_go_in()
    {
        await using var stores = await CreateAsync();

        var sequences = await stores.Enrollments.AppendNewEventsAsync(
        [
            EventWithId("a", "click", "evt-1", T0),
            EventWithId("a", "click", "evt-1", T0),
            EventWithId("b", "click", "evt-1", T0),
            EventWithId("a", "click", null, T0),
            EventWithId("a", "click", null, T0),
            EventWithId("a", "click", "EVT-1", T0),
        ], T0, IdsSince);

        Assert.Equal(0L, sequences[1]);
        Assert.All(new[] { sequences[0], sequences[2], sequences[3], sequences[4], sequences[5] }, s => Assert.True(s > 0));
        var appended = new[] { sequences[0], sequences[2], sequences[3], sequences[4], sequences[5] };
        Assert.Equal(appended.Order(), appended);
        Assert.Equal(appended.Length, appended.Distinct().Count());
    }

    [Fact]
    public async Task An_id_recorded_before_the_window_is_appended_again_and_recorded_anew()
    {
        await using var stores = await CreateAsync();
        await stores.Enrollments.AppendNewEventsAsync([EventWithId("a", "click", "evt-1", T0)], T0, IdsSince);

        // A day later the window starts after the first record: the id is new again, and recorded at the new time.
        var later = T0.AddDays(1).AddSeconds(1);
        var again = await stores.Enrollments.AppendNewEventsAsync([EventWithId("a", "click", "evt-1", T0)], later, later.AddDays(-1));
        var retry = await stores.Enrollments.AppendNewEventsAsync([EventWithId("a", "click", "evt-1", T0)], later.AddHours(1), later.AddHours(1).AddDays(-1));

        Assert.True(Assert.Single(again) > 0);
        Assert.Equal([0L], retry);
    }

    [Fact]
    public async Task Concurrent_appends_of_one_id_append_it_once()
    {
        await using var stores = await CreateAsync();
        await WaitingAsync(stores, "a", "click");
        using var start = new ManualResetEventSlim();
        var appends = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            start.Wait();
            return (await stores.Enrollments.AppendNewEventsAsync([EventWithId("a", "click", "evt-1", T0), EventWithId("a", "tick", "tick-" + i, T0)], T0, IdsSince))[0];
        })).ToArray();
        start.Set();

        var sequences = await Task.WhenAll(appends);

        Assert.Single(sequences, s => s > 0);
        var item = Assert.Single(await stores.Enrollments.ClaimAsync("engine", T0, 10, Lease));
        Assert.Single(item.Events, e => e.Event.Name == "click");
        Assert.Equal(8, item.Events.Count(e => e.Event.Name == "tick"));
    }

    [Fact]
    public async Task Purging_removes_ids_recorded_before_the_cut_off_and_keeps_later_ones()
    {
        await using var stores = await CreateAsync();
        await stores.Enrollments.AppendNewEventsAsync([EventWithId("a", "click", "old", T0)], T0, IdsSince);
        await stores.Enrollments.AppendNewEventsAsync([EventWithId("a", "click", "new", T0)], T0.AddHours(2), IdsSince);

        await stores.Enrollments.PurgeEventsAsync(T0.AddHours(1));

        // Checked with no window at all: only a recorded id makes a duplicate now.
        var sequences = await stores.Enrollments.AppendNewEventsAsync(
            [EventWithId("a", "click", "old", T0), EventWithId("a", "click", "new", T0)], T0.AddHours(3), DateTimeOffset.MinValue);
        Assert.True(sequences[0] > 0);
        Assert.Equal(0L, sequences[1]);
    }

    [Fact]
    public async Task An_entry_with_an_event_cursor_below_the_customer_s_latest_sees_the_events_after_it_at_its_first_claim_or_lease()
    {
        await using var stores = await CreateAsync();
        var sequences = await stores.Enrollments.AppendNewEventsAsync(
            [Event("a", "signed_up", T0), Event("a", "purchase", T0.AddSeconds(1))], T0, IdsSince);

        var request = Request("j", "a", T0, wakeEvents: "purchase") with { EventCursor = sequences[0] };
        var result = await stores.Enrollments.EnrollLeasedAsync([request], new EnrollmentLease("engine", T0, Lease, 10));

        Assert.Equal(EnrollmentOutcomeKind.Created, Assert.Single(result.Outcomes).Kind);
        var item = result.Leased.SingleOrDefault() ?? Assert.Single(await stores.Enrollments.ClaimAsync("engine", T0, 10, Lease));
        Assert.Equal(sequences[0], item.Enrollment.EventCursor);
        Assert.Equal([sequences[1]], item.Events.Select(e => e.Sequence));

        // Without a cursor the entry starts at the customer's latest event, as before.
        var plain = await EnrollOneAsync(stores, Request("other", "a", T0));
        Assert.Equal(sequences[1], plain.EventCursor);
    }
}
