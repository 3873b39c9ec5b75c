namespace Journeys.AspNetCore;

/// <summary>A request the endpoints refuse with a problem details response (status, title, detail and extensions).</summary>
internal sealed class ApiProblemException(int statusCode, string title, string detail, IReadOnlyDictionary<string, object?>? extensions = null)
    : Exception(detail)
{
    public int StatusCode { get; } = statusCode;

    public string Title { get; } = title;

    public string Detail { get; } = detail;

    public IReadOnlyDictionary<string, object?>? Extensions { get; } = extensions;

    public static ApiProblemException BadRequest(string detail, string? path = null) =>
        new(StatusCodes.Status400BadRequest, "Invalid request", detail, path is null ? null : new Dictionary<string, object?> { ["path"] = path });

    /// <summary>Refuses a customer id longer than <see cref="Model.Customer.MaxIdLength"/> with a 400 naming the request's part.</summary>
    public static void ThrowIfCustomerIdTooLong(string customerId, string path)
    {
        if (customerId.Length > Model.Customer.MaxIdLength)
        {
            throw BadRequest(
                $"Invalid JSON at {path}: the customer id is {customerId.Length} characters long; customer ids have at most {Model.Customer.MaxIdLength} (UTF-16 code units).",
                path);
        }
    }

    public static ApiProblemException NotFound(string detail) => new(StatusCodes.Status404NotFound, "Not found", detail);

    public static ApiProblemException Conflict(string detail) => new(StatusCodes.Status409Conflict, "Conflict", detail);

    /// <summary>
    /// The message of an <see cref="ArgumentException"/> without the " (Parameter 'x')" that .NET appends: the parameter
    /// is a C# name the HTTP caller never saw (the problem's <c>path</c> names the request's part instead).
    /// </summary>
    public static string DetailOf(ArgumentException exception) =>
        exception.ParamName is null
            ? exception.Message
            : exception.Message.Replace($" (Parameter '{exception.ParamName}')", string.Empty, StringComparison.Ordinal);
}
