using Journeys.Serialization;
using Journeys.Serialization.StateDocuments;
using Journeys.Storage;

namespace Journeys.AspNetCore;

/// <summary>
/// Writes a journey as its JSON document (the library's format, or the vendor's states when the client asks for them),
/// with its ETag. The body is made when the result is created, inside the endpoint, so a journey that cannot be written
/// is refused as a problem like any other error.
/// </summary>
internal sealed class JourneyDocumentResult : IResult, IStatusCodeHttpResult
{
    private readonly JourneyRecord _record;
    private readonly int _statusCode;
    private readonly string? _location;
    private readonly byte[] _body;
    private readonly string _contentType;

    public JourneyDocumentResult(HttpContext context, JourneyRecord record, int statusCode, string? location)
    {
        _record = record;
        _statusCode = statusCode;
        _location = location;
        if (JourneyBodies.WantsStates(context.Request))
        {
            _body = JourneyStateDocument.WriteUtf8(record.Journey);
            _contentType = JourneyMediaTypes.States;
        }
        else
        {
            _body = JourneyJson.SerializeToUtf8Bytes(record.Journey);
            _contentType = RequestBodies.Json;
        }
    }

    public int? StatusCode => _statusCode;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        response.StatusCode = _statusCode;
        ETags.Set(response, _record);
        if (_location is not null)
        {
            response.Headers.Location = _location;
        }

        response.ContentType = _contentType;
        return response.Body.WriteAsync(_body, httpContext.RequestAborted).AsTask();
    }
}
