namespace Journeys.AspNetCore.Contracts;

/// <summary>The answer of <c>POST /events</c>.</summary>
internal sealed record EventsAccepted(int Accepted);
