using System.Net;
using System.Text.RegularExpressions;

namespace Journeys.AspNetCore.Tests;

/// <summary>The web sample, started as it is shipped (SQLite store, seed data, API-key policy, diagram page) on the test server, each test on a SQLite file of its own.</summary>
public sealed class WebApiSampleTests
{
    internal static long Counter(string svg, string node, string counter)
    {
        var match = Regex.Match(svg, $"data-node=\"{Regex.Escape(node)}\" data-counter=\"{Regex.Escape(counter)}\">(\\d+)<");
        Assert.True(match.Success, $"no counter {counter} of {node} in the diagram");
        return long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task The_page_draws_the_seeded_journey_and_a_counter_moves_after_an_event_is_posted()
    {
        await using var factory = new WebApiSampleFactory();
        using var client = factory.CreateClient();
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
        Assert.True(File.Exists(factory.DatabasePath), $"the sample did not use the configured SQLite file {factory.DatabasePath}");
    }

    [Fact]
    public async Task The_health_endpoint_reports_the_running_engine_on_its_sqlite_store_without_a_key()
    {
        await using var factory = new WebApiSampleFactory();
        using var client = factory.CreateClient();
        using var response = await client.GetAsync(new Uri("/health", UriKind.Relative));
        Assert.Equal((HttpStatusCode.OK, "Healthy"), (response.StatusCode, await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task Restarting_the_sample_on_its_SQLite_file_keeps_the_state_and_does_not_seed_again()
    {
        var databasePath = WebApiSampleFactory.NewDatabasePath();
        try
        {
            await using (var first = new WebApiSampleFactory(databasePath))
            {
                using var client = first.CreateClient();
                ApiHost.Eventually(() => Counter(client.GetStringAsync("/diagram/welcome-tips.svg").Result, "tips-push", "sent") == 16, "16 tips pushes sent");
                using var post = new HttpRequestMessage(HttpMethod.Post, "/journeys-api/events") { Content = JourneyEndpointTests.Body("""{"customerId": "customer-03", "name": "purchase"}""") };
                post.Headers.Add("X-Api-Key", "dev-key-change-me");
                await ApiAssert.Json(await client.SendAsync(post), HttpStatusCode.Accepted);
                ApiHost.Eventually(() => Counter(client.GetStringAsync("/diagram/welcome-tips.svg").Result, "entry", "converted") == 1, "the conversion on the diagram");
            }

            Assert.True(File.Exists(databasePath), $"no SQLite file at {databasePath} after the first run");
            await using (var second = new WebApiSampleFactory(databasePath))
            {
                using var client = second.CreateClient();
                var svg = await client.GetStringAsync("/diagram/welcome-tips.svg");
                Assert.Equal(20, Counter(svg, "entry", "entered"));
                Assert.Equal(1, Counter(svg, "entry", "converted"));
                Assert.Equal(16, Counter(svg, "tips-push", "sent"));
            }
        }
        finally
        {
            WebApiSampleFactory.DeleteDatabase(databasePath);
        }
    }
}
