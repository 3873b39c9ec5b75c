using System.Net;
using Journeys.Building;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.AspNetCore.Tests;

public sealed class AudienceEventStatisticsTests : IAsyncLifetime
{
    private ApiHost _host = null!;

    private HttpClient Client => _host.Client;

    public async Task InitializeAsync() => _host = await ApiHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task CreateListJourneyAsync(bool start)
    {
        var journey = ApiHost.Tips() with { Entry = new CustomerListEntry([]) };
        await ApiAssert.Json(await Client.PostAsync("/journeys-api/journeys", JourneyEndpointTests.Document(journey)), HttpStatusCode.Created);
        if (start)
        {
            await ApiAssert.Json(await Client.PutAsync("/journeys-api/journeys/tips-journey/start", null), HttpStatusCode.OK);
        }
    }

    [Fact]
    public async Task Put_customers_by_id_and_with_fields_enrolls_them_and_counts_duplicates()
    {
        await CreateListJourneyAsync(start: true);

        var answer = await ApiAssert.Json(
            await Client.PutAsync("/journeys-api/journeys/tips-journey/customers", JourneyEndpointTests.Body("""
                {"customerIds": ["c0", "c1"], "customers": [{"id": "new-1", "fields": {"vip": true, "tags": ["a", "b"], "since": {"dateTime": "2026-01-01T00:00:00Z"}}}]}
                """)),
            HttpStatusCode.OK);

        Assert.Equal(3, answer.GetProperty("enrolled").GetInt32());
        Assert.Equal(1, answer.GetProperty("customersCreated").GetInt32());
        var customer = await _host.Services.GetRequiredService<ICustomerStore>().GetAsync("new-1");
        Assert.NotNull(customer);
        Assert.Equal(FieldValue.FromBoolean(true), customer.GetField("vip"));
        Assert.Equal(FieldValue.FromDateTime(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)), customer.GetField("since"));
        ApiHost.Eventually(() => _host.Push.Messages.Count == 3, "three pushes");

        var again = await ApiAssert.Json(
            await Client.PutAsync("/journeys-api/journeys/tips-journey/customers", JourneyEndpointTests.Body("""{"customerIds": ["c0"]}""")),
            HttpStatusCode.OK);
        Assert.Equal((0, 1), (again.GetProperty("enrolled").GetInt32(), again.GetProperty("alreadyActive").GetInt32()));
    }

    [Theory]
    [InlineData("""{"customers": [{"id": "ok-1"}], "customerIds": ["ok-2", " c1"]}""", "$.customerIds[1]")]
    [InlineData("""{"customerIds": ["ok-2"], "customers": [{"id": "ok-1"}, {"id": "c1\t"}]}""", "$.customers[1].id")]
    public async Task Put_customers_refuses_an_id_with_white_space_at_an_end_naming_it_and_writes_nothing(string body, string path)
    {
        await CreateListJourneyAsync(start: true);

        var problem = await ApiAssert.Problem(
            await Client.PutAsync("/journeys-api/journeys/tips-journey/customers", JourneyEndpointTests.Body(body)),
            HttpStatusCode.BadRequest);

        Assert.Equal(path, problem.GetProperty("path").GetString());
        Assert.Contains("white space", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var store = _host.Services.GetRequiredService<ICustomerStore>();
        Assert.Equal([null, null], await store.GetManyAsync(["ok-1", "ok-2"]));
    }

    [Theory]
    [InlineData("customerIds", "$.customerIds[1]")]
    [InlineData("customers", "$.customers[1].id")]
    [InlineData("events", "$[1].customerId")]
    public async Task A_customer_id_over_customer_max_id_length_is_400_naming_its_path_and_writes_nothing(string part, string path)
    {
        await CreateListJourneyAsync(start: true);
        var tooLong = new string('x', Model.Customer.MaxIdLength + 1);

        var response = part switch
        {
            "customerIds" => await Client.PutAsync("/journeys-api/journeys/tips-journey/customers", JourneyEndpointTests.Body($$"""{"customerIds": ["ok-1", "{{tooLong}}"]}""")),
            "customers" => await Client.PutAsync("/journeys-api/journeys/tips-journey/customers", JourneyEndpointTests.Body($$"""{"customers": [{"id": "ok-1"}, {"id": "{{tooLong}}"}]}""")),
            _ => await Client.PostAsync("/journeys-api/events", JourneyEndpointTests.Body($$"""[{"customerId": "ok-1", "name": "signup"}, {"customerId": "{{tooLong}}", "name": "signup"}]""")),
        };

        var problem = await ApiAssert.Problem(response, HttpStatusCode.BadRequest);
        Assert.Equal(path, problem.GetProperty("path").GetString());
        Assert.Contains("257 characters long; customer ids have at most 256", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Null(await _host.Services.GetRequiredService<ICustomerStore>().GetAsync("ok-1"));
    }

    [Fact]
    public async Task Put_customers_into_a_draft_is_409_and_writes_nothing()
    {
        await CreateListJourneyAsync(start: false);

        await ApiAssert.Problem(
            await Client.PutAsync("/journeys-api/journeys/tips-journey/customers", JourneyEndpointTests.Body("""{"customers": [{"id": "new-1"}]}""")),
            HttpStatusCode.Conflict);

        Assert.Null(await _host.Services.GetRequiredService<ICustomerStore>().GetAsync("new-1"));
    }

    [Fact]
    public async Task Put_customers_refuses_bad_bodies_with_their_path_and_unknown_journeys()
    {
        await CreateListJourneyAsync(start: true);
        var url = "/journeys-api/journeys/tips-journey/customers";

        var badValue = await ApiAssert.Problem(await Client.PutAsync(url, JourneyEndpointTests.Body("""{"customers": [{"id": "x", "fields": {"tags": [1]}}]}""")), HttpStatusCode.BadRequest);
        Assert.Equal("$.customers[0].fields.tags[0]", badValue.GetProperty("path").GetString());
        var wrongType = await ApiAssert.Problem(await Client.PutAsync(url, JourneyEndpointTests.Body("""{"customerIds": "c0"}""")), HttpStatusCode.BadRequest);
        Assert.Equal("$.customerIds", wrongType.GetProperty("path").GetString());
        await ApiAssert.Problem(await Client.PutAsync(url, JourneyEndpointTests.Body("{}")), HttpStatusCode.BadRequest);
        await ApiAssert.Problem(await Client.PutAsync(url, JourneyEndpointTests.Body("""{"customers": [{"id": "x"}, {"id": "x"}]}""")), HttpStatusCode.BadRequest);
        await ApiAssert.Problem(await Client.PutAsync("/journeys-api/journeys/nope/customers", JourneyEndpointTests.Body("""{"customerIds": ["c0"]}""")), HttpStatusCode.NotFound);
        Assert.Null(await _host.Services.GetRequiredService<ICustomerStore>().GetAsync("x"));
    }

    [Fact]
    public async Task Put_customers_with_fields_refuses_a_value_that_is_not_of_its_schema_type_and_an_unknown_time_zone()
    {
        await CreateListJourneyAsync(start: true);
        await ApiAssert.Json(await Client.PutAsync("/journeys-api/customer-fields/age", JourneyEndpointTests.Body("""{"type": "number"}""")), HttpStatusCode.OK);
        var url = "/journeys-api/journeys/tips-journey/customers";

        // Both were 200: the customer was stored with a string age (which every filter on age then reads as no
        // number) or with a time zone that is silently replaced by the journey's; PUT /customers refuses both.
        var wrongType = await ApiAssert.Problem(
            await Client.PutAsync(url, JourneyEndpointTests.Body("""{"customers": [{"id": "ok", "fields": {"age": 3}}, {"id": "x", "fields": {"Age": "old"}}]}""")),
            HttpStatusCode.BadRequest);
        Assert.Equal("$.customers[1].fields.Age", wrongType.GetProperty("path").GetString());
        Assert.Contains("number", wrongType.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var badZone = await ApiAssert.Problem(
            await Client.PutAsync(url, JourneyEndpointTests.Body("""{"customers": [{"id": "x", "timeZone": "Mars/Olympus_Mons"}]}""")),
            HttpStatusCode.BadRequest);
        Assert.Equal("$.customers[0].timeZone", badZone.GetProperty("path").GetString());

        var store = _host.Services.GetRequiredService<ICustomerStore>();
        Assert.Null(await store.GetAsync("x"));
        Assert.Null(await store.GetAsync("ok"));
    }

    [Fact]
    public async Task Events_one_or_a_batch_move_the_counters_of_the_statistics()
    {
        await ApiAssert.Json(await Client.PostAsync("/journeys-api/journeys", JourneyEndpointTests.Document(ApiHost.Tips())), HttpStatusCode.Created);
        await ApiAssert.Json(await Client.PutAsync("/journeys-api/journeys/tips-journey/start", null), HttpStatusCode.OK);
        ApiHost.Eventually(() => _host.Push.Messages.Count == 5, "five pushes");

        // Their results recorded too (the dispatcher records them after the sender returns): c2's purchase below withdraws
        // its messages still in the outbox, so a push whose result was not recorded yet would count as withdrawn, not sent.
        ApiHost.Eventually(() => _host.Manager.GetStatisticsAsync("tips-journey").AsTask().Result.Get("tips-push", StatisticCounter.Sent) == 5, "five sends counted");
        var sent = _host.Push.Messages.OrderBy(m => m.CustomerId, StringComparer.Ordinal).ToList();

        var one = await ApiAssert.Json(
            await Client.PostAsync("/journeys-api/events", JourneyEndpointTests.Body($$"""{"customerId": "c0", "name": "clicked", "messageId": "{{sent[0].MessageId}}"}""")),
            HttpStatusCode.Accepted);
        Assert.Equal(1, one.GetProperty("accepted").GetInt32());
        var batch = await ApiAssert.Json(
            await Client.PostAsync("/journeys-api/events", JourneyEndpointTests.Body($$$"""
                [{"customerId": "c1", "name": "clicked", "messageId": "{{{sent[1].MessageId}}}"}, {"customerId": "c2", "name": "purchase", "properties": {"amount": 30} }]
                """)),
            HttpStatusCode.Accepted);
        Assert.Equal(2, batch.GetProperty("accepted").GetInt32());

        ApiHost.Eventually(() => _host.Manager.GetStatisticsAsync("tips-journey").AsTask().Result.Get(StatisticCounter.Converted) == 1, "one conversion");
        ApiHost.Eventually(() => _host.Manager.GetStatisticsAsync("tips-journey").AsTask().Result.Get("clicked", StatisticCounter.Entered) == 2, "two clickers exit");
        var statistics = await ApiAssert.Json(await Client.GetAsync("/journeys-api/journeys/tips-journey/statistics"), HttpStatusCode.OK);

        Assert.Equal(5, statistics.GetProperty("journey").GetProperty("entered").GetInt64());
        Assert.Equal(1, statistics.GetProperty("journey").GetProperty("converted").GetInt64());
        var nodes = statistics.GetProperty("nodes").EnumerateArray().ToList();
        Assert.Equal(["tips-push", "wait-click", "clicked", "ignored"], nodes.Select(n => n.GetProperty("nodeId").GetString()));
        var push = nodes[0];
        Assert.Equal(5, push.GetProperty("counters").GetProperty("sent").GetInt64());
        Assert.Equal(2, push.GetProperty("counters").GetProperty("clicked").GetInt64());
        Assert.Equal(0.4, push.GetProperty("clickRate").GetDouble(), 6);
        Assert.Equal(0, nodes[3].GetProperty("counters").GetProperty("entered").GetInt64());

        // Who is still in: five entered, one converted, two exited after their click; the other two wait for theirs.
        Assert.Equal(2, statistics.GetProperty("waiting").GetInt64());
        Assert.Equal([0, 2, 0, 0], nodes.Select(n => n.GetProperty("waiting").GetInt64()));
    }

    [Fact]
    public async Task A_retried_click_with_its_id_is_accepted_as_a_duplicate_and_counts_once()
    {
        await ApiAssert.Json(await Client.PostAsync("/journeys-api/journeys", JourneyEndpointTests.Document(ApiHost.Tips())), HttpStatusCode.Created);
        await ApiAssert.Json(await Client.PutAsync("/journeys-api/journeys/tips-journey/start", null), HttpStatusCode.OK);
        ApiHost.Eventually(() => _host.Push.Messages.Count == 5, "five pushes");
        var sent = _host.Push.Messages.Single(m => m.CustomerId == "c0");
        var click = $$"""{"customerId": "c0", "name": "clicked", "messageId": "{{sent.MessageId}}", "id": "click-1"}""";

        var first = await ApiAssert.Json(await Client.PostAsync("/journeys-api/events", JourneyEndpointTests.Body(click)), HttpStatusCode.Accepted);
        var retry = await ApiAssert.Json(await Client.PostAsync("/journeys-api/events", JourneyEndpointTests.Body($"[{click}]")), HttpStatusCode.Accepted);

        Assert.Equal((1, 0), (first.GetProperty("accepted").GetInt32(), first.GetProperty("duplicates").GetInt32()));
        Assert.Equal((1, 1), (retry.GetProperty("accepted").GetInt32(), retry.GetProperty("duplicates").GetInt32()));
        // Feedback is counted by the publish call itself: both answers are in, so the count is final.
        Assert.Equal(1, (await _host.Manager.GetStatisticsAsync("tips-journey")).Get("tips-push", StatisticCounter.Clicked));

        var emptyId = await ApiAssert.Problem(
            await Client.PostAsync("/journeys-api/events", JourneyEndpointTests.Body("""[{"customerId": "c0", "name": "x"}, {"customerId": "c0", "name": "x", "id": " "}]""")),
            HttpStatusCode.BadRequest);
        Assert.Equal("$[1].id", emptyId.GetProperty("path").GetString());
    }

    [Fact]
    public async Task The_engines_webhook_result_event_cannot_be_published_and_is_400_naming_the_name()
    {
        var forged = await ApiAssert.Problem(
            await Client.PostAsync("/journeys-api/events", JourneyEndpointTests.Body("""[{"customerId": "c0", "name": "x"}, {"customerId": "c0", "name": "journeys.webhook.result", "properties": {"success": true}, "messageId": "0123456789abcdef0123456789abcdef/hook/1"}]""")),
            HttpStatusCode.BadRequest);
        Assert.Equal("$[1].name", forged.GetProperty("path").GetString());
    }

    [Fact]
    public async Task Bad_events_are_400_with_the_path_and_nothing_is_published()
    {
        var missing = await ApiAssert.Problem(
            await Client.PostAsync("/journeys-api/events", JourneyEndpointTests.Body("""[{"customerId": "c0", "name": "x"}, {"customerId": "c1"}]""")),
            HttpStatusCode.BadRequest);
        Assert.StartsWith("$[1]", missing.GetProperty("path").GetString(), StringComparison.Ordinal);

        var badTime = await ApiAssert.Problem(
            await Client.PostAsync("/journeys-api/events", JourneyEndpointTests.Body("""{"customerId": "c0", "name": "x", "time": "yesterday"}""")),
            HttpStatusCode.BadRequest);
        Assert.Equal("$.time", badTime.GetProperty("path").GetString());

        var badProperty = await ApiAssert.Problem(
            await Client.PostAsync("/journeys-api/events", JourneyEndpointTests.Body("""{"customerId": "c0", "name": "x", "properties": {"when": {"dateTime": "2026-01-01"}}}""")),
            HttpStatusCode.BadRequest);
        Assert.Equal("$.properties.when.dateTime", badProperty.GetProperty("path").GetString());
    }

    [Fact]
    public async Task Statistics_of_a_version_list_that_version_s_nodes_and_an_unknown_version_is_404()
    {
        await ApiAssert.Json(await Client.PostAsync("/journeys-api/journeys", JourneyEndpointTests.Document(ApiHost.Tips())), HttpStatusCode.Created);
        await ApiAssert.Json(await Client.PutAsync("/journeys-api/journeys/tips-journey/start", null), HttpStatusCode.OK);
        ApiHost.Eventually(() => _host.Push.Messages.Count == 5, "five pushes");
        ApiHost.Eventually(() => _host.Manager.GetStatisticsAsync("tips-journey", 1).AsTask().Result.Get("tips-push", StatisticCounter.Sent) == 5, "five sends counted");
        var next = JourneyBuilder.Create("tips-journey", "Tips, version 2").EnterAllCustomers().Steps(p => p.Send(Channel.Push, "tips", id: "v2-push")).Build();
        var updated = await ApiAssert.Json(await Client.PutAsync("/journeys-api/journeys/tips-journey", JourneyEndpointTests.Document(next)), HttpStatusCode.OK);
        Assert.Equal(2, updated.GetProperty("version").GetInt32());

        var first = await ApiAssert.Json(await Client.GetAsync("/journeys-api/journeys/tips-journey/statistics?version=1"), HttpStatusCode.OK);
        Assert.Equal(1, first.GetProperty("version").GetInt32());
        var firstNodes = first.GetProperty("nodes").EnumerateArray().ToList();
        Assert.Equal(["tips-push", "wait-click", "clicked", "ignored"], firstNodes.Select(n => n.GetProperty("nodeId").GetString()));
        Assert.Equal(5, firstNodes[0].GetProperty("counters").GetProperty("sent").GetInt64());

        var second = await ApiAssert.Json(await Client.GetAsync("/journeys-api/journeys/tips-journey/statistics?version=2"), HttpStatusCode.OK);
        Assert.Equal(["v2-push"], second.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("nodeId").GetString()));
        Assert.Equal(0, second.GetProperty("journey").GetProperty("entered").GetInt64());

        var unknown = await ApiAssert.Problem(await Client.GetAsync("/journeys-api/journeys/tips-journey/statistics?version=9"), HttpStatusCode.NotFound);
        Assert.Equal("Journey 'tips-journey' has no version 9.", unknown.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Statistics_of_an_unknown_journey_are_404()
    {
        await ApiAssert.Problem(await Client.GetAsync("/journeys-api/journeys/nope/statistics"), HttpStatusCode.NotFound);
        await ApiAssert.Problem(await Client.GetAsync("/journeys-api/journeys/nope/statistics/live"), HttpStatusCode.NotFound);
    }
}
