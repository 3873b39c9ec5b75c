using System.Net;

namespace Journeys.AspNetCore.Tests;

/// <summary>
/// Journey ids that start with <c>sending:</c> belong to sendings, and the journey manager refuses them with an
/// ArgumentException that the routes did not map: a user's mistake was a 500.
/// </summary>
public sealed class ReservedSendingIdEndpointTests
{
    [Fact]
    public async Task A_journey_document_with_a_sending_id_is_400_naming_the_id()
    {
        await using var host = await ApiHost.StartAsync();

        var created = await ApiAssert.Problem(await host.Client.PostAsync("/journeys-api/journeys", JourneyEndpointTests.Document(ApiHost.Tips("sending:mine"))), HttpStatusCode.BadRequest);
        Assert.Equal("$.id", created.GetProperty("path").GetString());
        Assert.Contains("sending:", created.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var updated = await ApiAssert.Problem(await host.Client.PutAsync("/journeys-api/journeys/sending:mine", JourneyEndpointTests.Document(ApiHost.Tips("sending:mine"))), HttpStatusCode.BadRequest);
        Assert.Equal("$.id", updated.GetProperty("path").GetString());
        Assert.Null(await host.Manager.GetAsync("sending:mine"));
    }

    [Fact]
    public async Task Starting_editing_or_stopping_a_sendings_journey_through_the_journey_routes_is_409()
    {
        await using var host = await ApiHost.StartAsync();
        await ApiAssert.Json(await host.Client.PostAsync("/journeys-api/sendings/list", JourneyEndpointTests.Body("""{"campaignId": "tips", "sendingId": "s1", "customerIds": ["c1"]}""")), HttpStatusCode.Accepted);

        var started = await ApiAssert.Problem(await host.Client.PutAsync("/journeys-api/journeys/sending:s1/start", null), HttpStatusCode.Conflict);
        Assert.Contains("/sendings", started.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await ApiAssert.Problem(await host.Client.DeleteAsync("/journeys-api/journeys/sending:s1/states/send"), HttpStatusCode.Conflict);

        // A journey stop (with drain, say) would leave a "stopped" sending still sending: its own route stops it.
        var stopped = await ApiAssert.Problem(await host.Client.PutAsync("/journeys-api/journeys/sending:s1/stop?drain=true", null), HttpStatusCode.Conflict);
        Assert.Contains("/sendings/s1/stop", stopped.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var sending = await ApiAssert.Json(await host.Client.GetAsync("/journeys-api/sendings/s1"), HttpStatusCode.OK);
        Assert.Equal("tips", sending.GetProperty("campaignId").GetString());
        Assert.NotEqual("stopped", sending.GetProperty("state").GetString());
        await Assert.ThrowsAsync<ArgumentException>(() => host.Manager.StopAsync("sending:s1", drain: true).AsTask());
    }
}
