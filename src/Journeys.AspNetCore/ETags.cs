using Journeys.Storage;
using Microsoft.Net.Http.Headers;

namespace Journeys.AspNetCore;

/// <summary>Journey ETags on the wire: the store's opaque ETag as a strong HTTP entity tag.</summary>
internal static class ETags
{
    public static string Format(JourneyRecord record) => $"\"{record.ETag}\"";

    public static void Set(HttpResponse response, JourneyRecord record) => response.Headers.ETag = Format(record);

    /// <summary>
    /// Refuses (412) a request whose <c>If-Match</c> names an ETag that is not <paramref name="record"/>'s: for the routes
    /// whose manager call takes no ETag (start, stop, delete), checked against the journey read just before the call.
    /// </summary>
    public static void Require(HttpRequest request, JourneyRecord record)
    {
        if (IfMatch(request) is { } expected && !string.Equals(expected, record.ETag, StringComparison.Ordinal))
        {
            throw new ApiProblemException(
                StatusCodes.Status412PreconditionFailed,
                "Precondition failed",
                $"Journey '{record.Journey.Id}' has changed since the ETag \"{expected}\" of the If-Match header was read (it is now {Format(record)}): read it again.");
        }
    }

    /// <summary>
    /// The store ETag the client expects (from <c>If-Match</c>), or <see langword="null"/> when the header is absent
    /// or <c>*</c>. A weak tag (<c>W/"..."</c>) is compared by its value, as journeys have no weaker representation.
    /// </summary>
    public static string? IfMatch(HttpRequest request)
    {
        var values = request.Headers.IfMatch;
        if (values.Count == 0)
        {
            return null;
        }

        if (!EntityTagHeaderValue.TryParseList(values, out var tags) || tags.Count == 0)
        {
            throw ApiProblemException.BadRequest($"The If-Match header '{values}' is not an entity tag such as \"abc\".", "header:If-Match");
        }

        if (tags.Count > 1)
        {
            throw ApiProblemException.BadRequest("The If-Match header names several entity tags; send the one ETag read with the journey.", "header:If-Match");
        }

        var tag = tags[0];
        if (tag.Equals(EntityTagHeaderValue.Any))
        {
            return null;
        }

        var quoted = tag.Tag.Value ?? string.Empty;
        return quoted.Length >= 2 ? quoted[1..^1] : quoted;
    }
}
