using System.Text.Json.Serialization;

namespace Journeys.Serialization.Documents;

/// <summary><c>not</c> condition.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class NotConditionDocument : ConditionDocument
{
    public ConditionDocument? Condition { get; set; }
}
