using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Journeys.Model;

namespace Journeys.Serialization.Converters;

/// <summary>
/// Reads and writes a <see cref="FieldValue"/>: JSON <c>null</c>, a string, a number, <c>true</c>/<c>false</c>, an
/// array of strings (a string list) or, since JSON has no date type, <c>{"dateTime": "2026-01-01T00:00:00Z"}</c>.
/// A plain string is always a string, even when it looks like a date.
/// </summary>
internal sealed class FieldValueConverter : JsonConverter<FieldValue>
{
    private const string DateTimeProperty = "dateTime";

    public override bool HandleNull => true;

    public override FieldValue Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return FieldValue.Null;
            case JsonTokenType.String:
                return FieldValue.FromString(reader.GetString());
            case JsonTokenType.True:
                return FieldValue.FromBoolean(true);
            case JsonTokenType.False:
                return FieldValue.FromBoolean(false);
            case JsonTokenType.Number:
                return reader.TryGetDouble(out var number) && double.IsFinite(number)
                    ? FieldValue.FromNumber(number)
                    : throw new JsonException("The number is out of the range of a double-precision number.");
            case JsonTokenType.StartArray:
                return ReadStringList(ref reader);
            case JsonTokenType.StartObject:
                return ReadDateTime(ref reader);
            default:
                throw new JsonException($"A field value cannot be {JsonTokens.Describe(reader.TokenType)}.");
        }
    }

    public override void Write(Utf8JsonWriter writer, FieldValue value, JsonSerializerOptions options) =>
        FieldValueJson.Write(writer, value, static (w, instant) =>
        {
            // JSON has no date type: a date-time is written typed, so it reads back as a date-time, not a string.
            w.WriteStartObject();
            w.WriteString(DateTimeProperty, DateTimeConverter.Format(instant));
            w.WriteEndObject();
        });

    private static FieldValue ReadStringList(ref Utf8JsonReader reader)
    {
        var items = ImmutableArray.CreateBuilder<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                throw new JsonException($"A string list value may only contain strings; item {items.Count} is {JsonTokens.Describe(reader.TokenType)}.");
            }

            items.Add(reader.GetString()!);
        }

        return FieldValue.FromStringList(items.ToImmutable());
    }

    private static FieldValue ReadDateTime(ref Utf8JsonReader reader)
    {
        const string Shape = "An object field value must be a date-time written as {\"dateTime\": \"2026-01-01T00:00:00Z\"}";
        if (!reader.Read() || reader.TokenType != JsonTokenType.PropertyName || !reader.ValueTextEquals(DateTimeProperty))
        {
            throw new JsonException(reader.TokenType == JsonTokenType.PropertyName
                ? $"{Shape}; '{reader.GetString()}' is not allowed."
                : $"{Shape}.");
        }

        reader.Read();
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"{Shape}; 'dateTime' is {JsonTokens.Describe(reader.TokenType)}.");
        }

        var text = reader.GetString()!;
        if (!DateTimeConverter.TryParse(text, out var value, out var error))
        {
            throw new JsonException(error);
        }

        if (!reader.Read() || reader.TokenType != JsonTokenType.EndObject)
        {
            throw new JsonException($"{Shape}, with no other property.");
        }

        return FieldValue.FromDateTime(value);
    }
}
