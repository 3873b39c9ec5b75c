using System.Text.Json.Serialization;

namespace Journeys.Serialization.Documents;

/// <summary><c>untilTimeOfDay</c> delay.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class UntilTimeOfDayDelayDocument : DelayDocument
{
    public TimeOnly? TimeOfDay { get; set; }
}
