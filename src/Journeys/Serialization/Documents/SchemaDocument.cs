namespace Journeys.Serialization.Documents;

/// <summary>The customer field schema document (<c>schemaVersion</c> 1).</summary>
internal sealed class SchemaDocument
{
    public int? SchemaVersion { get; set; }

    public List<FieldDefinitionDocument?>? Fields { get; set; }
}
