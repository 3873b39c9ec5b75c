namespace Journeys.Messaging;

/// <summary>How a webhook call ended: a 2xx answer, or a failure with a reason (no personal data).</summary>
/// <param name="Success">True for a 2xx answer.</param>
/// <param name="StatusCode">The HTTP status of the last attempt, when there was an answer.</param>
/// <param name="Reason">Why it failed.</param>
internal readonly record struct WebhookResult(bool Success, int? StatusCode, string? Reason)
{
    public static WebhookResult Failed(string reason, int? statusCode = null) => new(false, statusCode, reason);
}
