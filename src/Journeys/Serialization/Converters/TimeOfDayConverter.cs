using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Journeys.Serialization.Converters;

/// <summary>Reads and writes a <see cref="TimeOnly"/> as <c>HH:mm</c>, or <c>HH:mm:ss</c> (with a fraction when it has one).</summary>
internal sealed class TimeOfDayConverter : JsonConverter<TimeOnly>
{
    private static readonly string[] Formats = ["HH:mm", "HH:mm:ss", "HH:mm:ss.FFFFFFF"];

    public override TimeOnly Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"A time of day must be a string such as '09:00' or '18:30:15', not {JsonTokens.Describe(reader.TokenType)}.");
        }

        var text = reader.GetString()!;
        return !DateTimeConverter.HasEmptyFraction(text) && TimeOnly.TryParseExact(text, Formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value)
            ? value
            : throw new JsonException($"'{text}' is not a time of day; write 'HH:mm' or 'HH:mm:ss' on a 24-hour clock, such as '09:00' or '18:30:15'.");
    }

    public override void Write(Utf8JsonWriter writer, TimeOnly value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Ticks % TimeSpan.TicksPerMinute == 0
            ? value.ToString("HH:mm", CultureInfo.InvariantCulture)
            : value.ToString("HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture));
}
