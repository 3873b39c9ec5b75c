using System.Collections.Immutable;
using Journeys.Model;

namespace Journeys.Building;

/// <summary>Node id rules shared by the builder and draft editing.</summary>
internal static class NodeIdRules
{
    public const int MaxLength = 128;

    public static bool IsValid(string? id) => IsValid(id, MaxLength);

    private static bool IsValid(string? id, int maxLength)
    {
        if (string.IsNullOrEmpty(id) || id.Length > maxLength)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_' and not '.' and not ':')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Refuses a journey id outside these rules (journey ids follow the node id rules, so that an HTTP address can name them).</summary>
    /// <param name="id">The journey id.</param>
    /// <param name="paramName">The parameter that carried it.</param>
    public static void ThrowIfInvalidJourneyId(string? id, string paramName)
    {
        if (IdLimits.IsJourneyIdTooLong(id))
        {
            // Cut to its start: it may be kilobytes long.
            throw new ArgumentException($"Journey id {IdText.Quote(id)} is invalid: the journey id {IdLimits.JourneyIdTooLong(id!.Length)}.", paramName);
        }

        if (!IsValid(id, JourneyDefinition.MaxIdLength))
        {
            throw new ArgumentException($"Journey id {IdText.Quote(id)} is invalid: use 1 to {JourneyDefinition.MaxIdLength} letters, digits, '-', '_', '.' or ':'.", paramName);
        }
    }
}
