using Journeys.Model;

namespace Journeys.Serialization.Documents;

/// <summary>The top-level journey document (<c>schemaVersion</c> 1).</summary>
internal sealed class JourneyDocument
{
    public int? SchemaVersion { get; set; }

    public string? Id { get; set; }

    public string? Name { get; set; }

    public int? Version { get; set; }

    public JourneyStatus? Status { get; set; }

    public string? TimeZone { get; set; }

    public EntryDocument? Entry { get; set; }

    public EntryRulesDocument? EntryRules { get; set; }

    public ExitRulesDocument? ExitRules { get; set; }

    public string? StartNodeId { get; set; }

    public List<NodeDocument?>? Nodes { get; set; }
}
