using System.Text.Json.Serialization;

namespace Journeys.Serialization.Documents;

/// <summary><c>untilDate</c> delay.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class UntilDateDelayDocument : DelayDocument
{
    public DateTimeOffset? Until { get; set; }
}
