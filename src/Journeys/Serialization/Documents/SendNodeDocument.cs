using System.Text.Json.Serialization;
using Journeys.Model;

namespace Journeys.Serialization.Documents;

/// <summary><c>send</c> node.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class SendNodeDocument : NodeDocument
{
    public Channel? Channel { get; set; }

    public string? CampaignId { get; set; }

    public List<VariableBindingDocument?>? Variables { get; set; }

    public string? Next { get; set; }
}
