using System.Text.Json.Serialization;
using Journeys.Model;

namespace Journeys.Serialization.Documents;

/// <summary><c>date</c> condition.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class DateConditionDocument : ConditionDocument
{
    public string? Field { get; set; }

    public ComparisonOperator? Op { get; set; }

    public TimeSpan? Offset { get; set; }

    public DatePart? Part { get; set; }
}
