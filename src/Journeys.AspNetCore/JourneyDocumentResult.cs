using Journeys.Serialization;
using Journeys.Storage;

namespace Journeys.AspNetCore;

/// <summary>Writes a journey as its JSON document (the library's format), with its ETag.</summary>
internal sealed class JourneyDocumentResult(JourneyRecord record, int statusCode, string? location) : IResult, IStatusCodeHttpResult
{
    public int? StatusCode => statusCode;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        response.StatusCode = statusCode;
        ETags.Set(response, record);
        if (location is not null)
        {
            response.Headers.Location = location;
        }

        response.ContentType = RequestBodies.Json;
        var body = JourneyJson.SerializeToUtf8Bytes(record.Journey);
        return response.Body.WriteAsync(body, httpContext.RequestAborted).AsTask();
    }
}
