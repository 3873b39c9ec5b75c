namespace Journeys.Sendings;

/// <summary>A sending as it stands: what it sends, to whom, where it is, and its counters.</summary>
/// <param name="SendingId">The sending id.</param>
/// <param name="JourneyId">The id of the system journey that runs it (<see cref="SendingJourneys.JourneyIdOf"/>); its statistics and per-customer export are those of a journey.</param>
/// <param name="Name">The name given with the request.</param>
/// <param name="CampaignId">The campaign sent.</param>
/// <param name="Channel">The campaign's channel.</param>
/// <param name="Audience">Who it is for.</param>
/// <param name="State">Where it is.</param>
/// <param name="UpdatedAt">When its definition was last saved (started or stopped).</param>
/// <param name="Progress">Its counters.</param>
public sealed record SendingStatus(
    string SendingId,
    string JourneyId,
    string Name,
    string CampaignId,
    Model.Channel Channel,
    SendingAudience Audience,
    SendingState State,
    DateTimeOffset UpdatedAt,
    SendingProgress Progress);
