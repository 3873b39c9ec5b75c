namespace Journeys.Storage.Tests;

/// <summary>
/// <c>PublishEventsAsync</c>: the events and what the appended ones cause (entries, clicks, feedback statistics) in one
/// atomic step, so a retried publish (the same ids) makes what a failed one did not, and nothing twice.
/// </summary>
public abstract partial class EngineStoreContractTests
{
    // A click on a message of the enrollment "a" has in journey k, a sign-up of b (enters j), and b's purchase after it.
    private static CustomerEvent[] PublishedCall() =>
    [
        EventWithId("a", "clicked", "k1", T0),
        EventWithId("b", "signed_up", "s1", T0),
        Event("b", "purchase", T0.AddSeconds(1)),
    ];

    private static EventConsequence[] Consequences(Guid clicked, EnrollmentRequest entry) =>
    [
        new(0) { Feedback = new StatisticDelta("k", 1, "send", StatisticCounter.Clicked), Click = new EnrollmentClick("a", clicked) },
        new(1) { Entry = entry },
    ];

    private static async Task<(long Clicks, long Clicked, int Entries)> MadeAsync(StoreSet stores, Guid clicked) => (
        (await stores.Enrollments.GetByCustomerAsync("a")).Single(e => e.Id == clicked).Clicks,
        (await stores.Statistics.GetAsync("k", 1)).Get("send", StatisticCounter.Clicked),
        (await stores.Enrollments.GetByCustomerAsync("b")).Count);

    [Fact]
    public async Task PublishEvents_makes_the_entries_clicks_and_feedback_of_appended_events_and_none_of_duplicates()
    {
        await using var stores = await CreateAsync();
        var clicked = (await EnrollOneAsync(stores, Request("k", "a", T0))).Id;
        var entry = Request("j", "b", T0, wakeEvents: "purchase");

        var published = await stores.Enrollments.PublishEventsAsync(PublishedCall(), T0, IdsSince, Consequences(clicked, entry), null);

        Assert.NotNull(published);
        Assert.All(published.Sequences, s => Assert.True(s > 0));
        Assert.Equal([null, new EnrollmentOutcome(EnrollmentOutcomeKind.Created, entry.EnrollmentId)], published.Entries);
        Assert.Equal((1L, 1L, 1), await MadeAsync(stores, clicked));

        // The entry starts at its sign-up: the purchase after it, in the same call, reaches it.
        var item = Assert.Single(await stores.Enrollments.ClaimAsync("engine", T0, 10, Lease), w => w.Enrollment.Id == entry.EnrollmentId);
        Assert.Equal(published.Sequences[1], item.Enrollment.EventCursor);
        Assert.Equal([published.Sequences[2]], item.Events.Select(e => e.Sequence));

        // The retry (a new enrollment id, as the caller makes one per call): the ids are recorded, nothing is made again.
        var retry = await stores.Enrollments.PublishEventsAsync(PublishedCall().Take(2).ToArray(), T0.AddMinutes(1), IdsSince, Consequences(clicked, Request("j", "b", T0.AddMinutes(1))), null);
        Assert.NotNull(retry);
        Assert.Equal([0L, 0L], retry.Sequences);
        Assert.Equal([null, null], retry.Entries);
        Assert.Equal((1L, 1L, 1), await MadeAsync(stores, clicked));
    }

    [Fact]
    public async Task PublishEvents_that_fails_writes_nothing_so_its_retry_makes_everything()
    {
        await using var stores = await CreateAsync();
        var clicked = (await EnrollOneAsync(stores, Request("k", "a", T0))).Id;

        // The entry's enrollment id is taken (a store failure in the middle of the step, as far as the caller can tell).
        var taken = Request("j", "b", T0) with { EnrollmentId = clicked };
        await Assert.ThrowsAsync<ArgumentException>(() => stores.Enrollments.PublishEventsAsync(PublishedCall(), T0, IdsSince, Consequences(clicked, taken), null).AsTask());
        Assert.Equal((0L, 0L, 0), await MadeAsync(stores, clicked));

        var retry = await stores.Enrollments.PublishEventsAsync(PublishedCall(), T0.AddMinutes(1), IdsSince, Consequences(clicked, Request("j", "b", T0)), null);
        Assert.NotNull(retry);
        Assert.All(retry.Sequences, s => Assert.True(s > 0));
        Assert.Equal((1L, 1L, 1), await MadeAsync(stores, clicked));
    }

    [Fact]
    public async Task Concurrent_PublishEvents_of_the_same_ids_make_the_entry_and_count_the_click_once()
    {
        await using var stores = await CreateAsync();
        var clicked = (await EnrollOneAsync(stores, Request("k", "a", T0))).Id;
        using var start = new ManualResetEventSlim();
        var calls = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            return await stores.Enrollments.PublishEventsAsync(PublishedCall().Take(2).ToArray(), T0, IdsSince, Consequences(clicked, Request("j", "b", T0)), null);
        })).ToArray();
        start.Set();

        var results = await Task.WhenAll(calls);

        Assert.Equal(2, results.Sum(r => r!.Sequences.Count(s => s > 0)));
        Assert.Single(results, r => r!.Entries[1] is { Kind: EnrollmentOutcomeKind.Created });
        Assert.Equal((1L, 1L, 1), await MadeAsync(stores, clicked));
    }

    [Fact]
    public async Task PublishEvents_refuses_a_consequence_naming_no_event_of_the_call_before_writing_anything_and_takes_an_empty_call()
    {
        await using var stores = await CreateAsync();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => stores.Enrollments.PublishEventsAsync(
            [EventWithId("b", "signed_up", "s1", T0)], T0, IdsSince, [new EventConsequence(1) { Entry = Request("j", "b", T0) }], null).AsTask());

        Assert.Contains("Consequence at index 0", error.Message, StringComparison.Ordinal);

        var empty = await stores.Enrollments.PublishEventsAsync([], T0, IdsSince, [], null);
        Assert.NotNull(empty);
        Assert.Empty(empty.Sequences);
        Assert.Empty(empty.Entries);
        Assert.True(Assert.Single(await stores.Enrollments.AppendNewEventsAsync([EventWithId("b", "signed_up", "s1", T0)], T0, IdsSince)) > 0);
    }
}
