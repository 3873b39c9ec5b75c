using System.Text.Json.Serialization;

namespace Journeys.Serialization.Documents;

/// <summary><c>delay</c> node.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class DelayNodeDocument : NodeDocument
{
    public DelayDocument? Delay { get; set; }

    public string? Next { get; set; }
}
