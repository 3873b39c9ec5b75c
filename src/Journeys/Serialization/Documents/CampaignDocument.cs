using Journeys.Model;

namespace Journeys.Serialization.Documents;

/// <summary>A campaign.</summary>
internal sealed class CampaignDocument
{
    public string? Id { get; set; }

    public Channel? Channel { get; set; }

    public string? Template { get; set; }
}
