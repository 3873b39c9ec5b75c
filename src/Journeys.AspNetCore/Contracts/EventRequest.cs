using System.Text.Json;
using System.Text.Json.Serialization;

namespace Journeys.AspNetCore.Contracts;

/// <summary>One customer event in the body of <c>POST /events</c>.</summary>
internal sealed class EventRequest
{
    public required string CustomerId { get; init; }

    public required string Name { get; init; }

    public Dictionary<string, JsonElement>? Properties { get; init; }

    [JsonConverter(typeof(DateTimeWithOffsetConverter))]
    public DateTimeOffset? Time { get; init; }

    public string? MessageId { get; init; }

    public string? Id { get; init; }
}
