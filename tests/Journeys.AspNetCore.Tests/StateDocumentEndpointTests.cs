using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Journeys.Serialization.StateDocuments;

namespace Journeys.AspNetCore.Tests;

public sealed class StateDocumentEndpointTests : IAsyncLifetime
{
    private const string Document = """
        {"id": "sd", "name": "From states", "states": [
          {"id": "entry", "type": "IN_ALL", "params": {"forward": "push"}},
          {"id": "push", "type": "ACTION_PUSH_SEND", "params": {"action": {"campaignId": "tips"}, "forward": "click"}},
          {"id": "click", "type": "FLOW_PUSH_CLICK", "params": {"click": {"campaignId": "tips", "forward": null}, "timeout": {"time": "P5D", "forward": "mail"}}},
          {"id": "mail", "type": "ACTION_EMAIL_SEND", "params": {"action": {"campaignId": "welcome"}, "forward": null}}
        ]}
        """;

    private ApiHost _host = null!;

    private HttpClient Client => _host.Client;

    public async Task InitializeAsync() => _host = await ApiHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_state_document_is_created_by_content_type_and_read_back_by_accept_or_query()
    {
        var created = await Client.PostAsync("/journeys-api/journeys", JourneyEndpointTests.Body(Document, "application/vnd.journeys.states+json"));
        var answer = await ApiAssert.Json(created, HttpStatusCode.Created);
        Assert.Equal("application/json", created.Content.Headers.ContentType?.MediaType);
        Assert.Equal(3, answer.GetProperty("nodes").GetArrayLength());

        var request = new HttpRequestMessage(HttpMethod.Get, "/journeys-api/journeys/sd");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.journeys.states+json"));
        var byAccept = await Client.SendAsync(request);
        var states = await ApiAssert.Json(byAccept, HttpStatusCode.OK);
        Assert.Equal("application/vnd.journeys.states+json", byAccept.Content.Headers.ContentType?.MediaType);
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(Document).RootElement, states), states.ToString());

        var byQuery = await ApiAssert.Json(await Client.GetAsync("/journeys-api/journeys/sd?format=states"), HttpStatusCode.OK);
        Assert.True(JsonElement.DeepEquals(states, byQuery));

        await ApiAssert.Json(await Client.PutAsync("/journeys-api/journeys/sd/start", null), HttpStatusCode.OK);
        ApiHost.Eventually(() => _host.Push.Messages.Count == 5, "five pushes from the imported journey");
    }

    [Fact]
    public async Task The_format_flag_reads_a_state_document_sent_as_json()
    {
        await ApiAssert.Json(await Client.PostAsync("/journeys-api/journeys?format=states", JourneyEndpointTests.Body(Document)), HttpStatusCode.Created);
        Assert.NotNull(await _host.Manager.GetAsync("sd"));
        await ApiAssert.Problem(await Client.GetAsync("/journeys-api/journeys/sd?format=yaml"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_bad_state_document_is_400_naming_the_path_and_state()
    {
        var bad = Document.Replace("FLOW_PUSH_CLICK", "FLOW_WAIT", StringComparison.Ordinal);
        var problem = await ApiAssert.Problem(await Client.PostAsync("/journeys-api/journeys", JourneyEndpointTests.Body(bad, "application/vnd.journeys.states+json")), HttpStatusCode.BadRequest);
        Assert.Equal("$.states[2].type", problem.GetProperty("path").GetString());
        Assert.Contains("'click'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_journey_the_state_format_cannot_express_is_406_when_asked_as_states()
    {
        await ApiAssert.Json(await Client.PostAsync("/journeys-api/journeys", JourneyEndpointTests.Document(ApiHost.Tips())), HttpStatusCode.Created);
        var problem = await ApiAssert.Problem(await Client.GetAsync("/journeys-api/journeys/tips-journey?format=states"), HttpStatusCode.NotAcceptable);
        Assert.Equal("clicked", problem.GetProperty("nodeId").GetString());
        Assert.Contains(JourneyStateDocument.EntryStateId, JourneyStateDocument.Write(JourneyStateDocument.Read(Document)), StringComparison.Ordinal);
    }
}
