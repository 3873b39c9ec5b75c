using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Journeys.AspNetCore.Contracts;

/// <summary>
/// Source-generated JSON of the request and answer bodies that are not journey documents. Requests are strict: an
/// unknown property or a missing required one is a 400 naming its path.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    PropertyNameCaseInsensitive = false,
    RespectNullableAnnotations = true,
    AllowDuplicateProperties = false,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EventRequest))]
[JsonSerializable(typeof(List<EventRequest>))]
[JsonSerializable(typeof(CloneRequest))]
[JsonSerializable(typeof(PutCustomersRequest))]
[JsonSerializable(typeof(PutCustomersResponse))]
[JsonSerializable(typeof(List<JourneySummary>))]
[JsonSerializable(typeof(StartResponse))]
[JsonSerializable(typeof(StopResponse))]
[JsonSerializable(typeof(CheckResponse))]
[JsonSerializable(typeof(List<DiagnosticResponse>))]
[JsonSerializable(typeof(EventsAccepted))]
[JsonSerializable(typeof(StatisticsResponse))]
[JsonSerializable(typeof(SendingRequestBody))]
[JsonSerializable(typeof(EngineStatusResponse))]
internal sealed partial class ApiJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The context every answer is written with: the options above with the relaxed encoder, as the journey documents
    /// (<c>JourneyJson</c>) are written. The default encoder escapes what HTML would need escaped ('+', quotes, '&lt;')
    /// and every non-ASCII letter, so a name "Campaña +30 %" read "Campa\u00F1a \u002B30 %" in the answers; these
    /// answers are <c>application/json</c>, never embedded in a page by this library.
    /// </summary>
    public static ApiJsonContext Api => Relaxed.Context;

    /// <summary>The JSON text of an answer built as a <see cref="System.Text.Json.Nodes.JsonNode"/>, with <see cref="Api"/>'s encoder.</summary>
    public static string Text(System.Text.Json.Nodes.JsonNode node) => node.ToJsonString(Api.Options);

    // A holder of its own: its initializer runs on first use, after the generated Default's (initializers of partial
    // declarations in other files run in no defined order).
    private static class Relaxed
    {
        public static readonly ApiJsonContext Context = new(new JsonSerializerOptions(Default.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }
}
