using System.Net;
using System.Net.Http.Headers;
using System.Collections.Immutable;
using System.Text;
using Journeys.Serialization;
using Journeys.Storage;

namespace Journeys.AspNetCore.Tests;

public sealed class JourneyEndpointTests : IAsyncLifetime
{
    private ApiHost _host = null!;

    private HttpClient Client => _host.Client;

    public async Task InitializeAsync() => _host = await ApiHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    internal static StringContent Body(string json, string mediaType = "application/json") => new(json, Encoding.UTF8, mediaType);

    internal static StringContent Document(JourneyDefinition journey) => Body(JourneyJson.Serialize(journey));

    private async Task<HttpResponseMessage> CreateAsync(JourneyDefinition journey) =>
        await Client.PostAsync("/journeys-api/journeys", Document(journey));

    [Fact]
    public async Task Create_returns_201_with_location_etag_and_the_stored_draft()
    {
        var response = await CreateAsync(ApiHost.Tips());

        var document = await ApiAssert.Json(response, HttpStatusCode.Created);
        Assert.Equal("/journeys-api/journeys/tips-journey", response.Headers.Location?.OriginalString);
        var stored = await _host.Manager.GetAsync("tips-journey");
        Assert.NotNull(stored);
        Assert.Equal($"\"{stored.ETag}\"", response.Headers.ETag?.ToString());
        Assert.Equal("draft", document.GetProperty("status").GetString());
        Assert.Equal(ApiHost.Tips().Nodes, JourneyJson.Deserialize(document.GetRawText()).Nodes);
    }

    [Fact]
    public async Task Create_with_malformed_json_is_400_naming_the_json_path()
    {
        var json = JourneyJson.Serialize(ApiHost.Tips(), indented: true).Replace("\"type\": \"send\"", "\"type\": \"sned\"", StringComparison.Ordinal);

        var problem = await ApiAssert.Problem(await Client.PostAsync("/journeys-api/journeys", Body(json)), HttpStatusCode.BadRequest);

        Assert.Equal("$.nodes[0].type", problem.GetProperty("path").GetString());
        Assert.Contains("sned", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.True(problem.GetProperty("line").GetInt64() > 1);
        Assert.Null(await _host.Manager.GetAsync("tips-journey"));
    }

    [Fact]
    public async Task Create_with_broken_json_syntax_is_400_with_a_path()
    {
        var problem = await ApiAssert.Problem(await Client.PostAsync("/journeys-api/journeys", Body("{\"schemaVersion\": 1, \"id\": ")), HttpStatusCode.BadRequest);
        Assert.StartsWith("$", problem.GetProperty("path").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_of_an_existing_id_is_409_and_another_media_type_is_415_and_no_body_is_400()
    {
        await ApiAssert.Json(await CreateAsync(ApiHost.Tips()), HttpStatusCode.Created);

        var taken = await ApiAssert.Problem(await CreateAsync(ApiHost.Tips()), HttpStatusCode.Conflict);
        Assert.Equal("Journey 'tips-journey' already exists: choose another id, or replace it with PUT /journeys-api/journeys/tips-journey (If-Match: its ETag).", taken.GetProperty("detail").GetString());
        Assert.Equal("tips-journey", taken.GetProperty("journeyId").GetString());
        // Routing refuses the media type from the endpoint's Accepts metadata (the host's status code pages may add a body).
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await Client.PostAsync("/journeys-api/journeys", Body("<journey/>", "application/xml"))).StatusCode);
        await ApiAssert.Problem(await Client.PostAsync("/journeys-api/journeys", Body(string.Empty)), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Create_or_clone_under_the_id_of_a_deleted_journey_that_had_enrollments_is_409_naming_it()
    {
        await _host.Manager.CreateAsync(ApiHost.Tips("gone") with { Entry = new CustomerListEntry(new[] { "c1" }.ToImmutableArray()) });
        Assert.Equal(1, (await _host.Manager.ActivateAsync("gone")).Enrolled);
        await CreateAsync(ApiHost.Tips());
        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync("/journeys-api/journeys/gone")).StatusCode);

        var created = await ApiAssert.Problem(await CreateAsync(ApiHost.Tips("gone")), HttpStatusCode.Conflict);
        var cloned = await ApiAssert.Problem(await Client.PostAsync("/journeys-api/journeys/tips-journey/clone", Body("""{"id": "gone", "name": "Again"}""")), HttpStatusCode.Conflict);

        foreach (var problem in new[] { created, cloned })
        {
            Assert.Equal("gone", problem.GetProperty("journeyId").GetString());
            Assert.StartsWith("Journey id 'gone' was used by a deleted journey whose enrollments and statistics are kept", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        Assert.Null(await _host.Manager.GetAsync("gone"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("a/b")]
    public async Task Create_of_an_id_that_is_not_a_journey_id_is_400_naming_the_id_and_stores_nothing(string id)
    {
        // The route addresses a journey by its id: "a/b" would be created and then never found again; "" was a 500.
        var json = JourneyJson.Serialize(ApiHost.Tips("placeholder")).Replace("\"id\":\"placeholder\"", $"\"id\":\"{id}\"", StringComparison.Ordinal);

        var problem = await ApiAssert.Problem(await Client.PostAsync("/journeys-api/journeys", Body(json)), HttpStatusCode.BadRequest);

        Assert.Equal("$.id", problem.GetProperty("path").GetString());
        Assert.StartsWith($"Journey id '{id}' is invalid", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(await _host.Manager.ListAsync().ToListAsync());
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413()
    {
        await using var host = await ApiHost.StartAsync(o => o.MaxRequestBodySize = 100);
        var response = await host.Client.PostAsync("/journeys-api/journeys", Document(ApiHost.Tips()));
        await ApiAssert.Problem(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task Get_returns_the_document_and_etag_list_returns_summaries_and_unknown_ids_are_404()
    {
        await CreateAsync(ApiHost.Tips("b-journey"));
        await CreateAsync(ApiHost.Tips("a-journey"));

        var get = await Client.GetAsync("/journeys-api/journeys/a-journey");
        var document = await ApiAssert.Json(get, HttpStatusCode.OK);
        Assert.Equal("a-journey", document.GetProperty("id").GetString());
        Assert.Equal($"\"{(await _host.Manager.GetAsync("a-journey"))!.ETag}\"", get.Headers.ETag?.ToString());

        var list = await ApiAssert.Json(await Client.GetAsync("/journeys-api/journeys"), HttpStatusCode.OK);
        Assert.Equal(["a-journey", "b-journey"], list.EnumerateArray().Select(j => j.GetProperty("id").GetString()));
        Assert.Equal(4, list[0].GetProperty("nodeCount").GetInt32());

        var problem = await ApiAssert.Problem(await Client.GetAsync("/journeys-api/journeys/nope"), HttpStatusCode.NotFound);
        Assert.Contains("nope", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Update_with_the_current_if_match_replaces_and_a_stale_one_is_412()
    {
        var created = await CreateAsync(ApiHost.Tips());
        var etag = created.Headers.ETag!;
        var renamed = ApiHost.Tips() with { Name = "Tips, renamed" };

        var put = new HttpRequestMessage(HttpMethod.Put, "/journeys-api/journeys/tips-journey") { Content = Document(renamed) };
        put.Headers.IfMatch.Add(etag);
        var updated = await Client.SendAsync(put);
        var document = await ApiAssert.Json(updated, HttpStatusCode.OK);
        Assert.Equal("Tips, renamed", document.GetProperty("name").GetString());
        Assert.NotEqual(etag, updated.Headers.ETag);

        var stale = new HttpRequestMessage(HttpMethod.Put, "/journeys-api/journeys/tips-journey") { Content = Document(ApiHost.Tips() with { Name = "Lost update" }) };
        stale.Headers.IfMatch.Add(etag);
        await ApiAssert.Problem(await Client.SendAsync(stale), HttpStatusCode.PreconditionFailed);
        Assert.Equal("Tips, renamed", (await _host.Manager.GetAsync("tips-journey"))!.Journey.Name);
    }

    [Theory]
    [InlineData("PUT", "/start")]
    [InlineData("PUT", "/stop")]
    [InlineData("DELETE", "")]
    public async Task Start_stop_and_delete_with_a_stale_if_match_are_412_and_change_nothing(string method, string action)
    {
        // The errors table: 412 when If-Match names an ETag that is no longer the journey's. These routes ignored it, so a
        // client that had read an older version deleted, started or stopped the journey someone else had changed since.
        var created = await CreateAsync(ApiHost.Tips());
        var stale = created.Headers.ETag!;
        var current = await ApiAssert.Json(await Client.PutAsync("/journeys-api/journeys/tips-journey", Document(ApiHost.Tips() with { Name = "Changed" })), HttpStatusCode.OK);
        if (action == "/stop")
        {
            await ApiAssert.Json(await Client.PutAsync("/journeys-api/journeys/tips-journey/start", null), HttpStatusCode.OK);
        }

        var before = (await _host.Manager.GetAsync("tips-journey"))!;
        using var request = new HttpRequestMessage(new HttpMethod(method), "/journeys-api/journeys/tips-journey" + action);
        request.Headers.IfMatch.Add(stale);

        await ApiAssert.Problem(await Client.SendAsync(request), HttpStatusCode.PreconditionFailed);

        var after = (await _host.Manager.GetAsync("tips-journey"))!;
        Assert.Equal((before.ETag, before.Journey.Status), (after.ETag, after.Journey.Status));
        Assert.Equal("Changed", current.GetProperty("name").GetString());

        using var fresh = new HttpRequestMessage(new HttpMethod(method), "/journeys-api/journeys/tips-journey" + action);
        fresh.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue(ETags.Format(after)));
        Assert.True((await Client.SendAsync(fresh)).IsSuccessStatusCode);
    }

    [Fact]
    public async Task Update_of_another_id_is_400_and_of_an_unknown_journey_is_404()
    {
        await CreateAsync(ApiHost.Tips());

        var mismatch = await ApiAssert.Problem(
            await Client.PutAsync("/journeys-api/journeys/tips-journey", Document(ApiHost.Tips("other"))),
            HttpStatusCode.BadRequest);
        Assert.Equal("$.id", mismatch.GetProperty("path").GetString());

        await ApiAssert.Problem(await Client.PutAsync("/journeys-api/journeys/other", Document(ApiHost.Tips("other"))), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Update_of_an_active_journey_makes_a_new_draft_version()
    {
        await CreateAsync(ApiHost.Tips());
        await ApiAssert.Json(await Client.PutAsync("/journeys-api/journeys/tips-journey/start", null), HttpStatusCode.OK);

        var document = await ApiAssert.Json(await Client.PutAsync("/journeys-api/journeys/tips-journey", Document(ApiHost.Tips())), HttpStatusCode.OK);

        Assert.Equal(2, document.GetProperty("version").GetInt32());
        Assert.Equal("draft", document.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Delete_is_204_then_404()
    {
        await CreateAsync(ApiHost.Tips());

        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync("/journeys-api/journeys/tips-journey")).StatusCode);
        await ApiAssert.Problem(await Client.DeleteAsync("/journeys-api/journeys/tips-journey"), HttpStatusCode.NotFound);
        Assert.Null(await _host.Manager.GetAsync("tips-journey"));
    }

    [Fact]
    public async Task Answers_write_text_as_it_is_not_as_unicode_escapes()
    {
        // The journey documents are written with the relaxed encoder (JourneyJson); the other answers were written with
        // System.Text.Json's default one, which escapes '+', quotes and every non-ASCII letter: a name 'Campaña +30 %'
        // read "Campa\u00F1a \u002B30 %" in the list, and every diagnostic "Node \u0027x\u0027 ...".
        var broken = ApiHost.Tips() with { Name = "Campaña «otoño» +30 % <b>", Nodes = [new SendNode("tips-push", Channel.Push, new CampaignReference("no-such-campaign", []), null)] };
        await CreateAsync(broken);

        var list = await Client.GetStringAsync("/journeys-api/journeys");
        Assert.Contains("\"Campaña «otoño» +30 % <b>\"", list, StringComparison.Ordinal);
        var check = await Client.GetStringAsync("/journeys-api/journeys/tips-journey/check");
        Assert.Contains("'no-such-campaign'", check, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u", check, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_lists_every_diagnostic_and_is_404_for_an_unknown_journey()
    {
        var broken = ApiHost.Tips() with { Nodes = [new SendNode("tips-push", Channel.Push, new CampaignReference("no-such-campaign", []), null)] };
        await CreateAsync(broken);

        var check = await ApiAssert.Json(await Client.GetAsync("/journeys-api/journeys/tips-journey/check"), HttpStatusCode.OK);

        Assert.False(check.GetProperty("valid").GetBoolean());
        var diagnostic = Assert.Single(check.GetProperty("diagnostics").EnumerateArray(), d => d.GetProperty("severity").GetString() == "error");
        Assert.Equal("tips-push", diagnostic.GetProperty("nodeId").GetString());
        Assert.Contains("no-such-campaign", diagnostic.GetProperty("message").GetString(), StringComparison.Ordinal);

        await CreateAsync(ApiHost.Tips("good"));
        Assert.True((await ApiAssert.Json(await Client.GetAsync("/journeys-api/journeys/good/check"), HttpStatusCode.OK)).GetProperty("valid").GetBoolean());
        await ApiAssert.Problem(await Client.GetAsync("/journeys-api/journeys/nope/check"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Clone_makes_a_new_draft_and_refuses_taken_and_invalid_ids_and_unknown_sources()
    {
        await CreateAsync(ApiHost.Tips());

        var clone = await Client.PostAsync("/journeys-api/journeys/tips-journey/clone", Body("""{"id": "tips-copy", "name": "Copy"}"""));
        var document = await ApiAssert.Json(clone, HttpStatusCode.Created);
        Assert.Equal("tips-copy", document.GetProperty("id").GetString());
        Assert.Equal("/journeys-api/journeys/tips-copy", clone.Headers.Location?.OriginalString);

        var taken = await ApiAssert.Problem(await Client.PostAsync("/journeys-api/journeys/tips-journey/clone", Body("""{"id": "tips-copy", "name": "Again"}""")), HttpStatusCode.Conflict);
        Assert.Equal("tips-copy", taken.GetProperty("journeyId").GetString());
        Assert.StartsWith("Journey 'tips-copy' already exists: choose another id", taken.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var invalid = await ApiAssert.Problem(await Client.PostAsync("/journeys-api/journeys/tips-journey/clone", Body("""{"id": "no spaces", "name": "X"}""")), HttpStatusCode.BadRequest);
        Assert.Equal("$.id", invalid.GetProperty("path").GetString());
        Assert.Contains("'no spaces' is invalid", invalid.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", invalid.GetProperty("detail").GetString(), StringComparison.Ordinal); // no C# parameter name in an HTTP answer
        var unknownProperty = await ApiAssert.Problem(await Client.PostAsync("/journeys-api/journeys/tips-journey/clone", Body("""{"id": "x", "name": "X", "nmae": 1}""")), HttpStatusCode.BadRequest);
        Assert.Equal("$.nmae", unknownProperty.GetProperty("path").GetString());
        await ApiAssert.Problem(await Client.PostAsync("/journeys-api/journeys/nope/clone", Body("""{"id": "x", "name": "X"}""")), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Start_of_an_invalid_journey_is_422_with_every_diagnostic()
    {
        var broken = ApiHost.Tips() with
        {
            Nodes = [new SendNode("tips-push", Channel.Push, new CampaignReference("no-such-campaign", []), "gone"), new ExitNode("orphan", "never reached")],
        };
        await CreateAsync(broken);

        var problem = await ApiAssert.Problem(await Client.PutAsync("/journeys-api/journeys/tips-journey/start", null), HttpStatusCode.UnprocessableEntity);

        var diagnostics = problem.GetProperty("diagnostics").EnumerateArray().ToList();
        Assert.True(diagnostics.Count >= 3, problem.ToString());
        Assert.All(diagnostics, d =>
        {
            Assert.False(string.IsNullOrEmpty(d.GetProperty("code").GetString()));
            Assert.False(string.IsNullOrEmpty(d.GetProperty("message").GetString()));
        });
        Assert.Contains(diagnostics, d => d.GetProperty("nodeId").GetString() == "orphan");
        Assert.Contains(diagnostics, d => d.GetProperty("nodeId").GetString() == "tips-push" && d.GetProperty("path").GetString()!.Contains("nodes", StringComparison.Ordinal));
        Assert.Equal(JourneyStatus.Draft, (await _host.Manager.GetAsync("tips-journey"))!.Journey.Status);
    }

    [Fact]
    public async Task Start_before_the_entry_window_is_200_and_the_audience_enters_when_it_opens()
    {
        var now = _host.Time.GetUtcNow();
        var early = ApiHost.Tips() with { EntryRules = EntryRules.Default with { WindowStart = now.AddHours(1) } };
        await CreateAsync(early);

        var started = await ApiAssert.Json(await Client.PutAsync("/journeys-api/journeys/tips-journey/start", null), HttpStatusCode.OK);
        Assert.Equal(0, started.GetProperty("enrolled").GetInt32());
        Assert.Equal("active", started.GetProperty("journey").GetProperty("status").GetString());
        Assert.Equal(0, (await _host.Manager.GetStatisticsAsync("tips-journey")).Get(StatisticCounter.Entered));

        _host.Time.Advance(TimeSpan.FromHours(1));
        ApiHost.Eventually(() => _host.Push.Messages.Count == 5, "the five customers' pushes when the window opened");
        Assert.Equal(5, (await _host.Manager.GetStatisticsAsync("tips-journey")).Get(StatisticCounter.Entered));
    }

    [Fact]
    public async Task Start_after_the_entry_window_is_409_naming_the_reason_and_activates_nothing()
    {
        var now = _host.Time.GetUtcNow();
        await CreateAsync(ApiHost.Tips("ended") with { EntryRules = EntryRules.Default with { WindowEnd = now } });

        var after = await ApiAssert.Problem(await Client.PutAsync("/journeys-api/journeys/ended/start", null), HttpStatusCode.Conflict);

        Assert.Contains("its entry window ended", after.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("entryWindowEnded", after.GetProperty("reason").GetString());
        Assert.Equal("ended", after.GetProperty("journeyId").GetString());
        Assert.Equal(JourneyStatus.Draft, (await _host.Manager.GetAsync("ended"))!.Journey.Status);
    }

    [Fact]
    public async Task Start_enrolls_the_audience_and_stop_cancels_the_waiting_enrollments()
    {
        await CreateAsync(ApiHost.Tips());

        var started = await ApiAssert.Json(await Client.PutAsync("/journeys-api/journeys/tips-journey/start", null), HttpStatusCode.OK);
        Assert.Equal(5, started.GetProperty("enrolled").GetInt32());
        Assert.Equal("active", started.GetProperty("journey").GetProperty("status").GetString());
        ApiHost.Eventually(() => _host.Push.Messages.Count == 5, "five tips pushes");
        ApiHost.Eventually(() => _host.Manager.GetStatisticsAsync("tips-journey").AsTask().Result.Get("wait-click", StatisticCounter.Entered) == 5, "five waiting");

        var stopped = await ApiAssert.Json(await Client.PutAsync("/journeys-api/journeys/tips-journey/stop", null), HttpStatusCode.OK);
        Assert.Equal(5, stopped.GetProperty("cancelled").GetInt32());
        Assert.Equal("stopped", stopped.GetProperty("journey").GetProperty("status").GetString());

        await ApiAssert.Problem(await Client.PutAsync("/journeys-api/journeys/nope/start", null), HttpStatusCode.NotFound);
        await ApiAssert.Problem(await Client.PutAsync("/journeys-api/journeys/nope/stop", null), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Starting_an_active_journey_again_is_200_and_changes_nothing()
    {
        await CreateAsync(ApiHost.Tips());
        var first = await Client.PutAsync("/journeys-api/journeys/tips-journey/start", null);
        Assert.Equal(5, (await ApiAssert.Json(first, HttpStatusCode.OK)).GetProperty("enrolled").GetInt32());

        // PUT is idempotent: a client that retries it must not re-enroll the audience nor change the journey (its ETag).
        var again = await Client.PutAsync("/journeys-api/journeys/tips-journey/start", null);

        var document = await ApiAssert.Json(again, HttpStatusCode.OK);
        Assert.Equal(0, document.GetProperty("enrolled").GetInt32());
        Assert.Equal("active", document.GetProperty("journey").GetProperty("status").GetString());
        Assert.Equal(Tag(first), Tag(again));
    }

    [Fact]
    public async Task A_custom_prefix_is_used_for_routes_and_locations()
    {
        await using var host = await ApiHost.StartAsync(prefix: "api/v1/");
        var response = await host.Client.PostAsync("/api/v1/journeys", Document(ApiHost.Tips()));
        await ApiAssert.Json(response, HttpStatusCode.Created);
        Assert.Equal("/api/v1/journeys/tips-journey", response.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.NotFound, (await host.Client.GetAsync("/journeys-api/journeys")).StatusCode);
    }

    [Fact]
    public async Task An_if_match_that_is_not_an_entity_tag_is_400()
    {
        await CreateAsync(ApiHost.Tips());
        var put = new HttpRequestMessage(HttpMethod.Put, "/journeys-api/journeys/tips-journey") { Content = Document(ApiHost.Tips()) };
        put.Headers.TryAddWithoutValidation("If-Match", "not-quoted");
        await ApiAssert.Problem(await Client.SendAsync(put), HttpStatusCode.BadRequest);
    }

    internal static EntityTagHeaderValue Tag(HttpResponseMessage response) => response.Headers.ETag!;
}
