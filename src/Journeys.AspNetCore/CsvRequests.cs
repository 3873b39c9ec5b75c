using Journeys.Audiences;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Journeys.AspNetCore;

/// <summary>
/// Reads a CSV request: the body itself (<c>text/csv</c>, or no Content-Type) or the first file part of a
/// <c>multipart/form-data</c> body, streamed within <see cref="JourneysApiOptions.MaxCsvBodySize"/>, and the query's
/// <c>separator</c> and <c>mode</c>.
/// </summary>
internal static class CsvRequests
{
    public const string Csv = "text/csv";

    public const string Multipart = "multipart/form-data";

    /// <summary>The import options from the query: <c>separator</c> (<c>,</c> <c>;</c> <c>tab</c> <c>|</c>; absent = detected) and <c>mode</c> (<c>all-or-nothing</c> | <c>valid-rows</c>).</summary>
    public static CsvImportOptions Options(HttpRequest request)
    {
        char? separator = request.Query["separator"].ToString() switch
        {
            "" => null,
            "," => ',',
            ";" => ';',
            "|" => '|',
            "tab" or "\t" => '\t',
            var other => throw ApiProblemException.BadRequest($"Query 'separator' is '{other}': give one of ',', ';', 'tab', '|' (or leave it out to detect it).", "query:separator"),
        };
        var mode = request.Query["mode"].ToString() switch
        {
            "" or "all-or-nothing" => CsvImportMode.AllOrNothing,
            "valid-rows" => CsvImportMode.ImportValidRows,
            var other => throw ApiProblemException.BadRequest($"Query 'mode' is '{other}': give 'all-or-nothing' (the default) or 'valid-rows'.", "query:mode"),
        };
        return new CsvImportOptions { Separator = separator, Mode = mode };
    }

    /// <summary>
    /// Opens the CSV of the request and hands it to <paramref name="use"/> while the request is read, with the token the
    /// import must take. That token does not follow the client: while the body is read, the body stream itself fails
    /// when the client goes away (nothing is written: the file is checked whole first); once it is read, the import, its
    /// batches and its enrollments run to their end, so a client that leaves then does not leave a part of the file
    /// written (the in-memory store commits a file at once, the durable ones batch by batch).
    /// </summary>
    public static async Task<T> ReadAsync<T>(HttpContext context, JourneysApi api, Func<Stream, CancellationToken, Task<T>> use)
    {
        var request = context.Request;
        var mediaType = string.IsNullOrEmpty(request.ContentType) ? Csv : RequestBodies.MediaType(request, Csv, Multipart);
        var limit = api.Options.MaxCsvBodySize;
        if (request.ContentLength is { } length && length > limit)
        {
            throw CsvBodyStream.TooLarge(limit);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }

        var body = new CsvBodyStream(request.Body, limit, context.RequestAborted);
        await using (body.ConfigureAwait(false))
        {
            if (mediaType == Csv)
            {
                RefuseOtherCharset(request.ContentType, "The CSV body's");
                return await use(body, CancellationToken.None).ConfigureAwait(false);
            }

            var boundary = MediaTypeHeaderValue.TryParse(request.ContentType, out var parsed) ? HeaderUtilities.RemoveQuotes(parsed.Boundary).Value : null;
            if (string.IsNullOrWhiteSpace(boundary))
            {
                throw ApiProblemException.BadRequest("The multipart/form-data Content-Type has no boundary.", "Content-Type");
            }

            var reader = new MultipartReader(boundary, body);
            while (await NextSectionAsync(reader, context.RequestAborted).ConfigureAwait(false) is { } section)
            {
                if (ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) && disposition.IsFileDisposition())
                {
                    RefuseOtherCharset(section.ContentType, "The CSV file part's");
                    return await use(new CsvPartStream(section.Body), CancellationToken.None).ConfigureAwait(false);
                }
            }

            throw ApiProblemException.BadRequest("The multipart/form-data body has no file part: send the CSV as a part with a file name.", "file");
        }
    }

    private static async Task<MultipartSection?> NextSectionAsync(MultipartReader reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadNextSectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CsvPartStream.IsMalformedMultipart(ex))
        {
            throw CsvPartStream.MalformedMultipart(ex);
        }
    }

    /// <summary>
    /// CSV is read as UTF-8 (a byte order mark is skipped): a file in another declared charset would be misread without
    /// a word (its other bytes become U+FFFD, in ids too), so it is refused (415) before a row is read.
    /// </summary>
    private static void RefuseOtherCharset(string? contentType, string what)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed)
            || HeaderUtilities.RemoveQuotes(parsed.Charset).Value is not { Length: > 0 } charset
            || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)
            || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase)
            || charset.Equals("us-ascii", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        throw new ApiProblemException(
            StatusCodes.Status415UnsupportedMediaType,
            "Unsupported media type",
            $"{what} charset '{charset}' is not supported: send the CSV as UTF-8 (charset=utf-8, with or without a byte order mark); nothing was written.");
    }
}
