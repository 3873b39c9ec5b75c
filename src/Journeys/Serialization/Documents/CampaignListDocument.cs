namespace Journeys.Serialization.Documents;

/// <summary>The campaign list document (<c>schemaVersion</c> 1).</summary>
internal sealed class CampaignListDocument
{
    public int? SchemaVersion { get; set; }

    public List<CampaignDocument?>? Campaigns { get; set; }
}
