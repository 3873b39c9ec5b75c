using System.Text.Json.Serialization;

namespace Journeys.Serialization.Documents;

/// <summary><c>untilField</c> delay.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class UntilFieldDelayDocument : DelayDocument
{
    public string? Field { get; set; }

    public TimeSpan? Offset { get; set; }
}
