namespace Journeys.Validation;

/// <summary>How serious a <see cref="JourneyDiagnostic"/> is.</summary>
public enum DiagnosticSeverity
{
    /// <summary>Probably a mistake, but the journey can run as it is.</summary>
    Warning = 0,

    /// <summary>The journey cannot run correctly: it cannot be activated until this is fixed.</summary>
    Error = 1,
}
