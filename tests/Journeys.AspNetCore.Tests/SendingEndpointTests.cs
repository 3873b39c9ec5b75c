using System.Net;

namespace Journeys.AspNetCore.Tests;

public sealed class SendingEndpointTests : IAsyncLifetime
{
    private ApiHost _host = null!;

    private HttpClient Client => _host.Client;

    public async Task InitializeAsync() => _host = await ApiHost.StartAsync(o => o.MaxCsvBodySize = 4096);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_sending_to_all_is_202_with_its_location_and_can_be_read_listed_and_stopped()
    {
        var response = await Client.PostAsync("/journeys-api/sendings/all", JourneyEndpointTests.Body("""{"campaignId": "tips", "sendingId": "s-all", "name": "Tips now"}"""));
        var sending = await ApiAssert.Json(response, HttpStatusCode.Accepted);
        Assert.Equal("/journeys-api/sendings/s-all", response.Headers.Location?.ToString());
        Assert.Equal(("s-all", "tips", "push", "allCustomers"), (sending.GetProperty("sendingId").GetString(), sending.GetProperty("campaignId").GetString(), sending.GetProperty("channel").GetString(), sending.GetProperty("audience").GetString()));
        Assert.Equal(5, sending.GetProperty("progress").GetProperty("enrolled").GetInt32());

        var read = await ApiAssert.Json(await Client.GetAsync("/journeys-api/sendings/s-all"), HttpStatusCode.OK);
        Assert.Equal("Tips now", read.GetProperty("name").GetString());
        var listed = await ApiAssert.Json(await Client.GetAsync("/journeys-api/sendings"), HttpStatusCode.OK);
        Assert.Contains(listed.EnumerateArray(), s => s.GetProperty("sendingId").GetString() == "s-all");

        var stopped = await ApiAssert.Json(await Client.PutAsync("/journeys-api/sendings/s-all/stop", null), HttpStatusCode.OK);
        Assert.Equal("stopped", stopped.GetProperty("state").GetString());

        // As a journey's stop route, a second stop answers the stopped state again.
        var again = await ApiAssert.Json(await Client.PutAsync("/journeys-api/sendings/s-all/stop", null), HttpStatusCode.OK);
        Assert.Equal("stopped", again.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Unknown_sendings_are_404()
    {
        await ApiAssert.Problem(await Client.GetAsync("/journeys-api/sendings/nope"), HttpStatusCode.NotFound);
        await ApiAssert.Problem(await Client.PutAsync("/journeys-api/sendings/nope/stop", null), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_sending_to_a_list_counts_unknown_ids()
    {
        var sending = await ApiAssert.Json(
            await Client.PostAsync("/journeys-api/sendings/list", JourneyEndpointTests.Body("""{"campaignId": "welcome", "sendingId": "s-list", "customerIds": ["c1", "c2", "ghost"]}""")),
            HttpStatusCode.Accepted);
        Assert.Equal(("list", "email"), (sending.GetProperty("audience").GetString(), sending.GetProperty("channel").GetString()));
        Assert.Equal((2, 1), (sending.GetProperty("progress").GetProperty("enrolled").GetInt32(), sending.GetProperty("progress").GetProperty("unknown").GetInt32()));
    }

    [Fact]
    public async Task Bad_requests_are_400_naming_the_part_and_a_reused_id_409()
    {
        var unknown = await ApiAssert.Problem(await Client.PostAsync("/journeys-api/sendings/all", JourneyEndpointTests.Body("""{"campaignId": "nope"}""")), HttpStatusCode.BadRequest);
        Assert.Equal(("$.campaignId", "nope"), (unknown.GetProperty("path").GetString(), unknown.GetProperty("campaignId").GetString()));
        Assert.EndsWith("Campaign 'nope' is not in the campaign catalog (AddJourneys(j => j.AddCampaigns(...))).", unknown.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var badId = await ApiAssert.Problem(await Client.PostAsync("/journeys-api/sendings/all", JourneyEndpointTests.Body("""{"campaignId": "tips", "sendingId": " "}""")), HttpStatusCode.BadRequest);
        Assert.Equal("$.sendingId", badId.GetProperty("path").GetString());
        var missing = await ApiAssert.Problem(await Client.PostAsync("/journeys-api/sendings/all", JourneyEndpointTests.Body("""{"name": "x"}""")), HttpStatusCode.BadRequest);
        Assert.Equal("$.campaignId", missing.GetProperty("path").GetString());
        var extra = await ApiAssert.Problem(await Client.PostAsync("/journeys-api/sendings/all", JourneyEndpointTests.Body("""{"campaignId": "tips", "customerIds": ["c1"]}""")), HttpStatusCode.BadRequest);
        Assert.Equal("$.customerIds", extra.GetProperty("path").GetString());
        var noList = await ApiAssert.Problem(await Client.PostAsync("/journeys-api/sendings/list", JourneyEndpointTests.Body("""{"campaignId": "tips"}""")), HttpStatusCode.BadRequest);
        Assert.Equal("$.customerIds", noList.GetProperty("path").GetString());
        var strict = await ApiAssert.Problem(await Client.PostAsync("/journeys-api/sendings/all", JourneyEndpointTests.Body("""{"campaignId": "tips", "color": 1}""")), HttpStatusCode.BadRequest);
        Assert.Contains("color", strict.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // An unknown time zone is bad input (400 naming the field), like the rest here, not a 422 diagnostic; nothing is
        // imported or sent.
        var zone = await ApiAssert.Problem(await Client.PostAsync("/journeys-api/sendings/all", JourneyEndpointTests.Body("""{"campaignId": "tips", "sendingId": "s-zone", "timeZoneId": "Mars/Olympus_Mons"}""")), HttpStatusCode.BadRequest);
        Assert.Equal("$.timeZoneId", zone.GetProperty("path").GetString());
        Assert.Contains("'Mars/Olympus_Mons'", zone.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var csvZone = await ApiAssert.Problem(await Client.PostAsync("/journeys-api/sendings/csv?campaignId=tips&sendingId=s-zone&timeZoneId=Mars/Olympus_Mons", CsvImportEndpointTests.Csv("customerId\nzone-csv\n")), HttpStatusCode.BadRequest);
        Assert.Equal("query:timeZoneId", csvZone.GetProperty("path").GetString());
        await ApiAssert.Problem(await Client.GetAsync("/journeys-api/sendings/s-zone"), HttpStatusCode.NotFound);
        await ApiAssert.Problem(await Client.GetAsync("/journeys-api/customers/zone-csv"), HttpStatusCode.NotFound);

        await ApiAssert.Json(await Client.PostAsync("/journeys-api/sendings/list", JourneyEndpointTests.Body("""{"campaignId": "tips", "sendingId": "taken", "customerIds": ["c1"]}""")), HttpStatusCode.Accepted);
        await ApiAssert.Problem(await Client.PostAsync("/journeys-api/sendings/list", JourneyEndpointTests.Body("""{"campaignId": "welcome", "sendingId": "taken", "customerIds": ["c1"]}""")), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task A_new_sending_id_over_120_characters_is_400_naming_the_sending_id_and_the_limits()
    {
        // 121 to 200 characters: a sending made before 2026-12-01 could have such an id (and is resumed under it), a new one cannot.
        var longId = new string('s', 121);
        var refused = await ApiAssert.Problem(await Client.PostAsync("/journeys-api/sendings/all", JourneyEndpointTests.Body($$"""{"campaignId": "tips", "sendingId": "{{longId}}"}""")), HttpStatusCode.BadRequest);
        Assert.Equal("$.sendingId", refused.GetProperty("path").GetString());
        Assert.Contains("it must be 1 to 120 characters", refused.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var csv = await ApiAssert.Problem(await Client.PostAsync($"/journeys-api/sendings/csv?campaignId=tips&sendingId={longId}", CsvImportEndpointTests.Csv("customerId\nc1\n")), HttpStatusCode.BadRequest);
        Assert.Equal("query:sendingId", csv.GetProperty("path").GetString());

        // Over 200: refused before the manager, with both limits.
        var tooLong = await ApiAssert.Problem(await Client.PostAsync("/journeys-api/sendings/all", JourneyEndpointTests.Body($$"""{"campaignId": "tips", "sendingId": "{{new string('s', 201)}}"}""")), HttpStatusCode.BadRequest);
        Assert.Equal("$.sendingId", tooLong.GetProperty("path").GetString());
        Assert.Contains("1 to 120 characters (up to 200 to resume a sending made before 2026-12-01)", tooLong.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await ApiAssert.Problem(await Client.GetAsync($"/journeys-api/sendings/{longId}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_csv_sending_whose_id_is_taken_by_another_campaign_is_409_and_imports_nothing()
    {
        await ApiAssert.Json(await Client.PostAsync("/journeys-api/sendings/list", JourneyEndpointTests.Body("""{"campaignId": "tips", "sendingId": "taken-csv", "customerIds": ["c1"]}""")), HttpStatusCode.Accepted);

        await ApiAssert.Problem(
            await Client.PostAsync("/journeys-api/sendings/csv?campaignId=welcome&sendingId=taken-csv", CsvImportEndpointTests.Csv("customerId\ntaken-new\n")),
            HttpStatusCode.Conflict);

        await ApiAssert.Problem(await Client.GetAsync("/journeys-api/customers/taken-new"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_id_of_a_deleted_sending_is_409_naming_it_and_sends_or_imports_nothing()
    {
        await ApiAssert.Json(await Client.PostAsync("/journeys-api/sendings/list", JourneyEndpointTests.Body("""{"campaignId": "tips", "sendingId": "gone", "customerIds": ["c1"]}""")), HttpStatusCode.Accepted);
        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync("/journeys-api/journeys/sending:gone")).StatusCode);

        var again = await ApiAssert.Problem(
            await Client.PostAsync("/journeys-api/sendings/list", JourneyEndpointTests.Body("""{"campaignId": "tips", "sendingId": "gone", "customerIds": ["c1", "c2"]}""")),
            HttpStatusCode.Conflict);
        Assert.Equal("gone", again.GetProperty("sendingId").GetString());
        await ApiAssert.Problem(
            await Client.PostAsync("/journeys-api/sendings/csv?campaignId=tips&sendingId=gone", CsvImportEndpointTests.Csv("customerId\ngone-new\n")),
            HttpStatusCode.Conflict);
        await ApiAssert.Problem(await Client.GetAsync("/journeys-api/sendings/gone"), HttpStatusCode.NotFound);
        await ApiAssert.Problem(await Client.GetAsync("/journeys-api/customers/gone-new"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_csv_sending_with_a_bad_sending_id_is_400_naming_the_query_value()
    {
        var problem = await ApiAssert.Problem(
            await Client.PostAsync("/journeys-api/sendings/csv?campaignId=tips&sendingId=%20", CsvImportEndpointTests.Csv("customerId\nblank-id\n")),
            HttpStatusCode.BadRequest);

        Assert.Equal("query:sendingId", problem.GetProperty("path").GetString());
        await ApiAssert.Problem(await Client.GetAsync("/journeys-api/customers/blank-id"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_null_customer_id_in_a_list_sending_is_400_naming_it_and_sends_nothing()
    {
        // "Request bodies other than journey documents are strict: ... a null item of a list, is refused with its path."
        // The null was counted as an unknown customer and the sending went out to the rest (202).
        var problem = await ApiAssert.Problem(
            await Client.PostAsync("/journeys-api/sendings/list", JourneyEndpointTests.Body("""{"campaignId": "tips", "sendingId": "s-null", "customerIds": ["c1", null]}""")),
            HttpStatusCode.BadRequest);

        Assert.Equal("$.customerIds[1]", problem.GetProperty("path").GetString());
        await ApiAssert.Problem(await Client.GetAsync("/journeys-api/sendings/s-null"), HttpStatusCode.NotFound);
        Assert.Empty(_host.Push.Messages);
    }

    [Fact]
    public async Task A_sending_answer_writes_its_id_and_name_as_they_are()
    {
        // The sending answers are built as JSON nodes: they were written with the default encoder ("\u002B1 día").
        var response = await Client.PostAsync("/journeys-api/sendings/list", JourneyEndpointTests.Body("""{"campaignId": "tips", "sendingId": "+1 día", "name": "Señal 'A' & <B>", "customerIds": ["c1"]}"""));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"+1 día\"", text, StringComparison.Ordinal);
        Assert.Contains("\"Señal 'A' & <B>\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_campaign_that_cannot_be_sent_as_requested_is_422_with_its_diagnostics_and_sends_nothing()
    {
        var unbound = await ApiAssert.Problem(
            await Client.PostAsync("/journeys-api/sendings/list", JourneyEndpointTests.Body("""{"campaignId": "greeting", "sendingId": "s-unbound", "customerIds": ["c1"]}""")),
            HttpStatusCode.UnprocessableEntity);
        var diagnostic = Assert.Single(unbound.GetProperty("diagnostics").EnumerateArray(), d => d.GetProperty("code").GetString() == "unbound-variable");
        Assert.Contains("{{name}}", diagnostic.GetProperty("message").GetString(), StringComparison.Ordinal);
        await ApiAssert.Problem(await Client.GetAsync("/journeys-api/sendings/s-unbound"), HttpStatusCode.NotFound);

        var csv = await ApiAssert.Problem(
            await Client.PostAsync("/journeys-api/sendings/csv?campaignId=greeting&sendingId=s-unbound-csv", CsvImportEndpointTests.Csv("customerId\nnew-from-csv\n")),
            HttpStatusCode.UnprocessableEntity);
        Assert.Contains(csv.GetProperty("diagnostics").EnumerateArray(), d => d.GetProperty("code").GetString() == "unbound-variable");
        await ApiAssert.Problem(await Client.GetAsync("/journeys-api/sendings/s-unbound-csv"), HttpStatusCode.NotFound);
        await ApiAssert.Problem(await Client.GetAsync("/journeys-api/customers/new-from-csv"), HttpStatusCode.NotFound);

        const string Bound = """{"campaignId": "greeting", "sendingId": "s-bound", "customerIds": ["c1"], "variables": [{"variable": "name", "field": "name", "default": "friend"}]}""";
        var noField = await ApiAssert.Problem(await Client.PostAsync("/journeys-api/sendings/list", JourneyEndpointTests.Body(Bound)), HttpStatusCode.UnprocessableEntity);
        var unknownField = Assert.Single(noField.GetProperty("diagnostics").EnumerateArray());
        Assert.Equal(("unknown-field", "nodes[send].campaign.variables[0].field"), (unknownField.GetProperty("code").GetString(), unknownField.GetProperty("path").GetString()));

        await ApiAssert.Json(await Client.PutAsync("/journeys-api/customer-fields/name", JourneyEndpointTests.Body("""{"type": "string"}""")), HttpStatusCode.OK);
        var bound = await ApiAssert.Json(await Client.PostAsync("/journeys-api/sendings/list", JourneyEndpointTests.Body(Bound)), HttpStatusCode.Accepted);
        Assert.Equal("s-bound", bound.GetProperty("sendingId").GetString());
    }

    [Fact]
    public async Task A_csv_sending_imports_then_sends_and_refuses_bad_files_and_campaigns()
    {
        var response = await Client.PostAsync("/journeys-api/sendings/csv?campaignId=tips&sendingId=s-csv", CsvImportEndpointTests.Multipart("customerId\nf1\nc0\n"));
        var result = await ApiAssert.Json(response, HttpStatusCode.Accepted);
        Assert.Equal("/journeys-api/sendings/s-csv", response.Headers.Location?.ToString());
        Assert.Equal((2, 1), (result.GetProperty("import").GetProperty("rowsRead").GetInt32(), result.GetProperty("import").GetProperty("created").GetInt32()));
        Assert.Equal(2, result.GetProperty("sending").GetProperty("progress").GetProperty("enrolled").GetInt32());

        var bad = await ApiAssert.Problem(await Client.PostAsync("/journeys-api/sendings/csv?campaignId=tips&sendingId=s-bad", CsvImportEndpointTests.Csv("customerId,nofield\nf2,1\n")), HttpStatusCode.BadRequest);
        Assert.True(bad.GetProperty("problemCount").GetInt32() >= 1);
        await ApiAssert.Problem(await Client.GetAsync("/journeys-api/sendings/s-bad"), HttpStatusCode.NotFound);

        var noCampaign = await ApiAssert.Problem(await Client.PostAsync("/journeys-api/sendings/csv", CsvImportEndpointTests.Csv("customerId\nf3\n")), HttpStatusCode.BadRequest);
        Assert.Equal("query:campaignId", noCampaign.GetProperty("path").GetString());
        var unknown = await ApiAssert.Problem(await Client.PostAsync("/journeys-api/sendings/csv?campaignId=nope", CsvImportEndpointTests.Csv("customerId\nf3\n")), HttpStatusCode.BadRequest);
        Assert.Equal(("nope", "query:campaignId"), (unknown.GetProperty("campaignId").GetString(), unknown.GetProperty("path").GetString()));

        var big = "customerId\n" + string.Concat(Enumerable.Range(0, 600).Select(i => $"big{i}\n"));
        await ApiAssert.Problem(await Client.PostAsync("/journeys-api/sendings/csv?campaignId=tips&sendingId=s-big", CsvImportEndpointTests.Csv(big)), HttpStatusCode.RequestEntityTooLarge);
        await ApiAssert.Problem(await Client.GetAsync("/journeys-api/sendings/s-big"), HttpStatusCode.NotFound);
    }
}
