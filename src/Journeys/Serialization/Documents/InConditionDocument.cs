using System.Text.Json.Serialization;
using Journeys.Model;

namespace Journeys.Serialization.Documents;

/// <summary><c>in</c> condition.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class InConditionDocument : ConditionDocument
{
    public string? Field { get; set; }

    public List<FieldValue>? Values { get; set; }
}
