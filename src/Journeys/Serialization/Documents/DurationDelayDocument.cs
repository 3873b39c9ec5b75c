using System.Text.Json.Serialization;

namespace Journeys.Serialization.Documents;

/// <summary><c>duration</c> delay.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class DurationDelayDocument : DelayDocument
{
    public TimeSpan? Duration { get; set; }
}
