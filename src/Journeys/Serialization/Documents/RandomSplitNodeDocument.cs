using System.Text.Json.Serialization;

namespace Journeys.Serialization.Documents;

/// <summary><c>randomSplit</c> node.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class RandomSplitNodeDocument : NodeDocument
{
    public List<RandomPathDocument?>? Paths { get; set; }
}
