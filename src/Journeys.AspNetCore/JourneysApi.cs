namespace Journeys.AspNetCore;

/// <summary>What every endpoint handler needs to know about how the API was mapped.</summary>
/// <param name="Prefix">The route prefix (such as <c>/journeys-api</c>), used to build <c>Location</c> headers.</param>
/// <param name="Options">The options.</param>
internal sealed record JourneysApi(string Prefix, JourneysApiOptions Options)
{
    public string JourneyLocation(HttpContext context, string journeyId) =>
        $"{context.Request.PathBase}{Prefix}/journeys/{Uri.EscapeDataString(journeyId)}";
}
