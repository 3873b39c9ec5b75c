using Journeys.Messaging;
using Journeys.Model;
using Journeys.Runtime;
using Journeys.WebApi;
using Microsoft.AspNetCore.Authentication;

var builder = WebApplication.CreateBuilder(args);

// The store: the embedded SQLite store in the file named by the connection string "Journeys" (appsettings.json:
// journeys.db in the working directory; override with --ConnectionStrings:Journeys="Data Source=/path/to.db" or the
// environment variable ConnectionStrings__Journeys). The file is kept between runs; the seed is applied once.
var connectionString = builder.Configuration.GetConnectionString("Journeys") is { Length: > 0 } configured ? configured : "Data Source=journeys.db";

builder.Services.AddJourneys(j => j
    .UseSqlite(connectionString)
    .AddSender<LoggingChannelSender>(Channel.Push)
    .AddSender<LoggingChannelSender>(Channel.Email)
    .AddCampaigns(SeedData.Campaigns));
builder.Services.AddHealthChecks().AddJourneys();
builder.Services.AddProblemDetails();
builder.Services.AddOpenApi();
builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
    .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
builder.Services.AddAuthorizationBuilder()
    .AddPolicy("journeys", p => p.RequireAuthenticatedUser().RequireClaim("scope", "journeys"));

var app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseDefaultFiles();
app.UseStaticFiles();
app.UseAuthentication();
app.UseAuthorization();

app.MapJourneys(o => o.AuthorizationPolicy = "journeys");
app.MapOpenApi();

// The engine's health (503 when it is not running or its store has failed for 30 s): for a load balancer or an
// orchestrator's probe, so without the API key.
app.MapHealthChecks("/health");

// The live diagram of the page (read-only, so the demo page needs no key; put it behind the policy in a real host).
app.MapGet("/diagram/{id}.svg", async (string id, IJourneyManager manager, CancellationToken cancellationToken) =>
    await manager.GetAsync(id, cancellationToken) is { } record
        ? Results.Text(JourneyDiagramSvg.Render(record.Journey, await manager.GetStatisticsAsync(id, null, cancellationToken)), "image/svg+xml")
        : Results.Problem($"There is no journey '{id}'.", statusCode: StatusCodes.Status404NotFound))
    .WithName("Sample_Diagram")
    .WithSummary("The journey as SVG with each node's live counters");

await SeedData.SeedAsync(app.Services, app.Lifetime.ApplicationStopping);
await app.RunAsync();

/// <summary>The sample host (public for tests that start it).</summary>
public partial class Program;
