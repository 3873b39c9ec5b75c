namespace Journeys.Model;

/// <summary>Sends a campaign on a channel, filling its template from customer fields.</summary>
/// <param name="Id">The node id.</param>
/// <param name="Channel">The channel.</param>
/// <param name="Campaign">The campaign and its variable bindings.</param>
/// <param name="Next">The next node, or <see langword="null"/> to complete.</param>
public sealed record SendNode(string Id, Channel Channel, CampaignReference Campaign, string? Next) : JourneyNode(Id)
{
    /// <inheritdoc />
    public override EquatableArray<NodeEdge> GetEdges() => [new("next", Next, false)];
}
