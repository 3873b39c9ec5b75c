using System.Text.Json.Serialization;

namespace Journeys.Serialization.Documents;

/// <summary><c>webhook</c> node.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class WebhookNodeDocument : NodeDocument
{
    public string? Url { get; set; }

    public List<string?>? Fields { get; set; }

    public TimeSpan? Timeout { get; set; }

    public int? MaxRetries { get; set; }

    public string? OnSuccess { get; set; }

    public string? OnFailure { get; set; }
}
