using System.Text.Json.Serialization;

namespace Journeys.Serialization.Documents;

/// <summary><c>waitForEvent</c> node.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class WaitForEventNodeDocument : NodeDocument
{
    public string? Event { get; set; }

    public TimeSpan? Timeout { get; set; }

    public string? CorrelatedNodeId { get; set; }

    public ConditionDocument? Condition { get; set; }

    public List<EventBranchDocument?>? Branches { get; set; }

    public string? OnEvent { get; set; }

    public string? OnTimeout { get; set; }
}
