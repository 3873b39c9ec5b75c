namespace Journeys.Model;

/// <summary>A campaign a node sends, with the bindings of its template variables to customer fields.</summary>
/// <param name="CampaignId">The campaign's id in the campaign catalog.</param>
/// <param name="Variables">One binding per template variable.</param>
public sealed record CampaignReference(string CampaignId, EquatableArray<VariableBinding> Variables);
