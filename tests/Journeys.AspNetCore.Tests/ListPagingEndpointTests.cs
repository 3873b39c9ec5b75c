using System.Net;
using Journeys.Sendings;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.AspNetCore.Tests;

/// <summary><c>GET /journeys</c> and <c>GET /sendings</c> a page at a time: <c>limit</c>, <c>after</c>, and the <c>Link</c> to the next page.</summary>
public sealed class ListPagingEndpointTests : IAsyncLifetime
{
    private ApiHost _host = null!;

    private HttpClient Client => _host.Client;

    public async Task InitializeAsync() => _host = await ApiHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>The ids of a page and the address of the next one (null on the last page).</summary>
    private async Task<(string[] Ids, string? Next)> PageAsync(string address, string idProperty)
    {
        var response = await Client.GetAsync(address);
        var page = await ApiAssert.Json(response, HttpStatusCode.OK);
        string? next = null;
        if (response.Headers.TryGetValues("Link", out var links))
        {
            var link = Assert.Single(links);
            Assert.EndsWith(">; rel=\"next\"", link, StringComparison.Ordinal);
            next = link[1..link.IndexOf('>', StringComparison.Ordinal)];
        }

        return ([.. page.EnumerateArray().Select(item => item.GetProperty(idProperty).GetString()!)], next);
    }

    [Fact]
    public async Task Journeys_come_in_pages_in_id_order_each_linking_the_next_and_the_last_linking_none()
    {
        foreach (var id in new[] { "j-e", "j-a", "j-c", "j-b", "j-d" })
        {
            await ApiAssert.Json(await Client.PostAsync("/journeys-api/journeys", JourneyEndpointTests.Document(ApiHost.Tips(id))), HttpStatusCode.Created);
        }

        var first = await PageAsync("/journeys-api/journeys?limit=2", "id");
        Assert.Equal(["j-a", "j-b"], first.Ids);
        Assert.Equal("/journeys-api/journeys?limit=2&after=j-b", first.Next);
        var second = await PageAsync(first.Next!, "id");
        Assert.Equal(["j-c", "j-d"], second.Ids);
        var last = await PageAsync(second.Next!, "id");
        Assert.Equal(["j-e"], last.Ids);
        Assert.Null(last.Next);

        var whole = await PageAsync("/journeys-api/journeys", "id");
        Assert.Equal(["j-a", "j-b", "j-c", "j-d", "j-e"], whole.Ids);
        Assert.Null(whole.Next);
        Assert.Equal(["j-d", "j-e"], (await PageAsync("/journeys-api/journeys?after=j-c3", "id")).Ids);
    }

    [Fact]
    public async Task Without_a_limit_a_page_holds_100_journeys()
    {
        var manager = _host.Manager;
        for (var i = 0; i < 101; i++)
        {
            await manager.CreateAsync(ApiHost.Tips($"j{i:D3}"));
        }

        var first = await PageAsync("/journeys-api/journeys", "id");
        Assert.Equal(100, first.Ids.Length);
        Assert.Equal(("j000", "j099"), (first.Ids[0], first.Ids[^1]));
        Assert.Equal("/journeys-api/journeys?limit=100&after=j099", first.Next);
        Assert.Equal(["j100"], (await PageAsync(first.Next!, "id")).Ids);
    }

    [Fact]
    public async Task Sendings_come_in_pages_in_id_order_and_the_link_keeps_the_id_escaped()
    {
        var sendings = _host.Services.GetRequiredService<ISendingManager>();
        foreach (var id in new[] { "s 3", "s&1", "s 2" })
        {
            await sendings.SendToListAsync(new SendingRequest("tips") { SendingId = id }, new[] { "c1" }.ToAsyncEnumerable());
        }

        var first = await PageAsync("/journeys-api/sendings?limit=2", "sendingId");
        Assert.Equal(["s 2", "s 3"], first.Ids);
        Assert.Equal("/journeys-api/sendings?limit=2&after=s%203", first.Next);
        var last = await PageAsync(first.Next!, "sendingId");
        Assert.Equal(["s&1"], last.Ids);
        Assert.Null(last.Next);
        Assert.Equal(["s 2", "s 3", "s&1"], (await PageAsync("/journeys-api/sendings", "sendingId")).Ids);
    }

    [Theory]
    [InlineData("journeys", "0")]
    [InlineData("journeys", "1001")]
    [InlineData("sendings", "-1")]
    [InlineData("sendings", "ten")]
    public async Task A_limit_outside_1_to_1000_or_not_a_number_is_400_naming_it(string list, string limit)
    {
        var problem = await ApiAssert.Problem(await Client.GetAsync($"/journeys-api/{list}?limit={limit}"), HttpStatusCode.BadRequest);
        Assert.Equal("query:limit", problem.GetProperty("path").GetString());
        Assert.Contains(limit, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
