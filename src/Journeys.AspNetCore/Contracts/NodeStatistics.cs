namespace Journeys.AspNetCore.Contracts;

/// <summary>The counters of one node in the answer of <c>GET /journeys/{id}/statistics</c>.</summary>
internal sealed record NodeStatistics(string NodeId, IReadOnlyDictionary<string, long> Counters, double ClickRate, long Waiting);
