using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Journeys.AspNetCore.Tests;

/// <summary>The web sample, started as it is shipped (seed data, API-key policy, diagram page) on the test server.</summary>
public sealed partial class WebApiSampleTests : IClassFixture<WebApplicationFactory<Program>>
{
    private readonly WebApplicationFactory<Program> _factory;

    public WebApiSampleTests(WebApplicationFactory<Program> factory) => _factory = factory;

    private static long Counter(string svg, string node, string counter)
    {
        var match = Regex.Match(svg, $"data-node=\"{Regex.Escape(node)}\" data-counter=\"{Regex.Escape(counter)}\">(\\d+)<");
        Assert.True(match.Success, $"no counter {counter} of {node} in the diagram");
        return long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task The_page_draws_the_seeded_journey_and_a_counter_moves_after_an_event_is_posted()
    {
        using var client = _factory.CreateClient();
        var page = await client.GetStringAsync("/");
        Assert.Contains("/diagram/", page, StringComparison.Ordinal);

        string svg = string.Empty;
        ApiHost.Eventually(() => Counter(svg = client.GetStringAsync("/diagram/welcome-tips.svg").Result, "tips-push", "sent") == 16, "16 tips pushes sent");
        Assert.StartsWith("<svg", svg, StringComparison.Ordinal);
        Assert.Equal(20, Counter(svg, "entry", "entered"));
        var converted = Counter(svg, "entry", "converted");

        using var unauthenticated = new HttpRequestMessage(HttpMethod.Post, "/journeys-api/events") { Content = JourneyEndpointTests.Body("""{"customerId": "customer-02", "name": "purchase"}""") };
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(unauthenticated)).StatusCode);

        using var post = new HttpRequestMessage(HttpMethod.Post, "/journeys-api/events") { Content = JourneyEndpointTests.Body("""{"customerId": "customer-02", "name": "purchase"}""") };
        post.Headers.Add("X-Api-Key", "dev-key-change-me");
        await ApiAssert.Json(await client.SendAsync(post), HttpStatusCode.Accepted);

        ApiHost.Eventually(() => Counter(client.GetStringAsync("/diagram/welcome-tips.svg").Result, "entry", "converted") == converted + 1, "the conversion on the diagram");
    }
}
