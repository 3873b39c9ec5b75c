namespace Journeys.AspNetCore.Contracts;

/// <summary>One journey in the answer of <c>GET /journeys</c>, and the answer of start and stop.</summary>
internal sealed record JourneySummary(string Id, string Name, int Version, string Status, string ETag, DateTimeOffset UpdatedAt, int NodeCount);
