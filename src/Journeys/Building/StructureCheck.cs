using System.Collections.Frozen;
using Journeys.Model;
using Journeys.Validation;

namespace Journeys.Building;

/// <summary>
/// The graph checks <see cref="JourneyBuilder.Build"/> runs: the validator's graph rules (GoTo to an unknown node, a
/// required path left open, a loop with no wait, a correlation to something that is not a send node). Checks that
/// need the customer schema or the campaign catalog are left to <see cref="JourneyValidator"/> at activation.
/// </summary>
internal static class StructureCheck
{
    private static readonly FrozenSet<string> GraphCodes = FrozenSet.Create(
        StringComparer.Ordinal,
        DiagnosticCodes.DuplicateNodeId,
        DiagnosticCodes.UnknownStartNode,
        DiagnosticCodes.UnreachableNode,
        DiagnosticCodes.DanglingEdge,
        DiagnosticCodes.MissingEdge,
        DiagnosticCodes.CycleWithoutWait,
        DiagnosticCodes.InvalidCorrelation);

    public static void ThrowIfInvalid(JourneyDefinition journey)
    {
        var all = JourneyValidator.Validate(journey, schema: null!, campaigns: null!);
        var graphErrors = all.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error && GraphCodes.Contains(d.Code)).ToEquatableArray();
        if (!graphErrors.IsEmpty)
        {
            throw new JourneyValidationException(new ValidationResult(graphErrors, journey.Id));
        }
    }
}
