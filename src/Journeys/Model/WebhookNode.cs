namespace Journeys.Model;

/// <summary>
/// Calls an HTTPS endpoint with the customer's selected fields (POST, JSON), signed, with a timeout and retries.
/// </summary>
/// <param name="Id">The node id.</param>
/// <param name="Url">The absolute https URL.</param>
/// <param name="Fields">The customer fields sent in the body.</param>
/// <param name="Timeout">The timeout of one attempt.</param>
/// <param name="MaxRetries">How many times a transient failure is retried (0 for none).</param>
/// <param name="OnSuccess">Where the customer goes after a 2xx answer, or <see langword="null"/> to complete.</param>
/// <param name="OnFailure">Where the customer goes when the call finally fails (required).</param>
public sealed record WebhookNode(
    string Id,
    string Url,
    EquatableArray<string> Fields,
    TimeSpan Timeout,
    int MaxRetries,
    string? OnSuccess,
    string? OnFailure) : JourneyNode(Id)
{
    /// <inheritdoc />
    public override EquatableArray<NodeEdge> GetEdges() => [new("onSuccess", OnSuccess, false), new("onFailure", OnFailure, true)];
}
