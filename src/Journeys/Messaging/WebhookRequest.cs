using Journeys.Model;

namespace Journeys.Messaging;

/// <summary>One webhook call: where, for whom, which fields, and how patiently.</summary>
/// <param name="Url">The absolute URL (https unless <see cref="WebhookOptions.AllowHttp"/>).</param>
/// <param name="WebhookId">The <c>webhook-id</c>: the same for every attempt, so the receiver can drop duplicates.</param>
/// <param name="CustomerId">The customer.</param>
/// <param name="JourneyId">The journey.</param>
/// <param name="NodeId">The webhook node.</param>
/// <param name="Fields">The customer fields sent, by name (ignored when <paramref name="FieldsJson"/> is given).</param>
/// <param name="Timeout">The timeout of one attempt; zero or less for <see cref="WebhookOptions.Timeout"/>.</param>
/// <param name="FieldsJson">The fields already written as a JSON object (as the engine records them in the outbox).</param>
/// <param name="MaxRetries">How many times a transient failure is retried.</param>
internal sealed record WebhookRequest(
    string Url,
    string WebhookId,
    string CustomerId,
    string? JourneyId,
    string? NodeId,
    IReadOnlyList<KeyValuePair<string, FieldValue>> Fields,
    TimeSpan Timeout,
    int MaxRetries,
    string? FieldsJson = null);
