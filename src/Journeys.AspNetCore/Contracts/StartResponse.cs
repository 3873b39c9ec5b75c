namespace Journeys.AspNetCore.Contracts;

/// <summary>The answer of <c>PUT /journeys/{id}/start</c>.</summary>
internal sealed record StartResponse(JourneySummary Journey, int Enrolled);
