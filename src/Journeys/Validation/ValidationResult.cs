using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Journeys.Model;

namespace Journeys.Validation;

/// <summary>
/// What <see cref="JourneyValidator.Validate(JourneyDefinition, CustomerFieldSchema, CampaignCatalog)"/> found: every problem at once. The journey is valid when none of
/// them is an <see cref="DiagnosticSeverity.Error"/>; warnings do not block activation.
/// </summary>
public sealed class ValidationResult
{
    private const int MaxListedInText = 100;

    /// <summary>Creates a result from diagnostics (<see langword="null"/> items are dropped).</summary>
    /// <param name="diagnostics">The problems found, in the order they were found.</param>
    /// <param name="journeyId">The id of the journey validated, when known.</param>
    public ValidationResult(EquatableArray<JourneyDiagnostic> diagnostics, string? journeyId = null)
    {
        var builder = ImmutableArray.CreateBuilder<JourneyDiagnostic>(diagnostics.Count);
        foreach (var diagnostic in diagnostics)
        {
            if (diagnostic is null)
            {
                continue;
            }

            builder.Add(diagnostic);
            if (diagnostic.Severity == DiagnosticSeverity.Error)
            {
                ErrorCount++;
            }
            else
            {
                WarningCount++;
            }
        }

        Diagnostics = builder.ToImmutable();
        JourneyId = journeyId;
    }

    /// <summary>The id of the journey validated, when known.</summary>
    public string? JourneyId { get; }

    /// <summary>True when no diagnostic is an error.</summary>
    public bool IsValid => ErrorCount == 0;

    /// <summary>Every problem found, errors and warnings, in the order they were found.</summary>
    public EquatableArray<JourneyDiagnostic> Diagnostics { get; }

    /// <summary>The number of diagnostics with <see cref="DiagnosticSeverity.Error"/>.</summary>
    public int ErrorCount { get; }

    /// <summary>The number of diagnostics with <see cref="DiagnosticSeverity.Warning"/>.</summary>
    public int WarningCount { get; }

    /// <summary>The diagnostics that block activation.</summary>
    public IEnumerable<JourneyDiagnostic> Errors => Diagnostics.Where(static d => d.Severity == DiagnosticSeverity.Error);

    /// <summary>The diagnostics that do not block activation.</summary>
    public IEnumerable<JourneyDiagnostic> Warnings => Diagnostics.Where(static d => d.Severity == DiagnosticSeverity.Warning);

    /// <summary>Throws a <see cref="JourneyValidationException"/> when the result has errors.</summary>
    /// <exception cref="JourneyValidationException">At least one diagnostic is an error.</exception>
    public void ThrowIfInvalid()
    {
        if (!IsValid)
        {
            throw new JourneyValidationException(this);
        }
    }

    /// <summary>A summary line followed by one line per diagnostic (at most 100 are listed).</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        var subject = string.IsNullOrEmpty(JourneyId) ? "The journey" : $"Journey '{JourneyId}'";
        text.Append(CultureInfo.InvariantCulture, $"{subject} {(IsValid ? "is valid" : "is not valid")}: {Plural(ErrorCount, "error")}, {Plural(WarningCount, "warning")}.");
        var listed = 0;
        foreach (var diagnostic in Diagnostics)
        {
            if (listed == MaxListedInText)
            {
                text.Append(CultureInfo.InvariantCulture, $"\n- ... and {Diagnostics.Count - listed} more.");
                break;
            }

            text.Append("\n- ").Append(diagnostic.ToString());
            listed++;
        }

        return text.ToString();
    }

    private static string Plural(int count, string noun) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} {noun}{(count == 1 ? string.Empty : "s")}");
}
