using System.Collections.Immutable;
using Journeys.Model;

namespace Journeys.Building;

/// <summary>Node id rules shared by the builder and draft editing.</summary>
internal static class NodeIdRules
{
    public const int MaxLength = 128;

    public static bool IsValid(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxLength)
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
}
