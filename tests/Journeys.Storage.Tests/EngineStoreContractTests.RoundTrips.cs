using System.Collections.Immutable;
using Journeys.Messaging;

namespace Journeys.Storage.Tests;

/// <summary>Values written and read back: every store returns what it was given (docs/storage.md, "Storage").</summary>
public abstract partial class EngineStoreContractTests
{
    /// <summary>Every kind of property value, null, empty and unicode ones included.</summary>
    private static ImmutableDictionary<string, FieldValue> AllKindsOfProperties() => ImmutableDictionary.CreateRange(StringComparer.Ordinal, new Dictionary<string, FieldValue>
    {
        ["nothing"] = FieldValue.Null,
        ["empty"] = "",
        ["text"] = "caf\u00e9 \U0001F600 \u4e2d x\0y \"q\" \\",
        ["number"] = 1234.5678,
        ["negative"] = -0.1,
        ["flag"] = false,
        ["at"] = new DateTimeOffset(2025, 3, 1, 14, 30, 0, TimeSpan.FromHours(5.5)).AddTicks(7),
        ["tags"] = FieldValue.FromStringList(["", "\U0001F600", "a,b"]),
        ["no tags"] = FieldValue.FromStringList([]),
        ["\u00fcnicode name \U0001F600"] = "v",
    });

    private static List<KeyValuePair<string, FieldValue>> Sorted(IEnumerable<KeyValuePair<string, FieldValue>> values) =>
        [.. values.OrderBy(static p => p.Key, StringComparer.Ordinal)];

    [Fact]
    public async Task Event_properties_read_back_as_appended_null_empty_and_unicode_values_included()
    {
        await using var stores = await CreateAsync();
        await WaitingAsync(stores, "a", "buy", "only-nulls");
        var properties = AllKindsOfProperties();

        await stores.Enrollments.AppendEventsAsync([
            Event("a", "buy", T0) with { Properties = properties },
            Event("a", "only-nulls", T0) with { Properties = ImmutableDictionary<string, FieldValue>.Empty.Add("gone", FieldValue.Null) },
        ]);

        var item = Assert.Single(await stores.Enrollments.ClaimAsync("engine", T0.AddMinutes(1), 10, Lease));
        Assert.Equal(2, item.Events.Count);
        Assert.Equal(Sorted(properties), Sorted(item.Events[0].Event.Properties));
        Assert.Equal([new KeyValuePair<string, FieldValue>("gone", FieldValue.Null)], Sorted(item.Events[1].Event.Properties));
    }

    [Fact]
    public async Task An_event_with_null_properties_is_refused_naming_its_index_and_nothing_is_written()
    {
        await using var stores = await CreateAsync();
        await WaitingAsync(stores, "a", "buy");

        var error = await Assert.ThrowsAsync<ArgumentException>(() => stores.Enrollments.AppendEventsAsync([
            Event("a", "buy", T0),
            Event("a", "buy", T0) with { Properties = null! },
        ]).AsTask());

        Assert.Contains("index 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("properties", error.Message, StringComparison.Ordinal);
        Assert.Empty(await stores.Enrollments.ClaimAsync("engine", T0.AddMinutes(1), 10, Lease));
    }

    [Fact]
    public async Task An_event_time_in_any_offset_reads_back_as_the_same_instant_with_offset_zero()
    {
        await using var stores = await CreateAsync();
        await WaitingAsync(stores, "a", "buy");
        var at = new DateTimeOffset(2025, 3, 1, 14, 30, 0, TimeSpan.FromHours(5.5)).AddTicks(1230);

        await stores.Enrollments.AppendEventsAsync([Event("a", "buy", at)]);

        var seen = Assert.Single(Assert.Single(await stores.Enrollments.ClaimAsync("engine", T0.AddMinutes(1), 10, Lease)).Events).Event;
        Assert.Equal(at.UtcDateTime, seen.Time.UtcDateTime);
        Assert.Equal(TimeSpan.Zero, seen.Time.Offset);
    }

    [Fact]
    public async Task An_outbox_message_reads_back_as_committed_with_its_due_time_at_offset_zero()
    {
        await using var stores = await CreateAsync();
        var item = await EnrollAndClaimAsync(stores, Request("j", "a", T0));
        var body = "Hola caf\u00e9 \U0001F600 \u4e2d\r\n\t tab, quote \"";
        var message = new OutboxMessage(
            new OutboundMessage("m \U0001F600", "key \u00e9", Channel.Sms, "campaign \u00e9", "a", body, "j", 1, "send \u00e9"),
            item.Enrollment.Id,
            T0.AddMinutes(5).ToOffset(TimeSpan.FromHours(-3)));

        Assert.True(Assert.Single(await stores.Enrollments.CommitAsync("engine", [Checkpoint(Complete(item.Enrollment, T0), item.Enrollment.ConcurrencyToken, outbox: [message])])));

        var claimed = Assert.Single(await stores.Outbox.ClaimAsync("dispatcher", T0.AddMinutes(5), 10, Lease));
        Assert.Equal(message.Message, claimed.Message);
        Assert.Equal(
            (message.Message.MessageId, message.Message.IdempotencyKey, message.Message.Channel, message.Message.CampaignId, message.Message.Body, message.Message.NodeId),
            (claimed.Message.MessageId, claimed.Message.IdempotencyKey, claimed.Message.Channel, claimed.Message.CampaignId, claimed.Message.Body, claimed.Message.NodeId));
        Assert.Equal((message.EnrollmentId, message.DueAt, 0), (claimed.EnrollmentId, claimed.DueAt, claimed.Attempts));
        Assert.Equal(TimeSpan.Zero, claimed.DueAt.Offset);
    }

    [Fact]
    public async Task Outbox_message_bodies_with_a_nul_character_read_back_as_committed()
    {
        // A template fills in customer fields as they are, and a field may hold U+0000.
        await using var stores = await CreateAsync();
        var item = await EnrollAndClaimAsync(stores, Request("j", "a", T0));
        string[] bodies = ["Hi x\0y\0", "\0", "\uFFFF starts with U+FFFF, \uFFFF0 and \uFFFF\uFFFF inside", "\uFFFF\0", "plain \uFFFF0"];
        var messages = bodies.Select((body, i) => new OutboxMessage(
            new OutboundMessage($"m{i}", $"key{i}", Channel.Sms, "campaign", "a", body, "j", 1, "send"), item.Enrollment.Id, T0.AddMinutes(i))).ToArray();

        Assert.True(Assert.Single(await stores.Enrollments.CommitAsync("engine", [Checkpoint(Complete(item.Enrollment, T0), item.Enrollment.ConcurrencyToken, outbox: messages)])));

        var claimed = await stores.Outbox.ClaimAsync("dispatcher", T0.AddHours(1), 10, Lease);
        Assert.Equal(bodies, claimed.Select(m => m.Message.Body));
    }

    [Fact]
    public async Task Event_property_names_are_found_whatever_their_case_as_the_events_api_gives_them()
    {
        // The events endpoint gives properties case-insensitive names; a .NET caller may give an ordinal dictionary. Either
        // way a claimed event's properties are found whatever the case of the name a condition reads.
        await using var stores = await CreateAsync();
        await WaitingAsync(stores, "a", "buy");
        var ordinal = ImmutableDictionary<string, FieldValue>.Empty.Add("Amount", 5.0).Add("plan", "pro");
        var ignoringCase = ordinal.WithComparers(StringComparer.OrdinalIgnoreCase);

        await stores.Enrollments.AppendEventsAsync([Event("a", "buy", T0) with { Properties = ordinal }, Event("a", "buy", T0) with { Properties = ignoringCase }]);

        var events = Assert.Single(await stores.Enrollments.ClaimAsync("engine", T0.AddMinutes(1), 10, Lease)).Events;
        Assert.Equal(2, events.Count);
        Assert.All(events, e =>
        {
            Assert.Equal(FieldValue.FromNumber(5), e.Event.Properties.GetValueOrDefault("AMOUNT"));
            Assert.Equal(FieldValue.FromString("pro"), e.Event.Properties.GetValueOrDefault("Plan"));
            Assert.Equal(["Amount", "plan"], e.Event.Properties.Keys.Order(StringComparer.Ordinal));
        });
    }

    [Fact]
    public async Task An_event_with_property_names_differing_only_by_case_is_refused_naming_its_index_and_the_names()
    {
        await using var stores = await CreateAsync();
        await WaitingAsync(stores, "a", "buy");

        var error = await Assert.ThrowsAsync<ArgumentException>(() => stores.Enrollments.AppendEventsAsync([
            Event("a", "buy", T0),
            Event("a", "buy", T0) with { Properties = ImmutableDictionary<string, FieldValue>.Empty.Add("plan", "a").Add("Plan", "b") },
        ]).AsTask());

        Assert.Contains("index 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("'plan'", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(await stores.Enrollments.ClaimAsync("engine", T0.AddMinutes(1), 10, Lease));
    }
}
