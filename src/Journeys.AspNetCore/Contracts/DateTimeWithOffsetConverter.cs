using System.Text.Json;
using System.Text.Json.Serialization;

namespace Journeys.AspNetCore.Contracts;

/// <summary>
/// An ISO 8601 date-time that must give its offset, as every date-time of the request bodies does. System.Text.Json
/// would read one without an offset in the server's local time zone, so the same request would mean another instant on
/// another host.
/// </summary>
internal sealed class DateTimeWithOffsetConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var value) && ApiMapping.HasOffset(reader.GetString()!)
            ? value
            : throw new JsonException("expected an ISO 8601 date-time with an offset, such as \"2026-01-01T09:00:00Z\".");

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value);
    }
}
