using System.Text.Json.Serialization;

namespace Journeys.Serialization.Documents;

/// <summary><c>any</c> condition.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class AnyConditionDocument : ConditionDocument
{
    public List<ConditionDocument?>? Conditions { get; set; }
}
