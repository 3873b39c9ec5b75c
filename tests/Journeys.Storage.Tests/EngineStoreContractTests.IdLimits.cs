using System.Text;
using Journeys.Messaging;

namespace Journeys.Storage.Tests;

/// <summary>
/// Ids at their limits (<see cref="Customer.MaxIdLength"/>, <see cref="JourneyDefinition.MaxIdLength"/>,
/// <see cref="StoreArgumentChecks.MaxEventIdLength"/>, all in UTF-16 code units) are kept by every store, in every key and
/// index they are part of (PostgreSQL's btree entries are limited to about 2,700 bytes, its NOTIFY payloads to 8,000), and
/// a customer or journey id one unit longer is refused by every store alike, naming the index, with nothing written.
/// </summary>
public abstract partial class EngineStoreContractTests
{
    /// <summary>
    /// An id of exactly <paramref name="length"/> UTF-16 code units: one emoji repeated (4 UTF-8 bytes per 2 units), distinct
    /// characters outside the Basic Multilingual Plane (as many bytes, and no run PostgreSQL could compress in an index
    /// entry), or distinct CJK characters (3 UTF-8 bytes per unit: the most bytes a length in units allows).
    /// </summary>
    private static string IdOf(string kind, int length, int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder(length);
        while (text.Length < length)
        {
            var rune = kind switch
            {
                "repeated-emoji" => new Rune(0x1F600),
                "varied-4-byte" => new Rune(random.Next(0x10000, 0x10FFFE)),
                _ => new Rune(random.Next(0x4E00, 0xA000)),
            };
            if (text.Length + rune.Utf16SequenceLength > length)
            {
                rune = new Rune('x');
            }

            text.Append(rune.ToString());
        }

        return text.ToString();
    }

    [Theory]
    [InlineData("repeated-emoji")]
    [InlineData("varied-4-byte")]
    [InlineData("varied-3-byte")]
    public async Task Journey_customer_and_event_ids_at_their_maxima_are_kept_through_enroll_commit_outbox_events_and_statistics(string kind)
    {
        await using var stores = await CreateAsync();
        var journeyId = IdOf(kind, JourneyDefinition.MaxIdLength, 1);
        var customerId = IdOf(kind, Customer.MaxIdLength, 2);
        var eventId = IdOf(kind, StoreArgumentChecks.MaxEventIdLength, 3);
        Assert.Equal((128, 256, 200), (journeyId.Length, customerId.Length, eventId.Length));

        // The journey store notifies other hosts with the journey id in the payload (PostgreSQL).
        await stores.Journeys.SaveAsync(Journey(journeyId), null);
        Assert.Equal(journeyId, (await stores.Journeys.GetAsync(journeyId))!.Journey.Id);
        await stores.Customers.UpsertAsync([new Customer(customerId, [new("plan", "free")])]);
        await stores.Customers.MergeAsync([new CustomerPatch(customerId, new Dictionary<string, FieldValue> { ["plan"] = "pro" })]);

        // Enrolled (the one-active index on customer and journey, the journey index with both), claimed, and committed
        // waiting with an outbox message whose id and idempotency key are made from the ids as the engine makes them.
        var item = await EnrollAndClaimAsync(stores, Request(journeyId, customerId, T0));
        var messageId = $"{item.Enrollment.Id:N}/send/1";
        var key = $"{journeyId}:1:{item.Enrollment.Id:N}:send:1";
        var message = new OutboxMessage(new OutboundMessage(messageId, key, Channel.Email, "campaign", customerId, "body", journeyId, 1, "send"), item.Enrollment.Id, T0);
        Assert.True(Assert.Single(await stores.Enrollments.CommitAsync("engine", [Checkpoint(
            WaitFor(item.Enrollment, "clicked"),
            item.Enrollment.ConcurrencyToken,
            [message],
            [new CustomerFieldUpdate(customerId, "score", 1.0)],
            [new StatisticDelta(journeyId, 1, "send", StatisticCounter.Sent)])])));

        // The frequency cap's record (customer id and idempotency key in one key), the event with its id (customer id and
        // event id in one key), and the outbox.
        Assert.Equal([true], await Sends(stores).TryReserveSendsAsync([Send(customerId, key)], 5, TimeSpan.FromDays(1), T0));
        var appended = await stores.Enrollments.AppendNewEventsAsync(
            [Event(customerId, "clicked", T0) with { MessageId = messageId, Id = eventId }], T0, T0.AddDays(-1));
        Assert.True(Assert.Single(appended) > 0);
        var claimed = Assert.Single(await stores.Outbox.ClaimAsync("dispatcher", T0, 10, Lease));
        Assert.Equal((messageId, key, customerId, journeyId), (claimed.Message.MessageId, claimed.Message.IdempotencyKey, claimed.Message.CustomerId, claimed.Message.JourneyId));

        var woken = Assert.Single(await stores.Enrollments.ClaimAsync("engine", T0.AddSeconds(1), 10, Lease));
        Assert.Equal((journeyId, customerId), (woken.Enrollment.JourneyId, woken.Enrollment.CustomerId));
        Assert.Equal(eventId, Assert.Single(woken.Events).Event.Id);
        Assert.Equal("pro", (await stores.Customers.GetAsync(customerId))!.GetField("plan").AsString());
        Assert.Equal(1, (await stores.Statistics.GetAsync(journeyId, 1)).Get("send", StatisticCounter.Sent));
        Assert.Single(await ToListAsync(stores.Enrollments.ListByJourneyAsync(journeyId, null)));

        // And the journey's deletion, which notifies too.
        Assert.True(await stores.Journeys.DeleteAsync(journeyId));
    }

    [Fact]
    public async Task The_journey_id_of_a_sending_made_before_the_sending_id_limit_is_enrolled_and_claimed_and_one_unit_longer_is_refused()
    {
        // Sending ids had up to 200 characters until 2026-12-01: such a sending's journey id, 208 (and up to 624 UTF-8
        // bytes), is still enrolled into when its pass is resumed. Only a sending's journey id may be that long.
        await using var stores = await CreateAsync();
        var journeyId = "sending:" + IdOf("varied-3-byte", 200, 1);
        var customerId = IdOf("varied-3-byte", Customer.MaxIdLength, 2);
        await stores.Journeys.SaveAsync(Journey(journeyId), null);

        var item = await EnrollAndClaimAsync(stores, Request(journeyId, customerId, T0));
        Assert.Equal((journeyId, customerId), (item.Enrollment.JourneyId, item.Enrollment.CustomerId));
        Assert.Single(await ToListAsync(stores.Enrollments.ListByJourneyAsync(journeyId, null)));

        var longer = await Assert.ThrowsAsync<ArgumentException>(() => stores.Enrollments.EnrollAsync([Request(journeyId + "x", "a", T0)]).AsTask());
        Assert.Contains("Enrollment request at index 0 has a journey id that is 209 characters long; the journey ids of sendings have at most 208", longer.Message, StringComparison.Ordinal);
        var notSending = await Assert.ThrowsAsync<ArgumentException>(() => stores.Enrollments.EnrollAsync([Request("x" + journeyId, "a", T0)]).AsTask());
        Assert.Contains("has a journey id that is 209 characters long; journey ids have at most 128", notSending.Message, StringComparison.Ordinal);
        Assert.Empty(await stores.Enrollments.GetByCustomerAsync("a"));
    }

    [Fact]
    public async Task A_customer_or_journey_id_one_unit_over_its_maximum_is_refused_naming_the_index_and_nothing_is_written()
    {
        await using var stores = await CreateAsync();
        var customerId = IdOf("varied-4-byte", Customer.MaxIdLength, 2) + "x";
        var journeyId = IdOf("varied-4-byte", JourneyDefinition.MaxIdLength, 1) + "x";

        var enroll = await Assert.ThrowsAsync<ArgumentException>(() => stores.Enrollments.EnrollAsync([Request("j", "a", T0), Request("j", customerId, T0)]).AsTask());
        Assert.Contains("Enrollment request at index 1 has a customer id that is 257 characters long; customer ids have at most 256", enroll.Message, StringComparison.Ordinal);
        var journey = await Assert.ThrowsAsync<ArgumentException>(() => stores.Enrollments.EnrollAsync([Request(journeyId, "a", T0)]).AsTask());
        Assert.Contains("Enrollment request at index 0 has a journey id that is 129 characters long; journey ids have at most 128", journey.Message, StringComparison.Ordinal);
        Assert.Empty(await stores.Enrollments.GetByCustomerAsync("a"));

        var append = await Assert.ThrowsAsync<ArgumentException>(() => stores.Enrollments.AppendEventsAsync([Event("a", "clicked", T0), Event(customerId, "clicked", T0)]).AsTask());
        Assert.Contains("Event at index 1 has a customer id that is 257 characters long", append.Message, StringComparison.Ordinal);

        var merge = await Assert.ThrowsAsync<ArgumentException>(() => stores.Customers.MergeAsync(
            [new CustomerPatch("a", new Dictionary<string, FieldValue>()), new CustomerPatch(customerId, new Dictionary<string, FieldValue>())]).AsTask());
        Assert.Contains("Customer patch at index 1 has a customer id that is 257 characters long", merge.Message, StringComparison.Ordinal);
        var upsert = await Assert.ThrowsAsync<ArgumentException>(() => stores.Customers.UpsertAsync([new Customer("a"), new Customer(customerId)]).AsTask());
        Assert.Contains("Customer at index 1 has a customer id that is 257 characters long", upsert.Message, StringComparison.Ordinal);
        Assert.Null(await stores.Customers.GetAsync("a"));
    }
}
