namespace Journeys.AspNetCore.Contracts;

/// <summary>The answer of <c>GET /journeys/{id}/check</c>.</summary>
internal sealed record CheckResponse(string JourneyId, int Version, bool Valid, int ErrorCount, int WarningCount, IReadOnlyList<DiagnosticResponse> Diagnostics);
