using System.Globalization;
using Microsoft.OpenApi;

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

    /// <summary>
    /// Describes the query value <paramref name="name"/>, which the endpoint takes as a string and parses with this
    /// class, in the OpenAPI document as what it really is (a client generated from the document sends a boolean or a
    /// number, not any text).
    /// </summary>
    public static RouteHandlerBuilder QueryValue(this RouteHandlerBuilder builder, string name, JsonSchemaType type, string? format = null) =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            foreach (var parameter in operation.Parameters ?? [])
            {
                if (parameter is OpenApiParameter described && described.In == ParameterLocation.Query && string.Equals(described.Name, name, StringComparison.Ordinal))
                {
                    described.Schema = new OpenApiSchema { Type = type, Format = format };
                }
            }

            return Task.CompletedTask;
        });

    private static ApiProblemException Refused(string value, string name, string expected) =>
        ApiProblemException.BadRequest($"The {name} query value '{value}' is not {expected}.", "query:" + name);
}
