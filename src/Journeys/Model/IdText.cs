using System.Globalization;

namespace Journeys.Model;

/// <summary>
/// An id as an error message shows it: whole up to <see cref="MaxShown"/> UTF-16 code units, else its first ones (a
/// surrogate pair is not split), an ellipsis and its length, so a message stays short whatever the caller gave (a
/// refused customer id may have thousands of characters). The one rule for the library's messages and the HTTP API's
/// problem details (this file is compiled into Journeys.AspNetCore too).
/// </summary>
internal static class IdText
{
    /// <summary>The most UTF-16 code units of an id a message shows.</summary>
    public const int MaxShown = 64;

    /// <summary>The id, or its first units, "…" and its length ("abc… (300 characters)"); null stays null.</summary>
    /// <param name="id">The id as given.</param>
    public static string? Shorten(string? id) => id is null || id.Length <= MaxShown
        ? id
        : string.Create(CultureInfo.InvariantCulture, $"{Prefix(id)}… ({id.Length} characters)");

    /// <summary>The id in single quotes, or its first units in quotes then its length ("'abc…' (300 characters)"); null as <c>''</c>.</summary>
    /// <param name="id">The id as given.</param>
    public static string Quote(string? id) => id is null || id.Length <= MaxShown
        ? string.Concat("'", id, "'")
        : string.Create(CultureInfo.InvariantCulture, $"'{Prefix(id)}…' ({id.Length} characters)");

    private static ReadOnlySpan<char> Prefix(string id) =>
        id.AsSpan(0, char.IsHighSurrogate(id[MaxShown - 1]) ? MaxShown - 1 : MaxShown);
}
