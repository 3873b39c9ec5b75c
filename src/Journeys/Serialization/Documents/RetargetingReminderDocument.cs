using Journeys.Model;

namespace Journeys.Serialization.Documents;

/// <summary>A retargeting reminder.</summary>
internal sealed class RetargetingReminderDocument
{
    public TimeSpan? After { get; set; }

    public Channel? Channel { get; set; }

    public string? CampaignId { get; set; }

    public List<VariableBindingDocument?>? Variables { get; set; }
}
