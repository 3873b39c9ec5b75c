using Journeys.Building;
using Journeys.Runtime;
using Journeys.Storage.InMemory;
using Journeys.Tests.Building;

namespace Journeys.Tests.Runtime;

/// <summary>
/// <see cref="CompiledJourney.ReadSlots"/>: the engine decodes only the customer fields a version reads, so the set must
/// hold every field any node reads, and the engine's result must not change when the others are left undecoded.
/// </summary>
public sealed class CompiledJourneyReadSlotsTests
{
    [Fact]
    public void Filters_templates_and_webhook_fields_are_read_and_nothing_else()
    {
        var journey = JourneyCompiler.Compile(SampleJourneys.AbandonedCart(), SampleJourneys.Schema, SampleJourneys.Campaigns);

        // vip (filter), firstName (templates, webhook), email (webhook); not age, birthDate, tags.
        Assert.Equal(["firstName", "email", "vip"], ReadNames(journey));
    }

    [Fact]
    public void Delay_until_a_field_update_nodes_and_reminder_templates_are_read()
    {
        var definition = JourneyBuilder.Create("reads", "Reads")
            .EnterOnEvent("go")
            .Steps(p => p
                .DelayUntilField("birthDate", TimeSpan.FromDays(-1), id: "before-birthday")
                .UpdateCustomer("age", 40d, id: "set-age")
                .Retargeting("purchase", TimeSpan.FromDays(2), r => r
                    .Remind(TimeSpan.FromHours(1), Channel.Push, "cart-reminder", v => v.Bind("name", "firstName", "friend"))
                    .OnConverted(c => c.Exit("bought", id: "bought"))
                    .OnExhausted(e => e.Exit("gave-up", id: "gave-up")), id: "retarget"))
            .Build();
        var journey = JourneyCompiler.Compile(definition, SampleJourneys.Schema, SampleJourneys.Campaigns);

        Assert.Equal(["firstName", "age", "birthDate"], ReadNames(journey));
    }

    [Fact]
    public async Task The_store_leaves_unread_slots_at_their_default_and_decodes_the_read_ones()
    {
        var store = new InMemoryCustomerStore();
        await store.UpsertAsync([new Customer("c1", new Dictionary<string, FieldValue>
        {
            ["firstName"] = "Ana",
            ["email"] = "ana@example.com",
            ["vip"] = true,
            ["age"] = 31d,
            ["tags"] = FieldValue.FromStringList(["x"]),
        })]);
        var journey = JourneyCompiler.Compile(SampleJourneys.AbandonedCart(), SampleJourneys.Schema, SampleJourneys.Campaigns);
        var slots = new FieldValue[SampleJourneys.Schema.Fields.Count];

        Assert.True(store.FillSlots("c1", journey.Schema, slots, out _, journey.ReadSlots));

        var all = global::Journeys.Conditions.CustomerSlots.ToArray((await store.GetAsync("c1"))!, SampleJourneys.Schema);
        for (var slot = 0; slot < slots.Length; slot++)
        {
            var expected = journey.ReadSlots![slot] ? all[slot] : SampleJourneys.Schema.Fields[slot].Default;
            Assert.Equal(expected, slots[slot]);
        }

        Assert.Equal((FieldValue)"Ana", slots[0]);
        Assert.Equal(FieldValue.Null, slots[3]); // age: stored, not read by this journey
    }

    private static string[] ReadNames(CompiledJourney journey)
    {
        var reads = journey.ReadSlots ?? throw new InvalidOperationException("every node kind should be known");
        return [.. Enumerable.Range(0, reads.Length).Where(slot => reads[slot]).Select(slot => journey.Schema.Fields[slot].Name)];
    }
}
