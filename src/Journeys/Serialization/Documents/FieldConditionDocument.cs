using System.Text.Json.Serialization;
using Journeys.Model;

namespace Journeys.Serialization.Documents;

/// <summary><c>field</c> condition.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class FieldConditionDocument : ConditionDocument
{
    public string? Field { get; set; }

    public ComparisonOperator? Op { get; set; }

    // Omitted when null (isnull and isnotnull take no operand).
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public FieldValue Value { get; set; }
}
