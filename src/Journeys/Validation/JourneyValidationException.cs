using System.Diagnostics.CodeAnalysis;
using Journeys.Model;

namespace Journeys.Validation;

/// <summary>
/// A journey was refused (for example at activation) because validation found errors. <see cref="Result"/> holds
/// every diagnostic; the message lists them.
/// </summary>
[SuppressMessage(
    "Design",
    "CA1032:Implement standard exception constructors",
    Justification = "The exception always carries the validation result; constructors without one would leave it empty.")]
public sealed class JourneyValidationException : Exception
{
    /// <summary>Creates the exception from a validation result.</summary>
    /// <param name="result">The result whose diagnostics explain the refusal.</param>
    /// <exception cref="ArgumentNullException"><paramref name="result"/> is <see langword="null"/>.</exception>
    public JourneyValidationException(ValidationResult result)
        : base(BuildMessage(result))
    {
        Result = result;
    }

    /// <summary>The validation result, with every diagnostic.</summary>
    public ValidationResult Result { get; }

    /// <summary>The diagnostics (errors and warnings) of <see cref="Result"/>.</summary>
    public EquatableArray<JourneyDiagnostic> Diagnostics => Result.Diagnostics;

    /// <summary>The id of the journey refused, when known.</summary>
    public string? JourneyId => Result.JourneyId;

    private static string BuildMessage(ValidationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.ToString();
    }
}
