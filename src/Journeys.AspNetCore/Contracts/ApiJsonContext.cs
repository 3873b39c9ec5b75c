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
internal sealed partial class ApiJsonContext : JsonSerializerContext;
