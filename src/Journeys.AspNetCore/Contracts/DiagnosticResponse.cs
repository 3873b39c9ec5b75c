namespace Journeys.AspNetCore.Contracts;

/// <summary>One validation diagnostic, in check answers and in 422 problem details.</summary>
internal sealed record DiagnosticResponse(string Code, string Severity, string? NodeId, string? Path, string Message);
