using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Journeys.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Journeys.Messaging;

/// <summary>
/// Calls webhooks: POST of a JSON body signed in the Standard Webhooks style, with a timeout per attempt and retries
/// on 5xx (but 501 and 505), 408, 429 and network errors (after the answer's Retry-After when it has one, at most <see cref="MaxRetryDelay"/>).
/// Connections go through the address guard of the named HTTP client.
/// </summary>
internal sealed partial class WebhookInvoker
{
    public const string HttpClientName = "Journeys.Webhooks";

    /// <summary>
    /// The longest pause between two attempts (and the most <see cref="WebhookOptions.RetryBaseDelay"/> may be): the
    /// enrollment waits <c>timeout × (retries + 1) + retries × this + 5 min</c> for the result
    /// (<see cref="Journeys.Runtime.CompiledWebhook.ResultTimeout"/>), so every attempt ends inside that wait.
    /// </summary>
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json") { CharSet = "utf-8" };

    private readonly IHttpClientFactory _httpClientFactory;
    private readonly WebhookOptions _options;
    private readonly Journeys.Validation.JourneyValidationOptions _urlPolicy;
    // SigningSecret's key first, then AdditionalSigningSecrets' keys: one signature each.
    private readonly byte[][] _keys;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<(TimeSpan Timeout, int MaxRetries), ResiliencePipeline<HttpResponseMessage>> _pipelines = new();

    public WebhookInvoker(IHttpClientFactory httpClientFactory, IOptions<WebhookOptions> options, TimeProvider timeProvider, ILogger<WebhookInvoker> logger)
    {
        ArgumentNullException.ThrowIfNull(httpClientFactory);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _httpClientFactory = httpClientFactory;
        _options = options.Value;
        _urlPolicy = _options.ToValidationOptions();
        _keys = [.. new[] { _options.SigningSecret }.Concat(_options.AdditionalSigningSecrets).Select(static secret => WebhookSignature.TryDecodeSecret(secret, out var key)
            ? key
            : throw new InvalidOperationException("Webhooks: SigningSecret and AdditionalSigningSecrets must be 'whsec_' followed by the base64 of at least 16 bytes."))];
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public async ValueTask<WebhookResult> InvokeAsync(WebhookRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!Uri.TryCreate(request.Url, UriKind.Absolute, out var url) || !_urlPolicy.IsWebhookSchemeAllowed(url))
        {
            var result = WebhookResult.Failed(_options.AllowHttp
                ? "the URL is not an absolute http(s) URL"
                : "the URL is not an absolute https URL (nor an http URL to a host in WebhookOptions.AllowedHttpHosts)");
            LogFailed(_logger, request.JourneyId, request.NodeId, result.Reason!);
            return result;
        }

        var timeout = request.Timeout > TimeSpan.Zero ? request.Timeout : _options.Timeout;
        if (timeout < Validation.ValidationRun.MinWebhookTimeout || timeout > Validation.ValidationRun.MaxWebhookTimeout)
        {
            // A version activated before validation refused such a timeout: the pipeline could not be built (Polly
            // refuses it), so the call fails here, once, instead of throwing out of every dispatch that carries it.
            var result = WebhookResult.Failed("the webhook timeout is not between 10 ms and 24 h");
            LogFailed(_logger, request.JourneyId, request.NodeId, result.Reason!);
            return result;
        }

        var body = WritePayload(request);
        var pipeline = GetPipeline(timeout, Math.Max(0, request.MaxRetries));
        var client = _httpClientFactory.CreateClient(HttpClientName);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            var outcome = await pipeline.ExecuteOutcomeAsync(
                static async (ctx, state) =>
                {
                    try
                    {
                        using var message = state.Invoker.CreateMessage(state.Url, state.Request.WebhookId, state.Body);
                        // Only the status counts: the body is never read (buffering it whole would let a receiver
                        // answering with gigabytes fill memory, or hold the call until the attempt's timeout).
                        var response = await state.Client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, ctx.CancellationToken)
                            .ConfigureAwait(ctx.ContinueOnCapturedContext);
                        return Outcome.FromResult(response);
                    }
                    catch (Exception ex)
                    {
                        return Outcome.FromException<HttpResponseMessage>(ex);
                    }
                },
                context,
                (Invoker: this, Client: client, Url: url, Request: request, Body: body)).ConfigureAwait(false);

            WebhookResult result;
            if (outcome.Exception is { } exception)
            {
                if (exception is OperationCanceledException && cancellationToken.IsCancellationRequested)
                {
                    outcome.ThrowIfException();
                }

                result = WebhookResult.Failed(Describe(exception));
            }
            else
            {
                using var response = outcome.Result!;
                var status = (int)response.StatusCode;
                result = response.IsSuccessStatusCode
                    ? new WebhookResult(true, status, null)
                    : WebhookResult.Failed(string.Create(CultureInfo.InvariantCulture, $"HTTP {status}"), status);
            }

            if (result.Success)
            {
                LogSucceeded(_logger, request.JourneyId, request.NodeId, result.StatusCode ?? 0);
            }
            else
            {
                LogFailed(_logger, request.JourneyId, request.NodeId, result.Reason!);
            }

            return result;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    internal static byte[] WritePayload(WebhookRequest request)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("customerId", request.CustomerId);
            writer.WriteString("journeyId", request.JourneyId);
            writer.WriteString("nodeId", request.NodeId);
            if (request.FieldsJson is { } fieldsJson)
            {
                writer.WritePropertyName("fields");
                writer.WriteRawValue(fieldsJson);
            }
            else
            {
                writer.WriteStartObject("fields");
                foreach (var (name, value) in request.Fields)
                {
                    writer.WritePropertyName(name);
                    WriteValue(writer, value);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes a field value as plain JSON (date-times as ISO 8601 strings): the webhook body form.</summary>
    internal static void WriteValue(Utf8JsonWriter writer, FieldValue value) =>
        FieldValueJson.Write(writer, value, static (w, instant) => w.WriteStringValue(instant));

    private static bool IsTransient(Outcome<HttpResponseMessage> outcome, ResilienceContext context) => outcome.Exception switch
    {
        null => outcome.Result is { } response && IsTransientStatus(response.StatusCode),
        OperationCanceledException when context.CancellationToken.IsCancellationRequested => false,
        HttpRequestException { InnerException: WebhookAddressRefusedException } => false,
        HttpRequestException or TimeoutRejectedException or IOException => true,
        _ => false,
    };

    /// <summary>
    /// The pause a retried answer asks for in its <c>Retry-After</c> header (seconds, or a date read against the clock),
    /// at most <see cref="MaxRetryDelay"/> (the enrollment's wait for the result allows no longer); null, for the
    /// backoff, when the answer has none or one already past.
    /// </summary>
    private static TimeSpan? RetryAfter(Outcome<HttpResponseMessage> outcome, TimeProvider timeProvider)
    {
        if (outcome.Result?.Headers.RetryAfter is not { } retryAfter)
        {
            return null;
        }

        var delay = retryAfter.Delta ?? (retryAfter.Date is { } date ? date - timeProvider.GetUtcNow() : null);
        return delay is not { } pause || pause <= TimeSpan.Zero ? null : pause < MaxRetryDelay ? pause : MaxRetryDelay;
    }

    // 5xx but 501 (Not Implemented) and 505 (HTTP Version Not Supported), the server's final word on this request, and
    // 408, 429.
    private static bool IsTransientStatus(HttpStatusCode status) =>
        ((int)status >= 500 && status is not (HttpStatusCode.NotImplemented or HttpStatusCode.HttpVersionNotSupported))
        || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;

    // Exception messages may name hosts or carry response text: only the kind is reported.
    private static string Describe(Exception exception) => exception switch
    {
        HttpRequestException { InnerException: WebhookAddressRefusedException } => "address refused: the host is not public and not allow-listed",
        TimeoutRejectedException => "timeout",
        HttpRequestException { HttpRequestError: var error } => $"network error ({error})",
        _ => $"exception {exception.GetType().Name}",
    };

    private HttpRequestMessage CreateMessage(Uri url, string webhookId, byte[] body)
    {
        // Signed per attempt: receivers reject stale timestamps, and a retry may come much later.
        var timestamp = _timeProvider.GetUtcNow().ToUnixTimeSeconds();
        var message = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        message.Content.Headers.ContentType = JsonContentType;
        message.Headers.TryAddWithoutValidation("webhook-id", webhookId);
        message.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        message.Headers.TryAddWithoutValidation("webhook-signature", WebhookSignature.Sign(_keys, webhookId, timestamp, body));
        return message;
    }

    private ResiliencePipeline<HttpResponseMessage> GetPipeline(TimeSpan timeout, int maxRetries) =>
        _pipelines.GetOrAdd((timeout, maxRetries), static (key, invoker) => invoker.CreatePipeline(key.Timeout, key.MaxRetries), this);

    private ResiliencePipeline<HttpResponseMessage> CreatePipeline(TimeSpan timeout, int maxRetries)
    {
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { Name = "Journeys.Webhooks", TimeProvider = _timeProvider };
        if (maxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = maxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.RetryBaseDelay,
                MaxDelay = MaxRetryDelay,
                ShouldHandle = static args => new(IsTransient(args.Outcome, args.Context)),
                DelayGenerator = args => new(RetryAfter(args.Outcome, _timeProvider)),
            });
        }

        builder.AddTimeout(timeout);
        return builder.Build();
    }

    [LoggerMessage(EventId = 1120, Level = LogLevel.Information, Message = "Webhook of journey {JourneyId} node {NodeId} answered {StatusCode}")]
    private static partial void LogSucceeded(ILogger logger, string? journeyId, string? nodeId, int statusCode);

    [LoggerMessage(EventId = 1121, Level = LogLevel.Warning, Message = "Webhook of journey {JourneyId} node {NodeId} failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string? journeyId, string? nodeId, string reason);
}
