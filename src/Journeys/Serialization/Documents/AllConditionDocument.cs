using System.Text.Json.Serialization;

namespace Journeys.Serialization.Documents;

/// <summary><c>all</c> condition.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class AllConditionDocument : ConditionDocument
{
    public List<ConditionDocument?>? Conditions { get; set; }
}
