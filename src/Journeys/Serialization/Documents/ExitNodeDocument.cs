using System.Text.Json.Serialization;

namespace Journeys.Serialization.Documents;

/// <summary><c>exit</c> node.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class ExitNodeDocument : NodeDocument
{
    public string? Reason { get; set; }
}
