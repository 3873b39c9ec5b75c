using System.Text.Json.Serialization;

namespace Journeys.Serialization.Documents;

/// <summary><c>filter</c> node.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class FilterNodeDocument : NodeDocument
{
    public List<FilterBranchDocument?>? Branches { get; set; }

    public string? Else { get; set; }
}
