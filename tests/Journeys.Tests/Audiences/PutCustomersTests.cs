using System.Text.Json;
using Journeys.Audiences;
using Journeys.Building;
using Journeys.Storage;

namespace Journeys.Tests.Audiences;

public sealed class PutCustomersTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task Typed_values_from_dictionaries_are_stored_as_field_values()
    {
        await using var host = await AudienceHost.CreateAsync();
        var birth = new DateTimeOffset(1990, 5, 1, 0, 0, 0, TimeSpan.Zero);
        var report = await host.Audience.PutCustomersAsync([
            new CustomerInput("ana@example.com", new Dictionary<string, object?> { ["age"] = 31, ["vip"] = true, ["firstName"] = "Ana", ["birthDate"] = birth, ["tags"] = new[] { "a", "b" } }, "Europe/Madrid"),
            new CustomerInput("bob@example.com", new Dictionary<string, object?> { ["AGE"] = 40.5m, ["birthDate"] = "1985-02-03T10:00:00+02:00" }),
        ]);

        Assert.Equal((2L, 2, 0), (report.RowsRead, report.Created, report.Updated));
        var ana = await host.Audience.GetCustomerAsync("ana@example.com");
        Assert.NotNull(ana);
        Assert.Equal(31d, ana.GetField("age").AsNumber());
        Assert.True(ana.GetField("vip").AsBoolean());
        Assert.Equal("Ana", ana.GetField("firstName").AsString());
        Assert.Equal(birth, ana.GetField("birthDate").AsDateTime());
        Assert.Equal(["a", "b"], ana.GetField("tags").AsStringList());
        Assert.Equal("Europe/Madrid", ana.TimeZoneId);
        var bob = await host.Audience.GetCustomerAsync("bob@example.com");
        Assert.Equal(40.5, bob!.GetField("age").AsNumber());
        Assert.Equal(new DateTimeOffset(1985, 2, 3, 8, 0, 0, TimeSpan.Zero), bob.GetField("birthDate").AsDateTime());
    }

    [Fact]
    public async Task Json_bodies_convert_to_typed_values()
    {
        await using var host = await AudienceHost.CreateAsync();
        const string body = """[{ "customerId": "c1", "fields": { "age": 31, "vip": true, "tags": ["x"], "birthDate": "2000-01-02", "firstName": null } }]""";
        var inputs = JsonSerializer.Deserialize<List<JsonCustomer>>(body, Web)!
            .Select(c => new CustomerInput(c.CustomerId, c.Fields.ToDictionary(kv => kv.Key, kv => (object?)kv.Value)))
            .ToList();
        await host.Audience.PutCustomersAsync(inputs);
        var c1 = (await host.Audience.GetCustomerAsync("c1"))!;
        Assert.Equal(31d, c1.GetField("age").AsNumber());
        Assert.True(c1.GetField("vip").AsBoolean());
        Assert.Equal(["x"], c1.GetField("tags").AsStringList());
        Assert.Equal(new DateTimeOffset(2000, 1, 2, 0, 0, 0, TimeSpan.Zero), c1.GetField("birthDate").AsDateTime());
        Assert.True(c1.GetField("firstName").IsNull);
    }

    [Fact]
    public async Task Wrong_types_and_unknown_fields_refuse_the_whole_batch_naming_index_customer_and_field()
    {
        await using var host = await AudienceHost.CreateAsync();
        var refused = await Assert.ThrowsAsync<CustomerInputException>(() => host.Audience.PutCustomersAsync([
            new CustomerInput("good", new Dictionary<string, object?> { ["age"] = 30 }),
            new CustomerInput("bad-type", new Dictionary<string, object?> { ["age"] = "thirty" }),
            new CustomerInput("unknown", new Dictionary<string, object?> { ["shoeSize"] = 42 }),
            new CustomerInput(" ", null),
            new CustomerInput("good", null),
        ]).AsTask());

        Assert.Equal(
            [(1, "bad-type", "age"), (2, "unknown", "shoeSize"), (3, " ", null), (4, "good", null)],
            refused.Problems.Select(p => (p.Index, p.CustomerId, p.Field)));
        Assert.Contains("customers[1] ('bad-type') field 'age': the field expects a Number; got a string", refused.Message, StringComparison.Ordinal);
        Assert.Empty(await host.AllCustomersAsync());
    }

    [Fact]
    public async Task Unknown_fields_are_added_as_strings_when_the_host_enables_it()
    {
        await using var host = await AudienceHost.CreateAsync(addUnknownFields: true);
        await host.Audience.PutCustomersAsync([new CustomerInput("c1", new Dictionary<string, object?> { ["shoeSize"] = 42, ["city"] = "Madrid" })]);
        var schema = await host.Audience.GetFieldsAsync();
        Assert.True(schema.TryGetField("shoeSize", out var shoe));
        Assert.Equal(FieldType.String, shoe.Type);
        var c1 = (await host.Audience.GetCustomerAsync("c1"))!;
        Assert.Equal("42", c1.GetField("shoeSize").AsString());
        Assert.Equal("Madrid", c1.GetField("city").AsString());
    }

    [Fact]
    public async Task A_put_sets_the_fields_named_keeps_the_others_and_null_clears()
    {
        await using var host = await AudienceHost.CreateAsync();
        await host.Audience.PutCustomersAsync([new CustomerInput("c1", new Dictionary<string, object?> { ["age"] = 30, ["firstName"] = "Ana", ["vip"] = true }, "Europe/Madrid")]);
        var report = await host.Audience.PutCustomersAsync([new CustomerInput("c1", new Dictionary<string, object?> { ["age"] = 31, ["vip"] = null })]);
        Assert.Equal((0, 1), (report.Created, report.Updated));
        var c1 = (await host.Audience.GetCustomerAsync("c1"))!;
        Assert.Equal(31d, c1.GetField("age").AsNumber());
        Assert.Equal("Ana", c1.GetField("firstName").AsString());
        Assert.False(c1.Fields.ContainsKey("vip"));
        Assert.Equal("Europe/Madrid", c1.TimeZoneId);
    }

    [Fact]
    public async Task Deleting_a_customer_cancels_their_enrollments_in_every_journey()
    {
        await using var host = await AudienceHost.CreateAsync();
        foreach (var id in new[] { "j1", "j2" })
        {
            await host.ActivateAsync(JourneyBuilder.Create(id, id).EnterFromList([]).Steps(p => p.Delay(TimeSpan.FromDays(3), id: "wait")).Build());
            await host.Audience.EnrollListAsync(id, ["c1", "c2"]);
        }

        Assert.True(await host.Audience.DeleteCustomerAsync("c1"));
        Assert.Null(await host.Audience.GetCustomerAsync("c1"));
        var enrollments = await host.Enrollments.GetByCustomerAsync("c1");
        Assert.Equal(2, enrollments.Count);
        Assert.All(enrollments, e => Assert.Equal(EnrollmentStatus.Cancelled, e.Status));
        Assert.All(await host.Enrollments.GetByCustomerAsync("c2"), e => Assert.NotEqual(EnrollmentStatus.Cancelled, e.Status));
        Assert.False(await host.Audience.DeleteCustomerAsync("c1"));
    }

    [Fact]
    public async Task Customers_who_come_to_match_a_filter_journey_enter_it()
    {
        await using var host = await AudienceHost.CreateAsync();
        await host.ActivateAsync(JourneyBuilder.Create("vips", "VIPs").EnterWhen(Condition.Eq("vip", true))
            .Steps(p => p.Send(Channel.Push, "vip-tips", id: "vip-push")).Build());

        var first = await host.Audience.PutCustomersAsync([new CustomerInput("c1", new Dictionary<string, object?> { ["vip"] = false })]);
        Assert.Equal(0, first.Enrolled);
        var promoted = await host.Audience.PutCustomersAsync([new CustomerInput("c1", new Dictionary<string, object?> { ["vip"] = true })]);
        Assert.Equal(1, promoted.Enrolled);
        Assert.Single(await host.Enrollments.GetByCustomerAsync("c1"));
    }

    [Fact]
    public async Task The_journey_managers_put_refuses_values_not_of_their_fields_type_naming_index_customer_and_field_and_writes_nothing()
    {
        await using var host = await AudienceHost.CreateAsync();
        await host.ActivateAsync(JourneyBuilder.Create("everyone", "Everyone").EnterAllCustomers()
            .Steps(p => p.Delay(TimeSpan.FromDays(1), id: "wait")).Build());

        // As IAudienceManager.PutCustomersAsync refuses them: the whole call, every problem, with the customer's index.
        var refused = await Assert.ThrowsAsync<CustomerInputException>(() => host.Journeys.PutCustomersAsync([
            new Customer("good", new Dictionary<string, FieldValue> { ["age"] = 30, ["vip"] = true }),
            new Customer("bad-type", new Dictionary<string, FieldValue> { ["age"] = "thirty", ["firstName"] = "Ana" }),
            new Customer("bad-zone", null, "Mars/Olympus_Mons"),
            new Customer("bad-date", new Dictionary<string, FieldValue> { ["birthDate"] = "1990-05-01" }),
        ]).AsTask());

        Assert.Equal(
            [(1, "bad-type", "age"), (2, "bad-zone", null), (3, "bad-date", "birthDate")],
            refused.Problems.Select(p => (p.Index, p.CustomerId, p.Field)));
        Assert.Contains("customers[1] ('bad-type') field 'age': the field expects a Number; got String", refused.Message, StringComparison.Ordinal);
        Assert.Empty(await host.AllCustomersAsync());
        Assert.Empty(await host.Enrollments.GetByCustomerAsync("good"));
    }

    [Fact]
    public async Task The_journey_managers_put_writes_whole_customers_of_the_schemas_types_and_fields_the_schema_lacks_as_given()
    {
        await using var host = await AudienceHost.CreateAsync();
        var birth = new DateTimeOffset(1990, 5, 1, 0, 0, 0, TimeSpan.Zero);

        var (written, _) = await host.Journeys.PutCustomersAsync([
            new Customer("c1", new Dictionary<string, FieldValue> { ["AGE"] = 30, ["birthDate"] = birth, ["vip"] = FieldValue.Null, ["shoeSize"] = 42 }, "Europe/Madrid"),
        ]);

        Assert.Equal(1, written.Created);
        var c1 = (await host.Audience.GetCustomerAsync("c1"))!;
        Assert.Equal(30d, c1.GetField("age").AsNumber());
        Assert.Equal(birth, c1.GetField("birthDate").AsDateTime());
        Assert.Equal(42d, c1.GetField("shoeSize").AsNumber());
    }

    private sealed record JsonCustomer(string CustomerId, Dictionary<string, JsonElement> Fields);
}
