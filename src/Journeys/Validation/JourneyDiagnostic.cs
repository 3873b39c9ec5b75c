using System.Globalization;

namespace Journeys.Validation;

/// <summary>One problem that validation found in a journey.</summary>
/// <param name="Code">What kind of problem it is: one of the <see cref="DiagnosticCodes"/> constants, such as <c>unknown-campaign</c>.</param>
/// <param name="Severity">Whether it blocks activation (<see cref="DiagnosticSeverity.Error"/>) or is a warning.</param>
/// <param name="NodeId">The id of the node concerned, or <see langword="null"/> when it concerns the journey, its entry or its rules (or a node without an id).</param>
/// <param name="Message">A sentence a marketer understands: which node, which field or campaign, what was expected.</param>
/// <param name="Path">
/// Where in the definition the problem is, for tools that highlight it, such as <c>nodes[send-1].campaign.variables[0]</c>,
/// <c>entry.condition.conditions[1]</c> or <c>entryRules.cooldown</c>. A node without a usable id is written by
/// its zero-based position: <c>nodes[#3]</c>.
/// </param>
public sealed record JourneyDiagnostic(string Code, DiagnosticSeverity Severity, string? NodeId, string Message, string? Path = null)
{
    /// <summary>One line: severity, code, path and message.</summary>
    public override string ToString()
    {
        var severity = Severity == DiagnosticSeverity.Error ? "error" : "warning";
        return string.IsNullOrEmpty(Path)
            ? string.Create(CultureInfo.InvariantCulture, $"{severity} {Code}: {Message}")
            : string.Create(CultureInfo.InvariantCulture, $"{severity} {Code} at {Path}: {Message}");
    }
}
