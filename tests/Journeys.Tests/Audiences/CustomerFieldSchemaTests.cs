using Journeys.Audiences;
using Journeys.Building;
using Journeys.Tests.Building;

namespace Journeys.Tests.Audiences;

public sealed class CustomerFieldSchemaTests
{
    private static JourneyDefinition AgeJourney(string id = "adults") => JourneyBuilder.Create(id, "Adults")
        .EnterWhen(Condition.Eq("vip", true))
        .Steps(p => p
            .Filter(f => f
                .When(Condition.Gte("age", 18), adult => adult.Send(Channel.Push, "tips", id: "adult-push"))
                .Otherwise(o => o.Exit("minor", id: "minor")), id: "is-adult"))
        .Build();

    [Fact]
    public async Task Fields_are_defined_listed_changed_and_removed()
    {
        await using var host = await AudienceHost.CreateAsync();
        var schema = await host.Audience.DefineFieldAsync(new FieldDefinition("country", FieldType.String, "ES"));
        Assert.True(schema.TryGetField("COUNTRY", out var country));
        Assert.Equal(new FieldDefinition("country", FieldType.String, "ES"), country);
        Assert.Equal(schema, await host.Audience.GetFieldsAsync());

        schema = await host.Audience.DefineFieldAsync(new FieldDefinition("country", FieldType.StringList));
        Assert.True(schema.TryGetField("country", out country));
        Assert.Equal(FieldType.StringList, country.Type);

        Assert.True(await host.Audience.RemoveFieldAsync("Country"));
        Assert.False((await host.Audience.GetFieldsAsync()).TryGetField("country", out _));
        Assert.False(await host.Audience.RemoveFieldAsync("country"));
    }

    [Fact]
    public async Task A_bad_definition_is_refused_with_the_reason()
    {
        await using var host = await AudienceHost.CreateAsync();
        var badName = await Assert.ThrowsAsync<ArgumentException>(() => host.Audience.DefineFieldAsync(new FieldDefinition("1st", FieldType.String)).AsTask());
        Assert.Contains("'1st'", badName.Message, StringComparison.Ordinal);
        var badDefault = await Assert.ThrowsAsync<ArgumentException>(() => host.Audience.DefineFieldAsync(new FieldDefinition("score", FieldType.Number, "high")).AsTask());
        Assert.Contains("default", badDefault.Message, StringComparison.Ordinal);
        Assert.Equal(SampleJourneys.Schema, await host.Audience.GetFieldsAsync());
    }

    [Fact]
    public async Task Changing_the_type_of_a_field_an_active_journey_uses_is_refused_naming_the_journey_and_node()
    {
        await using var host = await AudienceHost.CreateAsync();
        await host.ActivateAsync(AgeJourney());

        var refused = await Assert.ThrowsAsync<CustomerFieldInUseException>(() => host.Audience.DefineFieldAsync(new FieldDefinition("age", FieldType.String)).AsTask());
        var usage = Assert.Single(refused.Usages);
        Assert.Equal(("adults", 1, "is-adult"), (usage.JourneyId, usage.Version, usage.NodeId));
        Assert.Contains("journey 'adults' v1 node 'is-adult'", refused.Message, StringComparison.Ordinal);
        Assert.Equal("age", refused.Field);
        Assert.Equal(SampleJourneys.Schema, await host.Audience.GetFieldsAsync());

        // Its default may change; the type may not.
        var schema = await host.Audience.DefineFieldAsync(new FieldDefinition("age", FieldType.Number, 30d));
        Assert.True(schema.TryGetField("age", out var age));
        Assert.Equal(30d, age.Default.AsNumber());
    }

    [Fact]
    public async Task Removing_a_field_of_an_entry_filter_is_refused_naming_the_entry()
    {
        await using var host = await AudienceHost.CreateAsync();
        await host.ActivateAsync(AgeJourney());

        var refused = await Assert.ThrowsAsync<CustomerFieldInUseException>(() => host.Audience.RemoveFieldAsync("vip").AsTask());
        var usage = Assert.Single(refused.Usages);
        Assert.Null(usage.NodeId);
        Assert.Contains("journey 'adults' v1 entry", refused.Message, StringComparison.Ordinal);
        Assert.True((await host.Audience.GetFieldsAsync()).TryGetField("vip", out _));
    }

    [Fact]
    public async Task Every_active_journey_that_uses_the_field_is_named_and_drafts_or_stopped_journeys_do_not_block()
    {
        await using var host = await AudienceHost.CreateAsync();
        await host.ActivateAsync(AgeJourney("a1"));
        await host.ActivateAsync(AgeJourney("a2"));
        await host.Journeys.CreateAsync(AgeJourney("draft"));

        var refused = await Assert.ThrowsAsync<CustomerFieldInUseException>(() => host.Audience.RemoveFieldAsync("age").AsTask());
        Assert.Equal(["a1", "a2"], refused.Usages.Select(u => u.JourneyId).Order(StringComparer.Ordinal));

        await host.Journeys.StopAsync("a1");
        await host.Journeys.StopAsync("a2");
        Assert.True(await host.Audience.RemoveFieldAsync("age"));
    }

    [Fact]
    public async Task Fields_no_active_journey_uses_change_freely()
    {
        await using var host = await AudienceHost.CreateAsync();
        await host.ActivateAsync(AgeJourney());
        Assert.True(await host.Audience.RemoveFieldAsync("email"));
        var schema = await host.Audience.DefineFieldAsync(new FieldDefinition("firstName", FieldType.StringList));
        Assert.True(schema.TryGetField("firstName", out var firstName));
        Assert.Equal(FieldType.StringList, firstName.Type);
    }
}
