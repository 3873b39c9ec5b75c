namespace Journeys.AspNetCore.Contracts;

/// <summary>The answer of <c>PUT /journeys/{id}/stop</c>.</summary>
internal sealed record StopResponse(JourneySummary Journey, int Cancelled);
