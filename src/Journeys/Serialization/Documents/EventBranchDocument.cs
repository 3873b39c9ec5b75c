using System.Text.Json.Serialization;

namespace Journeys.Serialization.Documents;

/// <summary>An event branch of a <c>waitForEvent</c> node.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class EventBranchDocument
{
    public ConditionDocument? Condition { get; set; }

    public string? Target { get; set; }
}
