using System.Net;
using Journeys.Building;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.AspNetCore.Tests;

public sealed class CustomerEndpointTests : IAsyncLifetime
{
    private ApiHost _host = null!;

    private HttpClient Client => _host.Client;

    public async Task InitializeAsync() => _host = await ApiHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static JourneyDefinition AgeJourney() => JourneyBuilder.Create("adults", "Adults")
        .EnterWhen(Condition.Eq("vip", true))
        .Steps(p => p
            .Filter(f => f
                .When(Condition.Gte("age", 18), adult => adult.Send(Channel.Push, "tips", id: "adult-push"))
                .Otherwise(o => o.Exit("minor", id: "minor")), id: "is-adult"))
        .Build();

    [Fact]
    public async Task Get_and_delete_a_customer_and_404_for_unknown_ones()
    {
        var customer = await ApiAssert.Json(await Client.GetAsync("/journeys-api/customers/c0"), HttpStatusCode.OK);
        Assert.Equal("c0", customer.GetProperty("id").GetString());
        Assert.True(customer.GetProperty("fields").GetProperty("vip").GetBoolean());

        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync("/journeys-api/customers/c0")).StatusCode);
        await ApiAssert.Problem(await Client.GetAsync("/journeys-api/customers/c0"), HttpStatusCode.NotFound);
        await ApiAssert.Problem(await Client.DeleteAsync("/journeys-api/customers/c0"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Erase_deletes_the_customer_and_their_enrollments_and_answers_204_every_time()
    {
        await _host.Manager.CreateAsync(JourneyBuilder.Create("hello", "Hello").EnterFromList(["c1", "c2"]).Steps(p => p.Send(Channel.Push, "tips", id: "hi")).Build());
        await _host.Manager.ActivateAsync("hello");
        var enrollments = _host.Services.GetRequiredService<Journeys.Storage.IEnrollmentStore>();
        ApiHost.Eventually(() => _host.Push.Messages.Count == 2, "the pushes to c1 and c2");
        Assert.NotEmpty(await enrollments.GetByCustomerAsync("c1"));
        var before = (await Client.GetAsync("/journeys-api/journeys/hello")).Headers.ETag?.ToString();

        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync("/journeys-api/customers/c1?erase=true")).StatusCode);

        await ApiAssert.Problem(await Client.GetAsync("/journeys-api/customers/c1"), HttpStatusCode.NotFound);
        Assert.Empty(await enrollments.GetByCustomerAsync("c1"));
        Assert.NotEmpty(await enrollments.GetByCustomerAsync("c2"));

        // Out of the journey's list too, under a new ETag.
        var journey = await Client.GetAsync("/journeys-api/journeys/hello");
        var document = await ApiAssert.Json(journey, HttpStatusCode.OK);
        Assert.Equal(["c2"], document.GetProperty("entry").GetProperty("customerIds").EnumerateArray().Select(e => e.GetString()));
        Assert.NotNull(before);
        Assert.NotEqual(before, journey.Headers.ETag?.ToString());

        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync("/journeys-api/customers/c1?erase=true")).StatusCode);
        var statistics = await _host.Manager.GetStatisticsAsync("hello");
        Assert.Equal((2, 2), (statistics.Get(Journeys.Storage.StatisticCounter.Entered), statistics.Get("hi", Journeys.Storage.StatisticCounter.Sent)));
    }

    [Fact]
    public async Task An_id_of_thousands_of_characters_is_cut_to_its_start_and_length_in_the_problem_details()
    {
        var huge = "huge-" + new string('x', 4_995);

        var put = await ApiAssert.Problem(
            await Client.PutAsync("/journeys-api/customers", JourneyEndpointTests.Body($$$"""{"customers": [{"id": "{{{huge}}}", "fields": {}}]}""")),
            HttpStatusCode.BadRequest);
        var problem = Assert.Single(put.GetProperty("problems").EnumerateArray().ToList());
        Assert.Equal($"{huge[..64]}… (5000 characters)", problem.GetProperty("customerId").GetString());
        Assert.Equal("$.customers[0]", problem.GetProperty("path").GetString());
        Assert.Contains($"'{huge[..64]}…' (5000 characters)", put.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.True(put.GetRawText().Length < 2_000, put.GetRawText());

        var get = await ApiAssert.Problem(await Client.GetAsync($"/journeys-api/customers/{huge}"), HttpStatusCode.NotFound);
        Assert.Equal($"Customer '{huge[..64]}…' (5000 characters) does not exist.", get.GetProperty("detail").GetString());
        var journey = await ApiAssert.Problem(await Client.GetAsync($"/journeys-api/journeys/{huge}"), HttpStatusCode.NotFound);
        Assert.DoesNotContain(huge[..65], journey.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fields_are_defined_listed_and_removed()
    {
        var schema = await ApiAssert.Json(
            await Client.PutAsync("/journeys-api/customer-fields/country", JourneyEndpointTests.Body("""{"type": "string", "default": "ES"}""")),
            HttpStatusCode.OK);
        var country = schema.GetProperty("fields").EnumerateArray().Single(f => f.GetProperty("name").GetString() == "country");
        Assert.Equal(("string", "ES"), (country.GetProperty("type").GetString(), country.GetProperty("default").GetString()));

        var listed = await ApiAssert.Json(await Client.GetAsync("/journeys-api/customer-fields"), HttpStatusCode.OK);
        Assert.Contains(listed.GetProperty("fields").EnumerateArray(), f => f.GetProperty("name").GetString() == "country");

        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync("/journeys-api/customer-fields/country")).StatusCode);
        await ApiAssert.Problem(await Client.DeleteAsync("/journeys-api/customer-fields/country"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Bad_field_definitions_are_400_naming_the_part()
    {
        var url = "/journeys-api/customer-fields/score";
        var badType = await ApiAssert.Problem(await Client.PutAsync(url, JourneyEndpointTests.Body("""{"type": "money"}""")), HttpStatusCode.BadRequest);
        Assert.Equal("$.type", badType.GetProperty("path").GetString());
        var noType = await ApiAssert.Problem(await Client.PutAsync(url, JourneyEndpointTests.Body("{}")), HttpStatusCode.BadRequest);
        Assert.Equal("$.type", noType.GetProperty("path").GetString());
        var badDefault = await ApiAssert.Problem(await Client.PutAsync(url, JourneyEndpointTests.Body("""{"type": "number", "default": "high"}""")), HttpStatusCode.BadRequest);
        Assert.Equal("$.default", badDefault.GetProperty("path").GetString());
        await ApiAssert.Problem(await Client.PutAsync("/journeys-api/customer-fields/1st", JourneyEndpointTests.Body("""{"type": "string"}""")), HttpStatusCode.BadRequest);
        var listed = await ApiAssert.Json(await Client.GetAsync("/journeys-api/customer-fields"), HttpStatusCode.OK);
        Assert.DoesNotContain(listed.GetProperty("fields").EnumerateArray(), f => f.GetProperty("name").GetString() == "score");
    }

    [Theory]
    [InlineData("number,boolean")]
    [InlineData("string, number")]
    public async Task A_field_type_that_is_not_one_of_the_names_is_400_and_defines_nothing(string type)
    {
        // Enum parsing reads "number,boolean" as the flags Number | Boolean (= DateTime) and "3" as DateTime.
        var problem = await ApiAssert.Problem(
            await Client.PutAsync("/journeys-api/customer-fields/score", JourneyEndpointTests.Body($$"""{"type": "{{type}}"}""")),
            HttpStatusCode.BadRequest);

        Assert.Equal("$.type", problem.GetProperty("path").GetString());
        var listed = await ApiAssert.Json(await Client.GetAsync("/journeys-api/customer-fields"), HttpStatusCode.OK);
        Assert.DoesNotContain(listed.GetProperty("fields").EnumerateArray(), f => f.GetProperty("name").GetString() == "score");
    }

    [Fact]
    public async Task A_field_an_active_journey_uses_is_409_listing_the_journey_and_node()
    {
        await ApiAssert.Json(await Client.PutAsync("/journeys-api/customer-fields/vip", JourneyEndpointTests.Body("""{"type": "boolean"}""")), HttpStatusCode.OK);
        await ApiAssert.Json(await Client.PutAsync("/journeys-api/customer-fields/age", JourneyEndpointTests.Body("""{"type": "number"}""")), HttpStatusCode.OK);
        await ApiAssert.Json(await Client.PostAsync("/journeys-api/journeys", JourneyEndpointTests.Document(AgeJourney())), HttpStatusCode.Created);
        await ApiAssert.Json(await Client.PutAsync("/journeys-api/journeys/adults/start", null), HttpStatusCode.OK);

        var changed = await ApiAssert.Problem(
            await Client.PutAsync("/journeys-api/customer-fields/age", JourneyEndpointTests.Body("""{"type": "string"}""")),
            HttpStatusCode.Conflict);
        Assert.Equal("age", changed.GetProperty("field").GetString());
        var usage = Assert.Single(changed.GetProperty("usages").EnumerateArray());
        Assert.Equal(("adults", "is-adult"), (usage.GetProperty("journeyId").GetString(), usage.GetProperty("nodeId").GetString()));

        var removed = await ApiAssert.Problem(await Client.DeleteAsync("/journeys-api/customer-fields/vip"), HttpStatusCode.Conflict);
        Assert.Equal("adults", Assert.Single(removed.GetProperty("usages").EnumerateArray()).GetProperty("journeyId").GetString());
    }

    [Fact]
    public async Task Put_customers_converts_fields_by_the_schema_and_refuses_the_batch_naming_index_and_field()
    {
        await ApiAssert.Json(await Client.PutAsync("/journeys-api/customer-fields/age", JourneyEndpointTests.Body("""{"type": "number"}""")), HttpStatusCode.OK);

        var answer = await ApiAssert.Json(
            await Client.PutAsync("/journeys-api/customers", JourneyEndpointTests.Body("""{"customers": [{"id": "n1", "fields": {"age": 30}}, {"id": "c1", "fields": {"age": 40}}]}""")),
            HttpStatusCode.OK);
        Assert.Equal((1, 1), (answer.GetProperty("created").GetInt32(), answer.GetProperty("updated").GetInt32()));
        var n1 = await ApiAssert.Json(await Client.GetAsync("/journeys-api/customers/n1"), HttpStatusCode.OK);
        Assert.Equal(30d, n1.GetProperty("fields").GetProperty("age").GetDouble());

        var refused = await ApiAssert.Problem(
            await Client.PutAsync("/journeys-api/customers", JourneyEndpointTests.Body("""{"customers": [{"id": "n2", "fields": {"age": 1}}, {"id": "n3", "fields": {"age": "old"}}]}""")),
            HttpStatusCode.BadRequest);
        var problem = Assert.Single(refused.GetProperty("problems").EnumerateArray());
        Assert.Equal((1, "age"), (problem.GetProperty("index").GetInt32(), problem.GetProperty("field").GetString()));
        Assert.Equal(1, refused.GetProperty("problemCount").GetInt32());
        await ApiAssert.Problem(await Client.GetAsync("/journeys-api/customers/n2"), HttpStatusCode.NotFound);
        await ApiAssert.Problem(await Client.PutAsync("/journeys-api/customers", JourneyEndpointTests.Body("{}")), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Customers_csv_export_streams_text_csv_and_is_404_for_unknown_journeys_or_versions()
    {
        await ApiAssert.Json(await Client.PostAsync("/journeys-api/journeys", JourneyEndpointTests.Document(ApiHost.Tips())), HttpStatusCode.Created);
        await ApiAssert.Json(await Client.PutAsync("/journeys-api/journeys/tips-journey/start", null), HttpStatusCode.OK);
        ApiHost.Eventually(() => _host.Push.Messages.Count == 5, "five pushes");

        var response = await Client.GetAsync("/journeys-api/journeys/tips-journey/statistics/customers.csv?version=1");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("c3,", StringComparison.Ordinal));

        await ApiAssert.Problem(await Client.GetAsync("/journeys-api/journeys/nope/statistics/customers.csv"), HttpStatusCode.NotFound);
        await ApiAssert.Problem(await Client.GetAsync("/journeys-api/journeys/tips-journey/statistics/customers.csv?version=9"), HttpStatusCode.NotFound);
    }
}
