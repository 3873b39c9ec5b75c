using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Journeys.Messaging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Tests.Messaging;

public sealed class WebhookTests
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly string Secret = "whsec_" + Convert.ToBase64String(Key);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 3, 4, 5, 6, 7, TimeSpan.Zero));

    [Fact]
    public async Task A_signed_request_reaches_an_allow_listed_loopback_server()
    {
        await using var server = new LoopbackHttpServer(200);
        using var provider = BuildServices(o => o.AllowedNetworks.Add("127.0.0.1"));
        var invoker = provider.GetRequiredService<WebhookInvoker>();

        var result = await invoker.InvokeAsync(Request($"http://127.0.0.1:{server.Port}/hook"), default);

        Assert.True(result.Success, result.Reason);
        Assert.Equal(200, result.StatusCode);
        var request = Assert.Single(server.Requests);
        Assert.Equal("POST /hook HTTP/1.1", request.RequestLine);
        Assert.StartsWith("application/json", request.Headers["Content-Type"], StringComparison.Ordinal);
        Assert.Equal("wh-1", request.Headers["webhook-id"]);
        Assert.Equal(_time.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), request.Headers["webhook-timestamp"]);

        // Verified independently of the library: HMAC-SHA256 over "{id}.{timestamp}.{body}".
        var signed = Encoding.UTF8.GetBytes($"{request.Headers["webhook-id"]}.{request.Headers["webhook-timestamp"]}.").Concat(request.Body).ToArray();
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(Key, signed));
        Assert.Equal(expected, request.Headers["webhook-signature"]);

        using var json = JsonDocument.Parse(request.Body);
        var root = json.RootElement;
        Assert.Equal("ada@example.com", root.GetProperty("customerId").GetString());
        Assert.Equal("j1", root.GetProperty("journeyId").GetString());
        Assert.Equal("n1", root.GetProperty("nodeId").GetString());
        var fields = root.GetProperty("fields");
        Assert.Equal("Ada", fields.GetProperty("firstName").GetString());
        Assert.Equal(42.5, fields.GetProperty("points").GetDouble());
        Assert.True(fields.GetProperty("vip").GetBoolean());
        Assert.Equal(new DateTimeOffset(1990, 1, 2, 0, 0, 0, TimeSpan.Zero), fields.GetProperty("birthDate").GetDateTimeOffset());
        Assert.Equal(["a", "b"], fields.GetProperty("tags").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(JsonValueKind.Null, fields.GetProperty("phone").ValueKind);
    }

    [Fact]
    public async Task The_same_url_without_allow_list_is_refused_before_any_connection()
    {
        await using var server = new LoopbackHttpServer(200);
        using var provider = BuildServices(null);
        var invoker = provider.GetRequiredService<WebhookInvoker>();

        var result = await invoker.InvokeAsync(Request($"http://127.0.0.1:{server.Port}/hook", maxRetries: 3), default);

        Assert.False(result.Success);
        Assert.StartsWith("address refused", result.Reason, StringComparison.Ordinal);
        Assert.Equal(0, server.Connections);
    }

    [Fact]
    public async Task A_host_name_that_resolves_to_loopback_is_refused()
    {
        await using var server = new LoopbackHttpServer(200);
        using var provider = BuildServices(null);
        var invoker = provider.GetRequiredService<WebhookInvoker>();

        var result = await invoker.InvokeAsync(Request($"http://localhost:{server.Port}/hook"), default);

        Assert.False(result.Success);
        Assert.StartsWith("address refused", result.Reason, StringComparison.Ordinal);
        Assert.Equal(0, server.Connections);
    }

    [Fact]
    public async Task A_cookie_a_receiver_sets_is_not_sent_back_on_later_calls()
    {
        // The handler is pooled and shared by every call: with cookies on (SocketsHttpHandler's default) a receiver's
        // Set-Cookie from one customer's call went back with the next calls to that host, for other customers and
        // journeys too.
        await using var server = new LoopbackHttpServer(200, 200) { ResponseHeaders = "Set-Cookie: session=customer-a; Path=/\r\n" };
        using var provider = BuildServices(o => o.AllowedNetworks.Add("127.0.0.1"));
        var invoker = provider.GetRequiredService<WebhookInvoker>();

        Assert.True((await invoker.InvokeAsync(Request($"http://127.0.0.1:{server.Port}/hook"), default)).Success);
        Assert.True((await invoker.InvokeAsync(Request($"http://127.0.0.1:{server.Port}/hook"), default)).Success);

        var requests = server.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.All(requests, r => Assert.False(r.Headers.ContainsKey("Cookie"), $"sent a cookie: {(r.Headers.TryGetValue("Cookie", out var c) ? c : null)}"));
    }

    [Fact]
    public async Task A_server_error_then_success_succeeds_after_a_retry_with_the_same_id()
    {
        await using var server = new LoopbackHttpServer(500, 200);
        using var provider = BuildServices(o => o.AllowedNetworks.Add("127.0.0.0/8"));
        var invoker = provider.GetRequiredService<WebhookInvoker>();

        var result = await invoker.InvokeAsync(Request($"http://127.0.0.1:{server.Port}/hook", maxRetries: 2), default);

        Assert.True(result.Success, result.Reason);
        var requests = server.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.All(requests, r => Assert.Equal("wh-1", r.Headers["webhook-id"]));
    }

    [Theory]
    [InlineData(501)]
    [InlineData(505)]
    public async Task A_server_answer_that_says_the_request_can_never_work_fails_at_once_without_a_retry(int status)
    {
        // 501 Not Implemented and 505 HTTP Version Not Supported are the server's final word on this request: sending the
        // same request again gets the same answer, so a retry only delays the failure edge (and spends the receiver's time).
        await using var server = new LoopbackHttpServer(status, 200);
        using var provider = BuildServices(o => o.AllowedNetworks.Add("127.0.0.1"));
        var invoker = provider.GetRequiredService<WebhookInvoker>();

        var result = await invoker.InvokeAsync(Request($"http://127.0.0.1:{server.Port}/hook", maxRetries: 2), default);

        Assert.False(result.Success);
        Assert.Equal($"HTTP {status}", result.Reason);
        Assert.Single(server.Requests);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_application_wide_http_client_handler_does_not_wrap_the_webhook_client(bool defaultsFirst)
    {
        // ConfigureHttpClientDefaults reaches every named client, this library's too: Aspire's service defaults add a
        // standard resilience handler (its own retries, timeouts and circuit breaker) to all of them. Inside the webhook
        // client such a handler re-sent a 500 although the node allows no retry (and its timeouts cut the node's).
        await using var server = new LoopbackHttpServer(500, 200);
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddSingleton<TimeProvider>(_time);
        if (defaultsFirst)
        {
            services.ConfigureHttpClientDefaults(b => b.AddHttpMessageHandler(() => new RetryOnServerErrorHandler()));
        }

        services.AddJourneysWebhooks(o =>
        {
            o.SigningSecret = Secret;
            o.AllowHttp = true;
            o.AllowedNetworks.Add("127.0.0.1");
        });
        if (!defaultsFirst)
        {
            services.ConfigureHttpClientDefaults(b => b.AddHttpMessageHandler(() => new RetryOnServerErrorHandler()));
        }

        using var provider = services.BuildServiceProvider();

        var result = await provider.GetRequiredService<WebhookInvoker>().InvokeAsync(Request($"http://127.0.0.1:{server.Port}/hook", maxRetries: 0), default);

        Assert.Equal((false, "HTTP 500"), (result.Success, result.Reason));
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task A_handler_the_application_adds_to_the_webhook_client_by_name_is_kept()
    {
        await using var server = new LoopbackHttpServer(500, 200);
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddSingleton<TimeProvider>(_time);
        services.AddJourneysWebhooks(o =>
        {
            o.SigningSecret = Secret;
            o.AllowHttp = true;
            o.AllowedNetworks.Add("127.0.0.1");
        });
        services.AddHttpClient(WebhookInvoker.HttpClientName).AddHttpMessageHandler(() => new RetryOnServerErrorHandler());
        using var provider = services.BuildServiceProvider();

        var result = await provider.GetRequiredService<WebhookInvoker>().InvokeAsync(Request($"http://127.0.0.1:{server.Port}/hook", maxRetries: 0), default);

        Assert.True(result.Success, result.Reason);
        Assert.Equal(2, server.Requests.Count);
    }

    /// <summary>Sends a request once more after a 5xx, as a resilience handler does.</summary>
    private sealed class RetryOnServerErrorHandler : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if ((int)response.StatusCode < 500)
            {
                return response;
            }

            response.Dispose();
            return await base.SendAsync(request, cancellationToken);
        }
    }

    [Fact]
    public async Task A_server_that_never_answers_is_cut_off_by_the_webhook_timeout_and_the_call_fails_as_a_timeout()
    {
        // Accepts the connection and never answers: only the webhook timeout (10 s on the fake clock) ends the call.
        // (One attempt: a retry may reuse the connection the first attempt opened, so connections do not count attempts.)
        var result = await CallRawServerAsync((_, call) =>
        {
            _time.Advance(TimeSpan.FromSeconds(9));
            Assert.False(call.IsCompleted);
            _time.Advance(TimeSpan.FromSeconds(1));
            return Task.CompletedTask;
        });

        Assert.Equal((false, "timeout", (int?)null), (result.Success, result.Reason, result.StatusCode));
    }

    [Fact]
    public async Task A_client_error_is_not_retried()
    {
        await using var server = new LoopbackHttpServer(400, 200);
        using var provider = BuildServices(o => o.AllowedNetworks.Add("127.0.0.1"));
        var invoker = provider.GetRequiredService<WebhookInvoker>();

        var result = await invoker.InvokeAsync(Request($"http://127.0.0.1:{server.Port}/hook", maxRetries: 2), default);

        Assert.False(result.Success);
        Assert.Equal(400, result.StatusCode);
        Assert.Equal("HTTP 400", result.Reason);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task An_http_url_is_refused_unless_allowed()
    {
        await using var server = new LoopbackHttpServer(200);
        using var provider = BuildServices(o => o.AllowedNetworks.Add("127.0.0.1"), allowHttp: false);
        var invoker = provider.GetRequiredService<WebhookInvoker>();

        var result = await invoker.InvokeAsync(Request($"http://127.0.0.1:{server.Port}/hook"), default);

        Assert.False(result.Success);
        Assert.Contains("https", result.Reason, StringComparison.Ordinal);
        Assert.Equal(0, server.Connections);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(2 * 24 * 60 * 60 * 1000)]
    public async Task A_node_timeout_the_call_cannot_use_fails_the_call_with_its_reason_instead_of_throwing(int milliseconds)
    {
        // A version activated before validation refused such timeouts: its webhook must fail (the failure edge), not
        // throw out of the dispatcher's batch on every attempt.
        await using var server = new LoopbackHttpServer(200);
        using var provider = BuildServices(o => o.AllowedNetworks.Add("127.0.0.1"));
        var invoker = provider.GetRequiredService<WebhookInvoker>();

        var result = await invoker.InvokeAsync(Request($"http://127.0.0.1:{server.Port}/hook") with { Timeout = TimeSpan.FromMilliseconds(milliseconds) }, default);

        Assert.False(result.Success);
        Assert.Contains("10 ms and 24 h", result.Reason, StringComparison.Ordinal);
        Assert.Equal(0, server.Connections);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.255.0.9")]
    [InlineData("10.1.2.3")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("100.127.255.255")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("::")]
    [InlineData("::1")]
    [InlineData("fc00::1")]
    [InlineData("fd12:3456::1")]
    [InlineData("fe80::1")]
    [InlineData("ff02::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("64:ff9b::a9fe:a9fe")]
    [InlineData("64:ff9b:1::a00:1")] // local-use NAT64
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2")] // Teredo
    [InlineData("2002:7f00:1::1")] // 6to4 of 127.0.0.1
    [InlineData("2002:a9fe:a9fe::1")] // 6to4 of the metadata address
    [InlineData("2001:db8::1")] // documentation
    public void Internal_addresses_are_restricted(string address)
    {
        Assert.True(OutboundAddressGuard.IsRestricted(IPAddress.Parse(address)));
        Assert.False(OutboundAddressGuard.IsAllowed(IPAddress.Parse(address), []));
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("1.1.1.1")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("169.255.0.1")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("2001:4860:4860::8888")] // inside 2001::/23 but outside Teredo's 2001::/32
    [InlineData("::ffff:8.8.8.8")]
    public void Public_addresses_are_allowed(string address)
    {
        Assert.False(OutboundAddressGuard.IsRestricted(IPAddress.Parse(address)));
        Assert.True(OutboundAddressGuard.IsAllowed(IPAddress.Parse(address), []));
    }

    [Fact]
    public void Allow_listed_networks_open_restricted_addresses_including_mapped_forms()
    {
        var allowed = OutboundAddressGuard.ParseAllowList(["127.0.0.1", "10.0.0.0/8", "fd00::/8"]);
        Assert.True(OutboundAddressGuard.IsAllowed(IPAddress.Parse("127.0.0.1"), allowed));
        Assert.True(OutboundAddressGuard.IsAllowed(IPAddress.Parse("::ffff:127.0.0.1"), allowed));
        Assert.True(OutboundAddressGuard.IsAllowed(IPAddress.Parse("10.9.8.7"), allowed));
        Assert.True(OutboundAddressGuard.IsAllowed(IPAddress.Parse("fd00::5"), allowed));
        Assert.False(OutboundAddressGuard.IsAllowed(IPAddress.Parse("127.0.0.2"), allowed));
        Assert.False(OutboundAddressGuard.IsAllowed(IPAddress.Parse("169.254.169.254"), allowed));
        Assert.Throws<ArgumentException>(() => OutboundAddressGuard.ParseAllowList(["not-an-ip"]));
    }

    [Fact]
    public void Options_are_validated()
    {
        var validator = new WebhookOptionsValidator();
        var good = new WebhookOptions { SigningSecret = Secret };
        Assert.True(validator.Validate(null, good).Succeeded);

        var bad = new WebhookOptions { SigningSecret = "whsec_short", Timeout = TimeSpan.Zero };
        bad.AllowedNetworks.Add("10.0.0.0/33");
        var result = validator.Validate(null, bad);
        Assert.True(result.Failed);
        Assert.Equal(3, result.Failures!.Count());

        var hosts = new WebhookOptions { SigningSecret = Secret };
        hosts.AllowedHttpHosts.Add("127.0.0.1");
        hosts.AllowedHttpHosts.Add("hooks.internal");
        Assert.True(validator.Validate(null, hosts).Succeeded);
        hosts.AllowedHttpHosts.Add("not a host/");
        var hostFailure = Assert.Single(validator.Validate(null, hosts).Failures!);
        Assert.Contains("AllowedHttpHosts entry 'not a host/'", hostFailure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http_is_accepted_for_an_allow_listed_host_only()
    {
        await using var server = new LoopbackHttpServer(200);
        using var provider = BuildServices(o => { o.AllowedNetworks.Add("127.0.0.1"); o.AllowedHttpHosts.Add("127.0.0.1"); }, allowHttp: false);
        var invoker = provider.GetRequiredService<WebhookInvoker>();

        var refused = await invoker.InvokeAsync(Request($"http://localhost:{server.Port}/hook"), default);
        Assert.False(refused.Success);
        Assert.Contains("AllowedHttpHosts", refused.Reason, StringComparison.Ordinal);
        Assert.Equal(0, server.Connections);

        var result = await invoker.InvokeAsync(Request($"http://127.0.0.1:{server.Port}/hook"), default);
        Assert.True(result.Success, result.Reason);
        Assert.Single(server.Requests);
    }

    [Fact]
    public void Invalid_options_fail_when_the_invoker_is_resolved()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddJourneysWebhooks(o => o.SigningSecret = null);
        using var provider = services.BuildServiceProvider();
        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<WebhookInvoker>());
    }

    [Fact]
    public void Signature_matches_the_standard_webhooks_reference_form()
    {
        var body = "{\"a\":1}"u8.ToArray();
        var signature = WebhookSignature.Sign(Key, "msg_1", 1_700_000_000, body);
        var expected = Convert.ToBase64String(HMACSHA256.HashData(Key, Encoding.UTF8.GetBytes("msg_1.1700000000.{\"a\":1}")));
        Assert.Equal("v1," + expected, signature);
    }

    [Fact]
    public void Signature_reproduces_the_standard_webhooks_published_test_vector()
    {
        // The specification's own vector (secret, id, timestamp, body and signature as the reference libraries test them):
        // a receiver's Standard Webhooks library verifies what we send only if this matches byte for byte.
        Assert.True(WebhookSignature.TryDecodeSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", out var key));
        var signature = WebhookSignature.Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, "{\"test\": 2432232314}"u8);
        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", signature);
    }

    [Fact]
    public async Task The_answer_counts_once_its_head_is_in_and_its_body_is_never_read()
    {
        // A receiver that announces a 1 GB body and never sends it: the call must not wait for (nor buffer) the body.
        // Read whole, it would hang until the attempt's timeout (the fake clock never moves here) or fill memory.
        var result = await CallRawServerAsync(async (connection, _) =>
        {
            var stream = connection.GetStream();
            Assert.True(await stream.ReadAsync(new byte[4096]).AsTask().WaitAsync(TimeSpan.FromSeconds(20)) > 0); // the request
            await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n"u8.ToArray());
        });

        Assert.Equal((true, (int?)200), (result.Success, result.StatusCode));
    }

    [Fact]
    public async Task A_secret_in_the_url_path_reaches_no_log_above_debug()
    {
        // Many receivers put their secret in the path (https://hooks.example/services/T0/B0/<secret>): neither the
        // invoker nor the HTTP client's own logging may write the URL above Debug.
        await using var server = new LoopbackHttpServer(500);
        var logs = new Journeys.Tests.Runtime.ListLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        services.AddSingleton<TimeProvider>(_time);
        services.AddJourneysWebhooks(o =>
        {
            o.SigningSecret = Secret;
            o.AllowHttp = true;
            o.AllowedNetworks.Add("127.0.0.1");
        });
        using var provider = services.BuildServiceProvider();

        var result = await provider.GetRequiredService<WebhookInvoker>().InvokeAsync(Request($"http://127.0.0.1:{server.Port}/services/T0/B0/s3cret-path-token"), default);

        Assert.Equal("HTTP 500", result.Reason);
        var aboveDebug = logs.Entries.Where(e => e.Level > LogLevel.Debug).ToArray();
        Assert.Contains(aboveDebug, e => e.Message.Contains("HTTP 500", StringComparison.Ordinal)); // the invoker's own warning
        Assert.DoesNotContain(aboveDebug, e => (e.Message + e.Exception).Contains("s3cret-path-token", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Additional_secrets_each_add_a_signature_after_the_main_ones_so_a_receiver_can_move_to_a_new_secret()
    {
        var next = Enumerable.Range(100, 32).Select(i => (byte)i).ToArray();
        var spare = Enumerable.Range(200, 24).Select(i => (byte)i).ToArray();
        await using var server = new LoopbackHttpServer(200);
        using var provider = BuildServices(o =>
        {
            o.AllowedNetworks.Add("127.0.0.1");
            o.AdditionalSigningSecrets.Add("whsec_" + Convert.ToBase64String(next));
            o.AdditionalSigningSecrets.Add(Convert.ToBase64String(spare)); // the prefix is optional, as for SigningSecret
        });

        var result = await provider.GetRequiredService<WebhookInvoker>().InvokeAsync(Request($"http://127.0.0.1:{server.Port}/hook"), default);

        Assert.True(result.Success, result.Reason);
        var request = Assert.Single(server.Requests);
        var signed = Encoding.UTF8.GetBytes($"{request.Headers["webhook-id"]}.{request.Headers["webhook-timestamp"]}.").Concat(request.Body).ToArray();
        Assert.Equal(
            [.. new[] { Key, next, spare }.Select(key => "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed)))],
            request.Headers["webhook-signature"].Split(' '));
    }

    [Fact]
    public void An_additional_secret_that_is_malformed_or_repeats_one_is_refused_by_its_position_never_its_value()
    {
        var validator = new WebhookOptionsValidator();
        var other = "whsec_" + Convert.ToBase64String(Enumerable.Range(50, 16).Select(i => (byte)i).ToArray());
        var options = new WebhookOptions { SigningSecret = Secret };
        options.AdditionalSigningSecrets.Add(other);
        Assert.True(validator.Validate(null, options).Succeeded);

        options.AdditionalSigningSecrets.Add("whsec_dG9vc2hvcnQ="); // 8 bytes
        options.AdditionalSigningSecrets.Add(Convert.ToBase64String(Key)); // SigningSecret without its prefix
        options.AdditionalSigningSecrets.Add(other);
        Assert.Equal(
            [
                "Webhooks: AdditionalSigningSecrets[1] must be 'whsec_' followed by the base64 of at least 16 bytes.",
                "Webhooks: AdditionalSigningSecrets[2] is the SigningSecret itself.",
                "Webhooks: AdditionalSigningSecrets[3] repeats an earlier entry.",
            ],
            validator.Validate(null, options).Failures!);
    }

    [Fact]
    public void A_retry_base_delay_longer_than_the_longest_pause_is_refused()
    {
        var validator = new WebhookOptionsValidator();
        Assert.True(validator.Validate(null, new WebhookOptions { SigningSecret = Secret, RetryBaseDelay = WebhookInvoker.MaxRetryDelay }).Succeeded);

        var failure = Assert.Single(validator.Validate(null, new WebhookOptions { SigningSecret = Secret, RetryBaseDelay = TimeSpan.FromMinutes(1) }).Failures!);
        Assert.Contains("RetryBaseDelay must be between 0 and 30 s", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_retry_of_a_call_ends_inside_the_enrollments_wait_for_its_result()
    {
        // Ten retries against a receiver that always answers 503, with the longest base delay allowed: the pauses the
        // pipeline really takes (recorded from the clock), plus every attempt's timeout, plus the 5 minutes left for the
        // dispatcher to reach the call, must fit in the wait of the node. Otherwise the enrollment takes the failure edge
        // while the call is still retrying, and a later success reaches the receiver but not the journey.
        var time = new TimerRecordingTimeProvider(_time.GetUtcNow());
        var attemptTimeout = TimeSpan.FromSeconds(7);
        await using var server = new LoopbackHttpServer(Enumerable.Repeat(503, 11).ToArray());
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(time);
        services.AddJourneysWebhooks(o =>
        {
            o.SigningSecret = Secret;
            o.AllowHttp = true;
            o.AllowedNetworks.Add("127.0.0.1");
            o.RetryBaseDelay = WebhookInvoker.MaxRetryDelay;
        });
        using var provider = services.BuildServiceProvider();
        var request = Request($"http://127.0.0.1:{server.Port}/hook", maxRetries: 10) with { Timeout = attemptTimeout };

        var call = provider.GetRequiredService<WebhookInvoker>().InvokeAsync(request, default).AsTask();
        var pauses = new List<TimeSpan>();
        for (var retry = 0; retry < 10; retry++)
        {
            var pause = TimeSpan.Zero;
            Journeys.Tests.Runtime.EngineHost.Eventually(() => time.TryTakePause(attemptTimeout, out pause), $"the pause before retry {retry + 1}");

            pauses.Add(pause);
            time.Advance(pause);
        }

        var result = await call.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("HTTP 503", result.Reason);
        Assert.Equal(11, server.Requests.Count);

        var node = new Journeys.Runtime.CompiledWebhook("hook", 0, request.Url, [], attemptTimeout, 10, -1, -1);
        var longest = (attemptTimeout * 11) + pauses.Aggregate(TimeSpan.Zero, (a, b) => a + b) + TimeSpan.FromMinutes(5);
        Assert.True(longest <= node.ResultTimeout, $"the call may take {longest}, the enrollment waits {node.ResultTimeout}");
    }

    [Theory]
    [InlineData("20", 20)]
    [InlineData("3600", 30)] // at most the longest pause the enrollment's wait allows for
    [InlineData("date+15", 15)]
    public async Task A_retried_answer_s_retry_after_sets_the_pause_before_the_next_attempt(string retryAfter, int expectedSeconds)
    {
        // A receiver answering 429 (or 503) with Retry-After asks the caller to come back then; the backoff's ~1 s
        // pause sent the retry while it was still throttling, and every retry could be spent inside its window.
        var time = new TimerRecordingTimeProvider(_time.GetUtcNow());
        var attemptTimeout = TimeSpan.FromSeconds(7);
        var header = retryAfter == "date+15" ? time.GetUtcNow().AddSeconds(15).ToString("r", System.Globalization.CultureInfo.InvariantCulture) : retryAfter;
        await using var server = new LoopbackHttpServer(429, 200) { ResponseHeaders = $"Retry-After: {header}\r\n" };
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(time);
        services.AddJourneysWebhooks(o =>
        {
            o.SigningSecret = Secret;
            o.AllowHttp = true;
            o.AllowedNetworks.Add("127.0.0.1");
            o.RetryBaseDelay = TimeSpan.FromSeconds(1);
        });
        using var provider = services.BuildServiceProvider();
        var request = Request($"http://127.0.0.1:{server.Port}/hook", maxRetries: 1) with { Timeout = attemptTimeout };

        var call = provider.GetRequiredService<WebhookInvoker>().InvokeAsync(request, default).AsTask();
        var pause = TimeSpan.Zero;
        Journeys.Tests.Runtime.EngineHost.Eventually(() => time.TryTakePause(attemptTimeout, out pause), "the pause before the retry");
        time.Advance(pause);
        var result = await call.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), pause);
        Assert.True(result.Success, result.Reason);
        Assert.Equal(2, server.Requests.Count);
    }

    /// <summary>A fake clock that records the due time of every timer created on it (pauses and attempt timeouts).</summary>
    private sealed class TimerRecordingTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<TimeSpan> _dueTimes = new();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            // Recorded once the timer is set: a test that takes the pause and advances the clock by it at once would
            // otherwise move the clock before the timer counts from it, and the timer would never fire.
            var timer = base.CreateTimer(callback, state, dueTime, period);
            _dueTimes.Enqueue(dueTime);
            return timer;
        }

        /// <summary>Takes the next recorded timer that is not an attempt's timeout: a pause between attempts.</summary>
        public bool TryTakePause(TimeSpan attemptTimeout, out TimeSpan pause)
        {
            while (_dueTimes.TryDequeue(out pause))
            {
                if (pause != attemptTimeout && pause != Timeout.InfiniteTimeSpan)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>
    /// Calls a webhook (one attempt) on a bare TCP listener on loopback: <paramref name="serve"/> plays the receiver on the
    /// accepted connection (and may look at the call), then the call's result is awaited, at most 20 s.
    /// </summary>
    private async Task<WebhookResult> CallRawServerAsync(Func<System.Net.Sockets.TcpClient, Task<WebhookResult>, Task> serve)
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            using var provider = BuildServices(o => o.AllowedNetworks.Add("127.0.0.1"));
            var invoker = provider.GetRequiredService<WebhookInvoker>();
            var call = invoker.InvokeAsync(Request($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/hook"), default).AsTask();
            using var connection = await listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(20));
            await serve(connection, call);
            return await call.WaitAsync(TimeSpan.FromSeconds(20));
        }
        finally
        {
            listener.Stop();
        }
    }

    private ServiceProvider BuildServices(Action<WebhookOptions>? allow, bool allowHttp = true)
    {
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddSingleton<TimeProvider>(_time);
        services.AddJourneysWebhooks(o =>
        {
            o.SigningSecret = Secret;
            o.AllowHttp = allowHttp;
            o.RetryBaseDelay = TimeSpan.Zero;
            allow?.Invoke(o);
        });
        return services.BuildServiceProvider();
    }

    private static WebhookRequest Request(string url, int maxRetries = 0) => new(
        url,
        "wh-1",
        "ada@example.com",
        "j1",
        "n1",
        [
            new("firstName", "Ada"),
            new("points", 42.5),
            new("vip", true),
            new("birthDate", new DateTimeOffset(1990, 1, 2, 0, 0, 0, TimeSpan.Zero)),
            new("tags", FieldValue.FromStringList(["a", "b"])),
            new("phone", FieldValue.Null),
        ],
        TimeSpan.FromSeconds(10),
        maxRetries);
}
