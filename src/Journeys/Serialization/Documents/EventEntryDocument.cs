using System.Text.Json.Serialization;

namespace Journeys.Serialization.Documents;

/// <summary><c>event</c> entry.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class EventEntryDocument : EntryDocument
{
    public string? Event { get; set; }

    public ConditionDocument? Condition { get; set; }
}
