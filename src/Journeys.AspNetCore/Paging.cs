using System.Globalization;
using Microsoft.OpenApi;

namespace Journeys.AspNetCore;

/// <summary>
/// The pages of the list endpoints (<c>GET /journeys</c>, <c>GET /sendings</c>): items in ordinal order of their ids,
/// <c>limit</c> of them at most (<see cref="DefaultLimit"/> when not given, up to <see cref="MaxLimit"/>), starting after
/// the id given as <c>after</c>. When more items follow, the answer's <c>Link</c> header gives the next page
/// (<c>&lt;...?limit=n&amp;after=id&gt;; rel="next"</c>, RFC 8288); the last page has none.
/// </summary>
internal static class Paging
{
    /// <summary>The page size when the request gives none.</summary>
    public const int DefaultLimit = 100;

    /// <summary>The largest page size a request may ask for.</summary>
    public const int MaxLimit = 1_000;

    /// <summary>The page asked for: its size (checked) and the id it starts after (null: the first page).</summary>
    public static (int Limit, string? After) Read(string? limit, string? after)
    {
        var size = QueryValues.Int32(limit, nameof(limit)) ?? DefaultLimit;
        if (size is < 1 or > MaxLimit)
        {
            throw ApiProblemException.BadRequest(
                string.Create(CultureInfo.InvariantCulture, $"The limit query value {size} is outside 1–{MaxLimit}."), "query:limit");
        }

        return (size, string.IsNullOrEmpty(after) ? null : after);
    }

    /// <summary>
    /// Sets the <c>Link</c> header to the page after the one answered, which ended at <paramref name="lastId"/>: the
    /// request's own path and query, with <c>after</c> replaced.
    /// </summary>
    public static void LinkNext(HttpContext context, int limit, string lastId)
    {
        var request = context.Request;
        var query = new List<KeyValuePair<string, string?>>();
        foreach (var (key, values) in request.Query)
        {
            if (!string.Equals(key, "after", StringComparison.Ordinal) && !string.Equals(key, "limit", StringComparison.Ordinal))
            {
                foreach (var value in values)
                {
                    query.Add(new(key, value));
                }
            }
        }

        query.Add(new("limit", limit.ToString(CultureInfo.InvariantCulture)));
        query.Add(new("after", lastId));
        var next = request.PathBase + request.Path + Microsoft.AspNetCore.Http.QueryString.Create(query);
        context.Response.Headers.Link = $"<{next}>; rel=\"next\"";
    }

    /// <summary>Describes <c>limit</c> in the OpenAPI document as the integer it is (<c>after</c> is the string it is bound as).</summary>
    public static RouteHandlerBuilder Paged(this RouteHandlerBuilder builder) =>
        builder.QueryValue("limit", JsonSchemaType.Integer, "int32");
}
