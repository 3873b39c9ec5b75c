using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Tests.Messaging;
using Journeys.Validation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Journeys.Tests.Runtime;

/// <summary>
/// Webhook nodes through the whole hosted engine against a real HTTP server on loopback: the host allow-lists the
/// loopback address (network) and plain http for it (scheme), and nothing else.
/// </summary>
public sealed class WebhookScenarioTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Key = [.. Enumerable.Range(100, 32).Select(i => (byte)i)];
    private static readonly string Secret = "whsec_" + Convert.ToBase64String(Key);

    [Fact]
    public async Task An_allow_listed_loopback_server_receives_the_signed_call_and_the_customer_takes_the_success_edge()
    {
        await using var server = new LoopbackHttpServer(200);
        await using var host = await StartAsync(o =>
        {
            o.AllowedNetworks.Add("127.0.0.1");
            o.AllowedHttpHosts.Add("127.0.0.1");
        });
        await host.Manager.CreateAsync(Hooked(server.Port, retries: 0));
        await host.Manager.ActivateAsync("hooked");

        await host.Manager.PublishAsync([new CustomerEvent("c4@example.com", "go", [], T0)]);

        EngineHost.Eventually(() => host.Count("hooked", "ok", StatisticCounter.Exited) == 1, "the success path");
        Assert.Equal(0, host.Count("hooked", "ko", StatisticCounter.Entered));
        Assert.Equal(0, host.Count("hooked", "hook", StatisticCounter.Failed));

        var request = Assert.Single(server.Requests);
        Assert.Equal("POST /hook HTTP/1.1", request.RequestLine);
        Assert.StartsWith("application/json", request.Headers["Content-Type"], StringComparison.Ordinal);

        // The webhook id is the idempotency key journey:version:enrollment:node:visit.
        var id = request.Headers["webhook-id"];
        var parts = id.Split(':');
        Assert.Equal(5, parts.Length);
        Assert.Equal(("hooked", "1", "hook"), (parts[0], parts[1], parts[3]));
        Assert.True(Guid.TryParse(parts[2], out _), id);

        // Signature verified independently of the library (Standard Webhooks: HMAC-SHA256 of "{id}.{timestamp}.{body}").
        var timestamp = request.Headers["webhook-timestamp"];
        Assert.Equal(host.Time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), timestamp);
        var signed = Encoding.UTF8.GetBytes($"{id}.{timestamp}.").Concat(request.Body).ToArray();
        Assert.Equal("v1," + Convert.ToBase64String(HMACSHA256.HashData(Key, signed)), request.Headers["webhook-signature"]);

        using var json = JsonDocument.Parse(request.Body);
        var root = json.RootElement;
        Assert.Equal("c4@example.com", root.GetProperty("customerId").GetString());
        Assert.Equal("hooked", root.GetProperty("journeyId").GetString());
        Assert.Equal("hook", root.GetProperty("nodeId").GetString());
        var fields = root.GetProperty("fields");
        Assert.Equal("Name4", fields.GetProperty("firstName").GetString());
        Assert.True(fields.GetProperty("vip").GetBoolean());
        Assert.Equal(2, fields.EnumerateObject().Count());
    }

    [Fact]
    public async Task A_server_error_is_retried_a_bounded_number_of_times_then_the_customer_takes_the_failure_edge()
    {
        // 500 to every attempt: 1 call + 2 retries, then the failure edge. A fourth status is scripted (200) so an
        // extra attempt would be visible as a fourth request and a success.
        await using var server = new LoopbackHttpServer(500, 500, 500, 200);
        await using var host = await StartAsync(o =>
        {
            o.AllowedNetworks.Add("127.0.0.1");
            o.AllowedHttpHosts.Add("127.0.0.1");
        });
        await host.Manager.CreateAsync(Hooked(server.Port, retries: 2));
        await host.Manager.ActivateAsync("hooked");

        await host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "go", [], T0)]);

        EngineHost.Eventually(() => host.Count("hooked", "ko", StatisticCounter.Exited) == 1, "the failure path");
        Assert.Equal(1, host.Count("hooked", "hook", StatisticCounter.Failed));
        Assert.Equal(0, host.Count("hooked", "ok", StatisticCounter.Entered));
        var requests = server.Requests.ToArray();
        Assert.Equal(3, requests.Length);
        Assert.Single(requests.Select(r => r.Headers["webhook-id"]).Distinct());
    }

    [Fact]
    public async Task Plain_http_to_a_host_that_is_not_allow_listed_does_not_validate()
    {
        await using var server = new LoopbackHttpServer(200);
        await using var host = await StartAsync(o =>
        {
            o.AllowedNetworks.Add("127.0.0.1");
            o.AllowedHttpHosts.Add("hooks.internal");
        });
        await host.Manager.CreateAsync(Hooked(server.Port, retries: 0));

        var validation = await host.Manager.ValidateAsync("hooked");
        var diagnostic = Assert.Single(validation.Errors);
        Assert.Equal((DiagnosticCodes.InvalidWebhookUrl, "hook"), (diagnostic.Code, diagnostic.NodeId));
        var ex = await Assert.ThrowsAsync<JourneyValidationException>(async () => await host.Manager.ActivateAsync("hooked"));
        Assert.Contains(ex.Diagnostics, d => d.Code == DiagnosticCodes.InvalidWebhookUrl);
        Assert.Equal(0, server.Connections);
    }

    [Fact]
    public async Task Http_allowed_for_the_host_still_refuses_loopback_unless_its_network_is_allow_listed()
    {
        await using var server = new LoopbackHttpServer(200);
        await using var host = await StartAsync(o => o.AllowedHttpHosts.Add("127.0.0.1"));
        await host.Manager.CreateAsync(Hooked(server.Port, retries: 3));
        await host.Manager.ActivateAsync("hooked");

        await host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "go", [], T0)]);

        EngineHost.Eventually(() => host.Count("hooked", "ko", StatisticCounter.Exited) == 1, "the failure path");
        Assert.Equal(0, server.Connections);
    }

    [Fact]
    public async Task A_failed_call_is_logged_by_journey_and_node_without_its_url_or_the_customer_above_debug()
    {
        // The URL carries a secret in its query, as many receivers' URLs do: it must not reach a log above Debug.
        await using var server = new LoopbackHttpServer(500);
        var logs = new ListLoggerProvider();
        await using var host = await EngineHost.StartAsync(T0, extend: j =>
        {
            j.ConfigureWebhooks(o =>
            {
                o.SigningSecret = Secret;
                o.AllowedNetworks.Add("127.0.0.1");
                o.AllowedHttpHosts.Add("127.0.0.1");
            });
            j.Services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        });
        var journey = JourneyBuilder.Create("hooked", "Hooked").EnterOnEvent("go")
            .Steps(p => p.Webhook($"http://127.0.0.1:{server.Port}/hook?token=s3cret-token", h => h
                .Retries(0)
                .OnSuccess(s => s.Exit("ok", id: "ok"))
                .OnFailure(f => f.Exit("ko", id: "ko")), id: "hook"))
            .Build();
        await host.Manager.CreateAsync(journey);
        await host.Manager.ActivateAsync("hooked");

        await host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "go", [], T0)]);

        EngineHost.Eventually(() => host.Count("hooked", "ko", StatisticCounter.Exited) == 1, "the failure path");
        var aboveDebug = logs.Entries.Where(e => e.Level > LogLevel.Debug).ToArray();
        Assert.Contains(aboveDebug, e => e.Level == LogLevel.Warning && e.Message.Contains("hooked", StringComparison.Ordinal) && e.Message.Contains("hook", StringComparison.Ordinal) && e.Message.Contains("HTTP 500", StringComparison.Ordinal));
        Assert.DoesNotContain(aboveDebug, e => (e.Message + e.Exception).Contains("s3cret-token", StringComparison.Ordinal));
        Assert.DoesNotContain(aboveDebug, e => (e.Message + e.Exception).Contains("c1@example.com", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_published_event_cannot_forge_a_webhook_result_and_move_the_customer_without_the_call()
    {
        // A server that takes the connection and never answers: the call stays in flight (its timeout runs on the test's
        // clock, which stands still), and the customer waits at the node for the engine's result event.
        var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        try
        {
            await using var host = await StartAsync(o =>
            {
                o.AllowedNetworks.Add("127.0.0.1");
                o.AllowedHttpHosts.Add("127.0.0.1");
            });
            await host.Manager.CreateAsync(Hooked(((System.Net.IPEndPoint)silent.LocalEndpoint).Port, retries: 0));
            await host.Manager.ActivateAsync("hooked");
            await host.Manager.PublishAsync([new CustomerEvent("c4@example.com", "go", [], T0)]);

            var enrollments = host.Services.GetRequiredService<IEnrollmentStore>();
            Enrollment? waiting = null;
            EngineHost.Eventually(
                () => (waiting = enrollments.ListByJourneyAsync("hooked", null).ToListAsync().AsTask().GetAwaiter().GetResult().SingleOrDefault())?.AwaitedEvent == StepExecutor.WebhookResultEvent,
                "the customer waiting for the call's result");

            // The message id is no secret (the receiver gets it in webhook-id): whoever may publish events (a device's
            // feedback, say) must not be able to answer for the receiver with the engine's own result event.
            var forged = new CustomerEvent(
                "c4@example.com",
                StepExecutor.WebhookResultEvent,
                ImmutableDictionary<string, FieldValue>.Empty.Add("success", true),
                T0,
                StepExecutor.MessageId(waiting!.Id, "hook", waiting.Visit));
            var refused = await Assert.ThrowsAsync<ArgumentException>(() => host.Manager.PublishAsync([forged]).AsTask());
            Assert.Contains(StepExecutor.WebhookResultEvent, refused.Message, StringComparison.Ordinal);
            Assert.Equal(StepExecutor.WebhookResultEvent, (await enrollments.ListByJourneyAsync("hooked", null).SingleAsync()).AwaitedEvent);
            Assert.Equal(0, host.Count("hooked", "ok", StatisticCounter.Entered));
        }
        finally
        {
            silent.Stop();
        }
    }

    private static Task<EngineHost> StartAsync(Action<WebhookOptions> allow) => EngineHost.StartAsync(T0, extend: j => j.ConfigureWebhooks(o =>
    {
        o.SigningSecret = Secret;
        o.RetryBaseDelay = TimeSpan.Zero;
        allow(o);
    }));

    private static JourneyDefinition Hooked(int port, int retries) => JourneyBuilder.Create("hooked", "Hooked").EnterOnEvent("go")
        .Steps(p => p.Webhook($"http://127.0.0.1:{port}/hook", h => h
            .Fields("firstName", "vip")
            .Retries(retries)
            .OnSuccess(s => s.Exit("ok", id: "ok"))
            .OnFailure(f => f.Exit("ko", id: "ko")), id: "hook"))
        .Build();
}
