using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.AspNetCore.Tests;

/// <summary>
/// The web sample's page in a real browser: the sample on Kestrel on a loopback port (its SQLite store in a temporary file),
/// Debian's headless chromium loading <c>/</c>, running the page's script (which fetches the SVG diagram) and dumping the DOM.
/// </summary>
public sealed class WebApiSampleBrowserTests
{
    private static readonly TimeSpan VirtualTimeBudget = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan BrowserTimeout = TimeSpan.FromSeconds(90);

    [ChromiumFact]
    public async Task The_page_in_headless_chromium_draws_the_diagram_and_shows_a_counter_after_an_event_is_posted()
    {
        await using var factory = new WebApiSampleFactory();
        factory.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        factory.StartServer();
        var address = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.SingleOrDefault()
            ?? throw new InvalidOperationException("Kestrel reported no address.");
        var baseUri = new Uri(address);
        Assert.True(IPAddress.IsLoopback(IPAddress.Parse(baseUri.Host)), $"the sample listens on {address}, not on loopback");
        using var client = new HttpClient { BaseAddress = baseUri };

        // The seed's journey has sent its pushes (16 non-VIP customers) before the page is loaded, so the numbers are known.
        ApiHost.Eventually(() => WebApiSampleTests.Counter(client.GetStringAsync("/diagram/welcome-tips.svg").Result, "tips-push", "sent") == 16, "16 tips pushes sent");
        var converted = WebApiSampleTests.Counter(await client.GetStringAsync("/diagram/welcome-tips.svg"), "entry", "converted");

        var dom = await Chromium.DumpDomAsync(new Uri(baseUri, "/"), VirtualTimeBudget, BrowserTimeout);
        Assert.Contains("<svg", dom, StringComparison.Ordinal);
        Assert.Matches("data-refreshes=\"[1-9]", dom);
        foreach (var node in (string[])["entry", "is-vip", "vip-push", "tips-push", "tips-wait", "reminder-email"])
        {
            Assert.Contains($"data-node=\"{node}\"", dom, StringComparison.Ordinal);
        }

        Assert.Equal(20, WebApiSampleTests.Counter(dom, "entry", "entered"));
        Assert.Equal(16, WebApiSampleTests.Counter(dom, "tips-push", "sent"));
        Assert.Equal(converted, WebApiSampleTests.Counter(dom, "entry", "converted"));

        // A purchase through the API (with the sample's API key) converts one customer: the next page load shows it.
        using var post = new HttpRequestMessage(HttpMethod.Post, "/journeys-api/events") { Content = JsonContent.Create(new { customerId = "customer-07", name = "purchase" }) };
        post.Headers.Add("X-Api-Key", "dev-key-change-me");
        await ApiAssert.Json(await client.SendAsync(post), HttpStatusCode.Accepted);
        ApiHost.Eventually(() => WebApiSampleTests.Counter(client.GetStringAsync("/diagram/welcome-tips.svg").Result, "entry", "converted") == converted + 1, "the conversion on the diagram");

        dom = await Chromium.DumpDomAsync(new Uri(baseUri, "/"), VirtualTimeBudget, BrowserTimeout);
        Assert.Equal(converted + 1, WebApiSampleTests.Counter(dom, "entry", "converted"));
        Assert.Equal(20, WebApiSampleTests.Counter(dom, "entry", "entered"));
    }
}
