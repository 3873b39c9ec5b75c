namespace Journeys.AspNetCore.Contracts;

/// <summary>The answer of <c>GET /journeys/{id}/statistics</c>.</summary>
internal sealed record StatisticsResponse(string JourneyId, int? Version, IReadOnlyDictionary<string, long> Journey, long Waiting, IReadOnlyList<NodeStatistics> Nodes);
