using System.Buffers;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Features;

namespace Journeys.AspNetCore;

/// <summary>Reads request bodies whole, within the configured size limit, and JSON bodies with errors that name the path.</summary>
internal static partial class RequestBodies
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
        return WithoutTypeNames(cut > 0 ? message[..cut] : message);
    }

    /// <summary>
    /// Two of System.Text.Json's messages name the .NET type the body is read into ("... contained in type
    /// 'Journeys.AspNetCore.Contracts.CustomerRequest'", "could not be converted to System.Int32"): the caller wrote
    /// JSON, so they are said in JSON's terms. Other messages pass as they are.
    /// </summary>
    internal static string WithoutTypeNames(string problem)
    {
        if (UnmappedProperty().Match(problem) is { Success: true } unmapped)
        {
            return $"The property '{unmapped.Groups["name"].Value}' is not known here.";
        }

        if (NotConverted().Match(problem) is { Success: true } converted)
        {
            var expected = converted.Groups["type"].Value switch
            {
                "System.String" => "a string",
                "System.Boolean" or "System.Nullable`1[System.Boolean]" => "true or false",
                "System.DateTimeOffset" or "System.Nullable`1[System.DateTimeOffset]" => "a date-time string",
                var t when t.StartsWith("System.Collections.", StringComparison.Ordinal) || t.EndsWith("[]", StringComparison.Ordinal) => "an array",
                var t when t.Contains("Int", StringComparison.Ordinal) || t.Contains("Double", StringComparison.Ordinal) || t.Contains("Decimal", StringComparison.Ordinal) || t.Contains("Single", StringComparison.Ordinal) => "a number",
                _ => "another kind of value",
            };
            return $"The value is not {expected}.";
        }

        return problem;
    }

    [GeneratedRegex(@"^The JSON property '(?<name>.*)' could not be mapped to any \.NET member contained in type '[^']*'\.$", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex UnmappedProperty();

    [GeneratedRegex(@"^The JSON value could not be converted to (?<type>.+)\.$", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex NotConverted();

    private static ApiProblemException TooLarge(long limit) => new(
        StatusCodes.Status413PayloadTooLarge,
        "Request body too large",
        $"The request body is larger than the limit of {limit} bytes (JourneysApiOptions.MaxRequestBodySize).");
}
