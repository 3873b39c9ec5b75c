using Microsoft.AspNetCore.Http.Features;

namespace Journeys.AspNetCore;

/// <summary>
/// Ids taken from the address (customers, sendings, and a sending's journey <c>sending:{sendingId}</c> on the journey
/// routes that read or delete it), whose values are free text. A server decodes every escape of the
/// path except <c>%2F</c> (an escaped slash stays <c>%2F</c> in the route value, and a literal <c>%2F</c>, sent as
/// <c>%252F</c>, looks the same once <c>%25</c> is decoded), so a route value holding <c>%2F</c> is read again from the
/// request's raw target, where the two differ.
/// </summary>
internal static class RouteIds
{
    /// <summary>
    /// The id of the route value <paramref name="value"/>, the path segment <paramref name="segmentsAfter"/> segments
    /// before the last one; a blank id is 404 (<paramref name="what"/> names the resource).
    /// </summary>
    public static string Read(HttpContext context, string value, string what, int segmentsAfter = 0)
    {
        var id = value.Contains("%2F", StringComparison.OrdinalIgnoreCase) ? FromRawTarget(context, value, segmentsAfter) : value;
        return string.IsNullOrWhiteSpace(id) ? throw ApiProblemException.NotFound($"{what} {Journeys.Model.IdText.Quote(id)} does not exist.") : id;
    }

    private static string FromRawTarget(HttpContext context, string value, int segmentsAfter)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw))
        {
            // A server that keeps no raw target (the test server): an escaped slash is the likelier meaning.
            return value.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
        }

        var query = raw.IndexOfAny(['?', '#']);
        var segments = (query >= 0 ? raw[..query] : raw).TrimEnd('/').Split('/');
        var index = segments.Length - 1 - segmentsAfter;
        if (index < 0)
        {
            return value;
        }

        // Only when the raw segment is the one routed: decoded but for its slashes, it is the route value.
        var decoded = Uri.UnescapeDataString(segments[index]);
        return string.Equals(decoded.Replace("/", "%2F", StringComparison.Ordinal), value, StringComparison.OrdinalIgnoreCase) ? decoded : value;
    }
}
