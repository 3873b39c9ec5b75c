using System.Globalization;

namespace Journeys.AspNetCore;

/// <summary>
/// Typed query values parsed by the endpoints themselves: minimal APIs' own binding answers a value that does not parse
/// with an empty 400 before any endpoint filter runs, where these refusals are problem details naming the parameter
/// (<c>path</c> <c>query:{name}</c>). An absent or empty value is <see langword="null"/>, as with the framework's binding.
/// </summary>
internal static class QueryValues
{
    public static bool? Boolean(string? value, string name) =>
        string.IsNullOrEmpty(value) ? null
        : bool.TryParse(value, out var parsed) ? parsed
        : throw Refused(value, name, "true or false");

    public static int? Int32(string? value, string name) =>
        string.IsNullOrEmpty(value) ? null
        : int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed
        : throw Refused(value, name, "a whole number");

    public static double? Double(string? value, string name) =>
        string.IsNullOrEmpty(value) ? null
        : double.TryParse(value, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var parsed) ? parsed
        : throw Refused(value, name, "a number");

    private static ApiProblemException Refused(string value, string name, string expected) =>
        ApiProblemException.BadRequest($"The {name} query value '{value}' is not {expected}.", "query:" + name);
}
