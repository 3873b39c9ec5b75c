using Journeys.Messaging;
using Journeys.Model;
using Journeys.Runtime;
using Journeys.WebApi;
using Microsoft.AspNetCore.Authentication;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddJourneys(j => j
    // The store: the in-memory default for now; switch to the embedded SQLite store with one line, j.UseSqlite("Data Source=journeys.db").
    .AddSender<LoggingChannelSender>(Channel.Push)
    .AddSender<LoggingChannelSender>(Channel.Email)
    .AddCampaigns(SeedData.Campaigns));
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
