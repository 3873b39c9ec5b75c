using Journeys.Model;

namespace Journeys.Sendings;

/// <summary>What to send in a one-shot sending.</summary>
/// <param name="CampaignId">The campaign to send (from the campaign catalog); it is sent on the campaign's channel.</param>
public sealed record SendingRequest(string CampaignId)
{
    /// <summary>
    /// The sending id: a request with the id of an existing sending sends nothing twice (it returns that sending, or
    /// resumes its interrupted enrolling pass). <see langword="null"/> (the default) makes a new id.
    /// </summary>
    public string? SendingId { get; init; }

    /// <summary>The name marketers see; defaults to "Sending {id}".</summary>
    public string? Name { get; init; }

    /// <summary>Bindings of the campaign's template variables to customer fields (as in a send node).</summary>
    public EquatableArray<VariableBinding> Variables { get; init; }

    /// <summary>The time zone of customers without one (quiet hours). Default UTC.</summary>
    public string TimeZoneId { get; init; } = "UTC";
}
