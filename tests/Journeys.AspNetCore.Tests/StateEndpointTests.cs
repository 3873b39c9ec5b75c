using System.Net;
using Journeys.Serialization;

namespace Journeys.AspNetCore.Tests;

public sealed class StateEndpointTests : IAsyncLifetime
{
    private ApiHost _host = null!;

    private HttpClient Client => _host.Client;

    public async Task InitializeAsync()
    {
        _host = await ApiHost.StartAsync();
        await ApiAssert.Json(await Client.PostAsync("/journeys-api/journeys", JourneyEndpointTests.Document(ApiHost.Tips())), HttpStatusCode.Created);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static StringContent Node(JourneyNode node) => JourneyEndpointTests.Body(JourneyJson.SerializeNode(node));

    [Fact]
    public async Task Add_replace_get_and_remove_a_state_of_a_draft()
    {
        var added = await Client.PostAsync("/journeys-api/journeys/tips-journey/states", Node(new ExitNode("bye", "done")));
        var document = await ApiAssert.Json(added, HttpStatusCode.Created);
        Assert.Equal("/journeys-api/journeys/tips-journey/states/bye", added.Headers.Location?.OriginalString);
        Assert.Contains(document.GetProperty("nodes").EnumerateArray(), n => n.GetProperty("id").GetString() == "bye");

        await ApiAssert.Json(await Client.PutAsync("/journeys-api/journeys/tips-journey/states/bye", Node(new ExitNode("bye", "finished"))), HttpStatusCode.OK);
        var state = await ApiAssert.Json(await Client.GetAsync("/journeys-api/journeys/tips-journey/states/bye"), HttpStatusCode.OK);
        Assert.Equal("finished", state.GetProperty("reason").GetString());

        await ApiAssert.Json(await Client.DeleteAsync("/journeys-api/journeys/tips-journey/states/bye"), HttpStatusCode.OK);
        Assert.Null((await _host.Manager.GetAsync("tips-journey"))!.Journey.FindNode("bye"));
        await ApiAssert.Problem(await Client.GetAsync("/journeys-api/journeys/tips-journey/states/bye"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Unknown_journeys_and_states_are_404()
    {
        await ApiAssert.Problem(await Client.PostAsync("/journeys-api/journeys/nope/states", Node(new ExitNode("bye", "done"))), HttpStatusCode.NotFound);
        await ApiAssert.Problem(await Client.PutAsync("/journeys-api/journeys/tips-journey/states/nope", Node(new ExitNode("nope", "done"))), HttpStatusCode.NotFound);
        await ApiAssert.Problem(await Client.DeleteAsync("/journeys-api/journeys/tips-journey/states/nope"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_malformed_node_is_400_naming_the_path_and_a_mismatched_id_is_400()
    {
        var problem = await ApiAssert.Problem(
            await Client.PostAsync("/journeys-api/journeys/tips-journey/states", JourneyEndpointTests.Body("""{"type": "exit", "id": "x", "reason": 5}""")),
            HttpStatusCode.BadRequest);
        Assert.Equal("$.reason", problem.GetProperty("path").GetString());

        var mismatch = await ApiAssert.Problem(await Client.PutAsync("/journeys-api/journeys/tips-journey/states/ignored", Node(new ExitNode("other", "x"))), HttpStatusCode.BadRequest);
        Assert.Equal("$.id", mismatch.GetProperty("path").GetString());
    }

    [Fact]
    public async Task A_state_with_an_invalid_id_is_400_naming_the_id_and_nothing_is_stored()
    {
        var problem = await ApiAssert.Problem(await Client.PostAsync("/journeys-api/journeys/tips-journey/states", Node(new ExitNode("has space", "x"))), HttpStatusCode.BadRequest);

        Assert.Equal(("$.id", "has space"), (problem.GetProperty("path").GetString(), problem.GetProperty("nodeId").GetString()));
        Assert.Contains("Node id 'has space' is invalid", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Null((await _host.Manager.GetAsync("tips-journey"))!.Journey.FindNode("has space"));
    }

    [Fact]
    public async Task Edits_that_break_the_graph_and_edits_of_an_active_journey_are_409()
    {
        var referenced = await ApiAssert.Problem(await Client.DeleteAsync("/journeys-api/journeys/tips-journey/states/ignored"), HttpStatusCode.Conflict);
        Assert.Equal("ignored", referenced.GetProperty("nodeId").GetString());
        await ApiAssert.Problem(await Client.PostAsync("/journeys-api/journeys/tips-journey/states", Node(new ExitNode("ignored", "twice"))), HttpStatusCode.Conflict);

        await ApiAssert.Json(await Client.PutAsync("/journeys-api/journeys/tips-journey/start", null), HttpStatusCode.OK);
        var active = await ApiAssert.Problem(await Client.PostAsync("/journeys-api/journeys/tips-journey/states", Node(new ExitNode("bye", "done"))), HttpStatusCode.Conflict);
        Assert.Contains("active", active.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await ApiAssert.Problem(await Client.PutAsync("/journeys-api/journeys/tips-journey/states/ignored", Node(new ExitNode("ignored", "x"))), HttpStatusCode.Conflict);
        await ApiAssert.Problem(await Client.DeleteAsync("/journeys-api/journeys/tips-journey/states/clicked"), HttpStatusCode.Conflict);
        Assert.Equal(4, (await _host.Manager.GetAsync("tips-journey"))!.Journey.Nodes.Count);
    }

    [Fact]
    public async Task A_stale_if_match_on_a_state_edit_is_412()
    {
        var etag = (await Client.GetAsync("/journeys-api/journeys/tips-journey")).Headers.ETag!;
        var first = new HttpRequestMessage(HttpMethod.Post, "/journeys-api/journeys/tips-journey/states") { Content = Node(new ExitNode("a", "a")) };
        first.Headers.IfMatch.Add(etag);
        await ApiAssert.Json(await Client.SendAsync(first), HttpStatusCode.Created);

        var second = new HttpRequestMessage(HttpMethod.Post, "/journeys-api/journeys/tips-journey/states") { Content = Node(new ExitNode("b", "b")) };
        second.Headers.IfMatch.Add(etag);
        await ApiAssert.Problem(await Client.SendAsync(second), HttpStatusCode.PreconditionFailed);
        Assert.Null((await _host.Manager.GetAsync("tips-journey"))!.Journey.FindNode("b"));
    }
}
