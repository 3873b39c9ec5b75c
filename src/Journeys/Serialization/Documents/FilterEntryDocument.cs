using System.Text.Json.Serialization;

namespace Journeys.Serialization.Documents;

/// <summary><c>filter</c> entry.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class FilterEntryDocument : EntryDocument
{
    public ConditionDocument? Condition { get; set; }
}
