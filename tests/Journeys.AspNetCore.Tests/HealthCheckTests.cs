using System.Net;
using Journeys.AspNetCore;
using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.AspNetCore.Tests;

/// <summary><c>AddHealthChecks().AddJourneys()</c> over a running engine on the test server and a fake clock.</summary>
public sealed class HealthCheckTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_running_engine_is_healthy_and_its_data_names_its_state_and_circuits()
    {
        await using var host = await HealthHost.StartAsync();
        var response = await host.Client.GetAsync(new Uri("/health", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());

        var entry = await host.CheckAsync();
        Assert.Equal(HealthStatus.Healthy, entry.Status);
        Assert.Equal("The Journeys engine is running.", entry.Description);
        Assert.Equal("Running", entry.Data["state"]);
        Assert.Equal("Closed", entry.Data["circuit.push"]);
        Assert.Equal(0, entry.Data["inFlight"]);
        Assert.Equal(host.Services.GetRequiredService<IOptions<JourneysOptions>>().Value.OwnerId, entry.Data["owner"]);
        Assert.False(entry.Data.ContainsKey("storeFailingSince"));
    }

    [Fact]
    public async Task A_failing_store_is_degraded_within_the_grace_period_then_unhealthy_then_healthy_again_once_it_recovers()
    {
        await using var host = await HealthHost.StartAsync(failClaims: true);
        await host.EventuallyAsync(HealthStatus.Degraded);
        var degraded = await host.CheckAsync();
        Assert.Equal($"A store call of the Journeys engine has failed since {T0:O} (claim: InvalidOperationException); the engine retries it.", degraded.Description);
        Assert.Equal("claim: InvalidOperationException", degraded.Data["storeFailure"]);
        Assert.Equal(T0.ToString("O"), degraded.Data["storeFailingSince"]);
        var response = await host.Client.GetAsync(new Uri("/health", UriKind.Relative));
        Assert.Equal((HttpStatusCode.OK, "Degraded"), (response.StatusCode, await response.Content.ReadAsStringAsync()));

        // Past the default 30 seconds: the registration's failure status, 503 from the endpoint.
        host.Time.Advance(TimeSpan.FromSeconds(30));
        await host.EventuallyAsync(HealthStatus.Unhealthy);
        var unhealthy = await host.CheckAsync();
        Assert.StartsWith($"A store call of the Journeys engine has failed since {T0:O} (claim: InvalidOperationException).", unhealthy.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("database is away", unhealthy.Description, StringComparison.Ordinal);
        response = await host.Client.GetAsync(new Uri("/health", UriKind.Relative));
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "Unhealthy"), (response.StatusCode, await response.Content.ReadAsStringAsync()));

        // The clock moves a second per look: the pump arms its next try's pause after its last failure is noted.
        host.Store.FailClaims = false;
        await host.EventuallyAsync(HealthStatus.Healthy, step: TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task The_grace_period_and_the_failure_status_are_the_registrations_own()
    {
        await using var host = await HealthHost.StartAsync(
            failClaims: true,
            health: h => h.AddJourneys("journeys-strict", HealthStatus.Degraded, ["ready"], o => o.StoreFailureGracePeriod = TimeSpan.Zero));

        // The default check still grants its 30 seconds; the strict one fails at once, with its own failure status.
        await host.EventuallyAsync(HealthStatus.Degraded);
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.StartsWith("A store call of the Journeys engine has failed since", report.Entries["journeys-strict"].Description, StringComparison.Ordinal);
        Assert.EndsWith("(claim: InvalidOperationException).", report.Entries["journeys-strict"].Description, StringComparison.Ordinal);
        Assert.EndsWith("the engine retries it.", report.Entries["journeys"].Description, StringComparison.Ordinal);
        Assert.Equal(["ready"], report.Entries["journeys-strict"].Tags);
    }

    [Fact]
    public async Task An_open_circuit_is_degraded_unless_the_check_is_told_otherwise()
    {
        await using var host = await HealthHost.StartAsync(
            configure: o => o.ChannelPolicies["push"] = new ChannelPolicyOptions
            {
                MaxRetryAttempts = 0,
                CircuitBreakerMinimumThroughput = 2,
                CircuitBreakerBreakDuration = TimeSpan.FromMinutes(10),
                Timeout = TimeSpan.FromHours(1),
            },
            health: h => h.AddJourneys("journeys-lenient", configure: o => o.DegradedWhenCircuitOpen = false));
        host.Push.FailNextTransiently(1000);
        var manager = host.Services.GetRequiredService<IJourneyManager>();
        await manager.CreateAsync(JourneyBuilder.Create("j", "J").EnterFromList(["c0", "c1", "c2"])
            .Steps(p => p.Send(Channel.Push, "tips", id: "tips")).Build());
        await manager.ActivateAsync("j");

        await host.EventuallyAsync(HealthStatus.Degraded);
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal("The circuit breaker of channel push is open: its sends wait.", report.Entries["journeys"].Description);
        Assert.Equal("Open", report.Entries["journeys"].Data["circuit.push"]);
        Assert.Equal(HealthStatus.Healthy, report.Entries["journeys-lenient"].Status);
        Assert.Equal("Open", report.Entries["journeys-lenient"].Data["circuit.push"]);
    }

    [Fact]
    public async Task The_engine_endpoint_answers_the_status_as_json_behind_the_api_policy()
    {
        await using var host = await HealthHost.StartAsync(failClaims: true, mapApi: true);
        await host.EventuallyAsync(HealthStatus.Degraded);
        using var anonymous = new HttpRequestMessage(HttpMethod.Get, "/journeys-api/engine");
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Client.SendAsync(anonymous)).StatusCode);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/journeys-api/engine");
        request.Headers.Add("X-Test-User", "tester");
        using var response = await host.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        Assert.Equal(host.Services.GetRequiredService<IOptions<JourneysOptions>>().Value.OwnerId, root.GetProperty("ownerId").GetString());
        Assert.Equal("Running", root.GetProperty("state").GetString());
        Assert.False(root.TryGetProperty("fault", out _));
        Assert.Equal("claim: InvalidOperationException", root.GetProperty("storeFailure").GetString());
        Assert.Equal(T0, root.GetProperty("storeFailingSince").GetDateTimeOffset());
        var channel = Assert.Single(root.GetProperty("channels").EnumerateArray());
        Assert.Equal(("push", "Closed"), (channel.GetProperty("channel").GetString(), channel.GetProperty("circuit").GetString()));
        Assert.Equal(0, root.GetProperty("inFlight").GetInt32());
        Assert.Equal(0, root.GetProperty("inboxDepth").GetInt32());
        Assert.Equal(T0, root.GetProperty("checkedAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task A_stopped_engine_is_unhealthy()
    {
        var host = await HealthHost.StartAsync();
        await using (host)
        {
            await host.StopAsync();
            var entry = await host.CheckAsync();
            Assert.Equal((HealthStatus.Unhealthy, "The Journeys engine has stopped."), (entry.Status, entry.Description));
            Assert.Equal("Stopped", entry.Data["state"]);
        }
    }

    [Theory]
    [InlineData(JourneyEngineState.NotStarted, "The Journeys engine has not started.")]
    [InlineData(JourneyEngineState.Faulted, "A loop of the Journeys engine failed (shard worker 1: InvalidOperationException) and the engine stopped; restart the host.")]
    public async Task An_engine_not_started_or_faulted_is_unhealthy(JourneyEngineState state, string description)
    {
        var fault = state == JourneyEngineState.Faulted ? "shard worker 1: InvalidOperationException" : null;
        var monitor = new FixedMonitor(new JourneyEngineStatus("host-1", state, fault, null, null, [], 0, 0, T0));
        await using var host = await HealthHost.StartAsync(services: s => s.Replace(ServiceDescriptor.Singleton<IJourneyEngineMonitor>(monitor)));
        var entry = await host.CheckAsync();
        Assert.Equal((HealthStatus.Unhealthy, description), (entry.Status, entry.Description));
        Assert.Equal(state.ToString(), entry.Data["state"]);
        Assert.Equal(fault is null, !entry.Data.ContainsKey("fault"));
    }

    [Fact]
    public async Task A_negative_grace_period_stops_the_host_at_start_and_a_blank_name_is_refused()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            HealthHost.StartAsync(health: h => h.AddJourneys("journeys-bad", configure: o => o.StoreFailureGracePeriod = TimeSpan.FromSeconds(-1))));
        Assert.Contains("StoreFailureGracePeriod of check 'journeys-bad' must not be negative", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddHealthChecks().AddJourneys(" "));
    }

    private sealed class FixedMonitor(JourneyEngineStatus status) : IJourneyEngineMonitor
    {
        public JourneyEngineStatus GetStatus() => status;
    }

    /// <summary>The in-memory store with claims that fail while asked to.</summary>
    private sealed class FailingClaimStore(IEnrollmentStore inner) : DelegatingEnrollmentStore(inner)
    {
        public volatile bool FailClaims;

        public override ValueTask<IReadOnlyList<WorkItem>> ClaimAsync(string owner, DateTimeOffset now, int maxItems, TimeSpan lease, CancellationToken cancellationToken = default) =>
            FailClaims
                ? ValueTask.FromException<IReadOnlyList<WorkItem>>(new InvalidOperationException("the database is away (c0)"))
                : base.ClaimAsync(owner, now, maxItems, lease, cancellationToken);
    }

    private sealed class HealthHost(WebApplication app, FakeTimeProvider time, RecordingChannelSender push, FailingClaimStore store) : IAsyncDisposable
    {
        private bool _stopped;

        public HttpClient Client { get; } = app.GetTestClient();

        public IServiceProvider Services => app.Services;

        public FakeTimeProvider Time => time;

        public RecordingChannelSender Push => push;

        public FailingClaimStore Store => store;

        public static async Task<HealthHost> StartAsync(
            bool failClaims = false,
            Action<JourneysOptions>? configure = null,
            Action<IHealthChecksBuilder>? health = null,
            Action<IServiceCollection>? services = null,
            bool mapApi = false)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseTestServer();
            builder.Logging.ClearProviders();
            var time = new FakeTimeProvider(T0);
            var push = new RecordingChannelSender();
            builder.Services.AddSingleton<TimeProvider>(time);
            builder.Services.AddJourneys(j => j
                .AddSender(Channel.Push, push)
                .AddCampaigns(new Campaign("tips", Channel.Push, "Tips for you"))
                .Configure(o =>
                {
                    o.ShardCount = 1;
                    o.DefaultChannelPolicy.Timeout = TimeSpan.FromHours(24);
                    configure?.Invoke(o);
                }));

            // The default (in-memory) enrollment store, wrapped.
            var memory = builder.Services.Single(d => d.ServiceType == typeof(IEnrollmentStore)).ImplementationFactory!;
            builder.Services.Replace(ServiceDescriptor.Singleton<IEnrollmentStore>(sp => new FailingClaimStore((IEnrollmentStore)memory(sp)) { FailClaims = failClaims }));
            builder.Services.AddSingleton(sp => (FailingClaimStore)sp.GetRequiredService<IEnrollmentStore>());
            var checks = builder.Services.AddHealthChecks().AddJourneys();
            health?.Invoke(checks);
            services?.Invoke(builder.Services);
            if (mapApi)
            {
                builder.Services.AddProblemDetails();
                builder.Services.AddAuthentication(TestAuthenticationHandler.SchemeName)
                    .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, TestAuthenticationHandler>(TestAuthenticationHandler.SchemeName, null);
                builder.Services.AddAuthorization();
            }

            var app = builder.Build();
            app.MapHealthChecks("/health");
            if (mapApi)
            {
                app.UseAuthentication();
                app.UseAuthorization();
                app.MapJourneys();
            }
            try
            {
                await app.StartAsync();
            }
            catch
            {
                await app.DisposeAsync();
                throw;
            }

            await app.Services.GetRequiredService<ICustomerStore>().UpsertAsync([.. Enumerable.Range(0, 3).Select(i => new Customer($"c{i}"))]);
            return new HealthHost(app, time, push, app.Services.GetRequiredService<FailingClaimStore>());
        }

        public async Task<HealthReportEntry> CheckAsync() =>
            (await Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Name == JourneysHealthChecksBuilderExtensions.DefaultName)).Entries[JourneysHealthChecksBuilderExtensions.DefaultName];

        /// <summary>Waits (bounded, in real time) until the default check reports <paramref name="status"/>, moving the fake clock by <paramref name="step"/> between looks.</summary>
        public async Task EventuallyAsync(HealthStatus status, TimeSpan step = default)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            HealthReportEntry entry;
            while ((entry = await CheckAsync()).Status != status)
            {
                if (DateTime.UtcNow > deadline)
                {
                    Assert.Fail($"Timed out waiting for {status}; the check says {entry.Status}: {entry.Description}");
                }

                await Task.Delay(10);
                if (step > TimeSpan.Zero)
                {
                    time.Advance(step);
                }
            }
        }

        public async Task StopAsync()
        {
            _stopped = true;
            await app.StopAsync();
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            if (!_stopped)
            {
                await app.StopAsync();
            }

            await app.DisposeAsync();
        }
    }
}
