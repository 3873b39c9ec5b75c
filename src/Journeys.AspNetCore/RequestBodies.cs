using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Features;

namespace Journeys.AspNetCore;

/// <summary>Reads request bodies whole, within the configured size limit, and JSON bodies with errors that name the path.</summary>
internal static class RequestBodies
{
    public const string Json = "application/json";

    public static async Task<byte[]> ReadAsync(HttpContext context, JourneysApiOptions options)
    {
        var request = context.Request;
        var limit = options.MaxRequestBodySize;
        if (request.ContentLength is { } length && length > limit)
        {
            throw TooLarge(limit);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }

        var buffer = new ArrayBufferWriter<byte>(request.ContentLength is { } known ? (int)Math.Max(known, 1) : 4096);
        while (true)
        {
            var memory = buffer.GetMemory(4096);
            int read;
            try
            {
                read = await request.Body.ReadAsync(memory, context.RequestAborted).ConfigureAwait(false);
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                throw TooLarge(limit);
            }

            if (read == 0)
            {
                break;
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > limit)
            {
                throw TooLarge(limit);
            }
        }

        if (buffer.WrittenCount == 0)
        {
            throw ApiProblemException.BadRequest("The request has no body; send a JSON document.", "$");
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Refuses a body whose media type is not one of <paramref name="accepted"/> (an absent Content-Type is taken as JSON).</summary>
    public static string MediaType(HttpRequest request, params string[] accepted)
    {
        if (string.IsNullOrEmpty(request.ContentType))
        {
            return Json;
        }

        var mediaType = Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(request.ContentType, out var parsed)
            ? parsed.MediaType.Value ?? string.Empty
            : string.Empty;
        foreach (var candidate in accepted)
        {
            if (string.Equals(mediaType, candidate, StringComparison.OrdinalIgnoreCase))
            {
                return candidate;
            }
        }

        throw new ApiProblemException(
            StatusCodes.Status415UnsupportedMediaType,
            "Unsupported media type",
            $"The Content-Type '{request.ContentType}' is not accepted here; send one of: {string.Join(", ", accepted)}.");
    }

    public static T ReadJson<T>(ReadOnlySpan<byte> utf8Json, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(utf8Json, typeInfo)
                ?? throw ApiProblemException.BadRequest("The body is the JSON value null; send a JSON object.", "$");
        }
        catch (JsonException ex)
        {
            var path = ex.Path ?? "$";
            var line = ex.LineNumber is { } l ? l + 1 : (long?)null;
            var problem = FirstSentence(ex.Message);
            var extensions = new Dictionary<string, object?> { ["path"] = path };
            if (line is not null)
            {
                extensions["line"] = line;
            }

            throw new ApiProblemException(StatusCodes.Status400BadRequest, "Invalid JSON", $"Invalid JSON at {path}: {problem}", extensions);
        }
    }

    private static string FirstSentence(string message)
    {
        // System.Text.Json appends "Path: $.x | LineNumber: n | BytePositionInLine: m." to its messages; the path is reported apart.
        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    private static ApiProblemException TooLarge(long limit) => new(
        StatusCodes.Status413PayloadTooLarge,
        "Request body too large",
        $"The request body is larger than the limit of {limit} bytes (JourneysApiOptions.MaxRequestBodySize).");
}
