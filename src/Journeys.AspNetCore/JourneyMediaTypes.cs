namespace Journeys.AspNetCore;

/// <summary>The media types of journey documents the endpoints read and write.</summary>
public static class JourneyMediaTypes
{
    /// <summary>The library's journey document (<c>docs/json-format.md</c>): <c>application/json</c>.</summary>
    public const string Journey = "application/json";

    /// <summary>The vendor's journey-state document (<c>docs/http-api.md</c>): <c>application/vnd.journeys.states+json</c>.</summary>
    public const string States = "application/vnd.journeys.states+json";
}
