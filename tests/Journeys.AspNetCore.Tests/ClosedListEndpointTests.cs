using System.Net;
using Journeys.Building;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.AspNetCore.Tests;

/// <summary>A journey whose customer list accepts no additions enters only its own ids: the journey routes refuse to put more.</summary>
public sealed class ClosedListEndpointTests
{
    [Fact]
    public async Task Putting_customers_into_a_journey_whose_list_accepts_no_additions_is_409_list_closed_and_writes_nothing()
    {
        await using var host = await ApiHost.StartAsync();
        var closed = JourneyBuilder.Create("closed", "Closed").EnterFromList(["c0"], acceptsAdditions: false)
            .Steps(p => p.Send(Channel.Push, "tips", id: "push")).Build();
        await ApiAssert.Json(await host.Client.PostAsync("/journeys-api/journeys", JourneyEndpointTests.Document(closed)), HttpStatusCode.Created);
        await ApiAssert.Json(await host.Client.PutAsync("/journeys-api/journeys/closed/start", null), HttpStatusCode.OK);

        var byIds = await ApiAssert.Problem(
            await host.Client.PutAsync("/journeys-api/journeys/closed/customers", JourneyEndpointTests.Body("""{"customerIds": ["new1"], "customers": [{"id": "new2", "fields": {"age": 3}}]}""")),
            HttpStatusCode.Conflict);
        var byCsv = await ApiAssert.Problem(
            await host.Client.PutAsync("/journeys-api/journeys/closed/customers/csv", CsvImportEndpointTests.Csv("customerId,age\nnew3,4\n")),
            HttpStatusCode.Conflict);

        Assert.Equal(("listClosed", "listClosed"), (byIds.GetProperty("reason").GetString(), byCsv.GetProperty("reason").GetString()));
        var store = host.Services.GetRequiredService<ICustomerStore>();
        Assert.Equal([null, null, null], await store.GetManyAsync(["new1", "new2", "new3"]));
    }
}
