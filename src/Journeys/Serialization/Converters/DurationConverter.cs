using System.Text.Json;
using System.Text.Json.Serialization;

namespace Journeys.Serialization.Converters;

/// <summary>Reads and writes a <see cref="TimeSpan"/> as an ISO 8601 duration string such as <c>PT1H</c>.</summary>
internal sealed class DurationConverter : JsonConverter<TimeSpan>
{
    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"A duration must be an ISO 8601 duration string such as 'PT1H' or 'P7D', not {JsonTokens.Describe(reader.TokenType)}.");
        }

        var text = reader.GetString()!;
        return IsoDuration.TryParse(text, out var value, out var error) ? value : throw new JsonException(error);
    }

    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
        writer.WriteStringValue(IsoDuration.Format(value));
}
