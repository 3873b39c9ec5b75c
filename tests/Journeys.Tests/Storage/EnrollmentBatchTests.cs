using System.Collections.Immutable;
using Journeys.Model;
using Journeys.Storage;
using Journeys.Storage.InMemory;

namespace Journeys.Tests.Storage;

public sealed class EnrollmentBatchTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private static readonly EntryRules Window = new(WindowStart: T0.AddSeconds(1));

    private static readonly EquatableArray<string> Goals = new(ImmutableArray.Create("purchase"));

    // Customer "b" is already in the journey; "c" enters before the window opens; the others enter.
    private static readonly (Guid Id, string Customer, DateTimeOffset At)[] Entries =
    [
        (Guid.Parse("00000000-0000-0000-0000-0000000000a1"), "a", T0.AddSeconds(1)),
        (Guid.Parse("00000000-0000-0000-0000-0000000000b1"), "b", T0.AddSeconds(1)),
        (Guid.Parse("00000000-0000-0000-0000-0000000000c1"), "c", T0),
        (Guid.Parse("00000000-0000-0000-0000-0000000000d1"), "d", T0.AddSeconds(2)),
    ];

    [Fact]
    public async Task The_in_memory_store_enrolls_a_batch_through_its_columns_exactly_as_the_same_requests()
    {
        var batch = Batch();
        var requests = Entries.Select(e => Request(e.Id, e.Customer, e.At)).ToArray();
        var fromBatch = await Store();
        var fromRequests = await Store();

        var batchOutcomes = await fromBatch.EnrollAsync(batch);
        var requestOutcomes = await fromRequests.EnrollAsync(requests);

        Assert.False(batch.RequestsBuilt, "the in-memory store built the batch's request records");
        Assert.Equal(requestOutcomes, batchOutcomes);
        Assert.Equal(
            [EnrollmentOutcomeKind.Created, EnrollmentOutcomeKind.DuplicateActive, EnrollmentOutcomeKind.OutsideWindow, EnrollmentOutcomeKind.Created],
            batchOutcomes.Select(o => o.Kind));
        foreach (var customer in new[] { "a", "b", "c", "d" })
        {
            Assert.Equal(await fromRequests.GetByCustomerAsync(customer), await fromBatch.GetByCustomerAsync(customer));
        }

        var d = Assert.Single(await fromBatch.GetByCustomerAsync("d"));
        Assert.Equal(T0.AddSeconds(2), d.EnteredAt);
        Assert.Equal(Goals, d.WakeEvents);

        // Leased at entry: the same items as from the requests.
        var leasedBatch = Batch();
        var lease = new EnrollmentLease("owner", T0, TimeSpan.FromMinutes(1), 10);
        var leased = await (await Store()).EnrollLeasedAsync(leasedBatch, lease);
        var leasedRequests = await (await Store()).EnrollLeasedAsync(Entries.Select(e => Request(e.Id, e.Customer, e.At)).ToArray(), lease);
        Assert.False(leasedBatch.RequestsBuilt, "the in-memory store built the batch's request records");
        Assert.Equal(leasedRequests.Outcomes, leased.Outcomes);
        Assert.Equal(leasedRequests.Leased.Select(i => i.Enrollment), leased.Leased.Select(i => i.Enrollment));
    }

    [Fact]
    public void Read_as_a_list_the_batch_is_its_requests_built_once()
    {
        var batch = Batch();

        Assert.Equal(Entries.Length, batch.Count);
        Assert.Equal("d", EnrollmentBatch.CustomerIdOf(batch, 3));
        Assert.Equal("j", EnrollmentBatch.JourneyIdOf(batch, 3));
        Assert.Equal(2, EnrollmentBatch.VersionOf(batch, 3));
        Assert.False(batch.RequestsBuilt);

        Assert.Equal(Entries.Select(e => Request(e.Id, e.Customer, e.At)), batch);
        Assert.True(batch.RequestsBuilt);
        Assert.Same(batch[2], batch[2]);
        Assert.Throws<ArgumentOutOfRangeException>(() => batch[4]);
        Assert.Throws<InvalidOperationException>(() => batch.Add(Guid.NewGuid(), "e", T0));
    }

    [Fact]
    public async Task A_batch_entry_without_a_customer_is_refused_naming_its_index_and_nothing_is_written()
    {
        var batch = new EnrollmentBatch("j", 2, "start", Window, Goals, T0, 2);
        batch.Add(Guid.NewGuid(), "a", T0.AddSeconds(1));
        batch.Add(Guid.NewGuid(), string.Empty, T0.AddSeconds(1));
        var store = new InMemoryEngineStore(new InMemoryCustomerStore());

        var refused = await Assert.ThrowsAsync<ArgumentException>(async () => await store.EnrollAsync(batch));

        Assert.Contains("index 1", refused.Message, StringComparison.Ordinal);
        Assert.Empty(await store.GetByCustomerAsync("a"));
    }

    [Fact]
    public async Task A_batch_that_skips_used_ids_skips_an_id_repeated_in_it_or_already_used_by_an_ended_enrollment_and_enrolls_the_rest()
    {
        var store = await Store();
        var ended = Guid.Parse("00000000-0000-0000-0000-0000000000e1");
        await store.EnrollAsync([Request(ended, "e", T0.AddSeconds(1))]);
        Assert.Equal(1, await store.CancelAsync("j", null, "e", "test", T0.AddSeconds(1)));

        // "a" twice (the second with its first entry's id), and "e" again under the id of its ended enrollment: without
        // the skip, the batch would be refused (the repeated id) and "e" would enter again (nothing active refuses it).
        var batch = new EnrollmentBatch("j", 2, "start", EntryRules.Default with { ReEntry = ReEntryMode.AfterExit }, Goals, T0.AddSeconds(1), 4) { SkipUsedIds = true };
        batch.Add(Entries[0].Id, "a", T0.AddSeconds(1));
        batch.Add(ended, "e", T0.AddSeconds(1));
        batch.Add(Entries[0].Id, "a", T0.AddSeconds(1));
        batch.Add(Entries[3].Id, "d", T0.AddSeconds(1));

        var outcomes = await store.EnrollLeasedAsync(batch, new EnrollmentLease("owner", T0, TimeSpan.FromMinutes(1), 10));

        Assert.Equal(
            [
                new EnrollmentOutcome(EnrollmentOutcomeKind.Created, Entries[0].Id),
                new EnrollmentOutcome(EnrollmentOutcomeKind.DuplicateActive, ended),
                new EnrollmentOutcome(EnrollmentOutcomeKind.DuplicateActive, Entries[0].Id),
                new EnrollmentOutcome(EnrollmentOutcomeKind.Created, Entries[3].Id),
            ],
            outcomes.Outcomes);
        Assert.Equal([Entries[0].Id, Entries[3].Id], outcomes.Leased.Select(i => i.Enrollment.Id));
        Assert.Single(await store.GetByCustomerAsync("a"));
        Assert.Equal(EnrollmentStatus.Cancelled, Assert.Single(await store.GetByCustomerAsync("e")).Status);
    }

    private static EnrollmentBatch Batch()
    {
        var batch = new EnrollmentBatch("j", 2, "start", Window, Goals, Entries[0].At, Entries.Length);
        foreach (var (id, customer, at) in Entries)
        {
            Assert.False(batch.IsFull);
            batch.Add(id, customer, at);
        }

        Assert.True(batch.IsFull);
        return batch;
    }

    private static EnrollmentRequest Request(Guid id, string customer, DateTimeOffset at) =>
        new(id, "j", 2, customer, "start", at, Window, Goals);

    // A store where customer "b" is already enrolled in the journey.
    private static async Task<InMemoryEngineStore> Store()
    {
        var store = new InMemoryEngineStore(new InMemoryCustomerStore());
        await store.EnrollAsync([Request(Guid.Parse("00000000-0000-0000-0000-0000000000b0"), "b", T0.AddSeconds(1))]);
        return store;
    }
}
