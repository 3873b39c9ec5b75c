using System.Text.Json.Serialization;
using Journeys.Model;

namespace Journeys.Serialization.Documents;

/// <summary>A customer field definition.</summary>
internal sealed class FieldDefinitionDocument
{
    public string? Name { get; set; }

    public FieldType? Type { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public FieldValue Default { get; set; }
}
