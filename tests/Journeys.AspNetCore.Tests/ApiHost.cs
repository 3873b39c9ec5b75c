using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.AspNetCore.Tests;

/// <summary>An app with <c>AddJourneys()</c> and <c>MapJourneys()</c> on the ASP.NET Core test server, a fake clock and a test login.</summary>
internal sealed class ApiHost : IAsyncDisposable
{
    public static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    private readonly WebApplication _app;

    private ApiHost(WebApplication app, HttpClient client, FakeTimeProvider time, RecordingChannelSender push)
    {
        _app = app;
        Client = client;
        Time = time;
        Push = push;
    }

    /// <summary>A client that is logged in with the <c>journeys</c> scope.</summary>
    public HttpClient Client { get; }

    public FakeTimeProvider Time { get; }

    public RecordingChannelSender Push { get; }

    public IJourneyManager Manager => _app.Services.GetRequiredService<IJourneyManager>();

    public IServiceProvider Services => _app.Services;

    public static async Task<ApiHost> StartAsync(Action<JourneysApiOptions>? configure = null, string prefix = "/journeys-api", bool withOpenApi = false, Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        var time = new FakeTimeProvider(T0);
        var push = new RecordingChannelSender();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddJourneys(j => j
            .AddSender(Channel.Push, push)
            .AddSender(Channel.Email, new NullChannelSender())
            .AddCampaigns(new Campaign("tips", Channel.Push, "Tips for you"), new Campaign("welcome", Channel.Email, "Welcome!"), new Campaign("greeting", Channel.Push, "Hi {{name}}")));
        services?.Invoke(builder.Services);
        builder.Services.AddProblemDetails();
        builder.Services.AddAuthentication(TestAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, TestAuthenticationHandler>(TestAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy("journeys-admin", p => p.RequireAuthenticatedUser().RequireClaim("scope", "journeys"));
        if (withOpenApi)
        {
            builder.Services.AddOpenApi();
        }

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapJourneys(prefix, configure);
        if (withOpenApi)
        {
            app.MapOpenApi();
        }

        await app.StartAsync();
        var client = app.GetTestClient();
        client.DefaultRequestHeaders.Add("X-Test-User", "tester");
        client.DefaultRequestHeaders.Add("X-Test-Scope", "journeys");
        var store = app.Services.GetRequiredService<ICustomerStore>();
        await store.UpsertAsync([.. Enumerable.Range(0, 5).Select(i => new Customer($"c{i}", new Dictionary<string, FieldValue> { ["vip"] = i % 2 == 0 }))]);
        return new ApiHost(app, client, time, push);
    }

    /// <summary>A client with no login.</summary>
    public HttpClient AnonymousClient() => _app.GetTestClient();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>A valid journey: all customers get the push "tips", then wait two days for a click.</summary>
    public static JourneyDefinition Tips(string id = "tips-journey") => JourneyBuilder.Create(id, "Tips")
        .EnterAllCustomers()
        .ConvertOn("purchase")
        .Steps(p => p
            .Send(Channel.Push, "tips", id: "tips-push")
            .WaitForEvent(FeedbackEvents.Clicked, TimeSpan.FromDays(2), w => w
                .CorrelatedTo("tips-push")
                .OnEvent(c => c.Exit("clicked", id: "clicked"))
                .OnTimeout(t => t.Exit("ignored", id: "ignored")), id: "wait-click"))
        .Build();

    public static void Eventually(Func<bool> condition, string what) =>
        Assert.True(SpinWait.SpinUntil(condition, TimeSpan.FromSeconds(20)), $"Timed out waiting for: {what}");
}
