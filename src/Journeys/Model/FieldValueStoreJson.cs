using System.Buffers;
using System.Collections.Immutable;
using System.Text;
using System.Text.Json;

namespace Journeys.Model;

/// <summary>
/// For store implementers: the typed JSON form in which the durable stores (SQLite, PostgreSQL) keep customer fields and
/// event properties, <c>{"name": ["s", "text"] | ["n", 1.5] | ["b", true] | ["d", utcTicks] | ["l", ["a", "b"]] | ["z", null]}</c>.
/// Every value keeps its type exactly: date-times their full tick precision (as UTC ticks, read back with offset
/// zero), numbers round-trip (System.Text.Json writes the shortest exact form). Written and read without reflection.
/// </summary>
public static class FieldValueStoreJson
{
    /// <summary>Writes <paramref name="fields"/> as UTF-8 JSON.</summary>
    /// <param name="fields">The values, written in enumeration order.</param>
    /// <param name="writeNulls">Whether a <see cref="FieldValue.Null"/> is written (as <c>["z", null]</c>) or left out.</param>
    /// <returns>The UTF-8 bytes of the JSON object.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="fields"/> is null.</exception>
    public static byte[] WriteUtf8(IEnumerable<KeyValuePair<string, FieldValue>> fields, bool writeNulls) =>
        WriteBuffer(fields, writeNulls).WrittenSpan.ToArray();

    /// <summary>Writes <paramref name="fields"/> as a JSON string (the same text <see cref="WriteUtf8"/> encodes).</summary>
    /// <param name="fields">The values, written in enumeration order.</param>
    /// <param name="writeNulls">Whether a <see cref="FieldValue.Null"/> is written (as <c>["z", null]</c>) or left out.</param>
    /// <returns>The JSON object.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="fields"/> is null.</exception>
    public static string Write(IEnumerable<KeyValuePair<string, FieldValue>> fields, bool writeNulls) =>
        Encoding.UTF8.GetString(WriteBuffer(fields, writeNulls).WrittenSpan);

    /// <summary>Reads values written by <see cref="WriteUtf8"/> (whitespace and property order do not matter).</summary>
    /// <param name="utf8Json">The UTF-8 JSON object.</param>
    /// <param name="comparer">The comparer of the returned dictionary's keys.</param>
    /// <returns>The values by name.</returns>
    /// <exception cref="FormatException">The text is not such an object; the message names the field and what was wrong.</exception>
    public static ImmutableDictionary<string, FieldValue> Read(ReadOnlySpan<byte> utf8Json, StringComparer comparer)
    {
        ArgumentNullException.ThrowIfNull(comparer);
        var builder = ImmutableDictionary.CreateBuilder<string, FieldValue>(comparer);
        var reader = new Utf8JsonReader(utf8Json);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new FormatException("The stored fields are not a JSON object of [type, value] pairs.");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                Expect(ref reader, JsonTokenType.StartArray, name);
                var value = ReadPair(ref reader, name);
                builder[name] = value;
            }

            if (reader.TokenType != JsonTokenType.EndObject)
            {
                throw new FormatException("The stored fields are not a JSON object of [type, value] pairs.");
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new FormatException($"The stored fields are not valid typed JSON: {ex.Message}", ex);
        }

        return builder.ToImmutable();
    }

    /// <summary>Reads values written by <see cref="Write"/> (whitespace and property order do not matter).</summary>
    /// <param name="json">The JSON object.</param>
    /// <param name="comparer">The comparer of the returned dictionary's keys.</param>
    /// <returns>The values by name.</returns>
    /// <exception cref="FormatException">The text is not such an object; the message names the field and what was wrong.</exception>
    public static ImmutableDictionary<string, FieldValue> Read(string json, StringComparer comparer)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Read(Encoding.UTF8.GetBytes(json), comparer);
    }

    private static ArrayBufferWriter<byte> WriteBuffer(IEnumerable<KeyValuePair<string, FieldValue>> fields, bool writeNulls)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var buffer = new ArrayBufferWriter<byte>(128);
        using var writer = new Utf8JsonWriter(buffer);
        writer.WriteStartObject();
        foreach (var (name, value) in fields)
        {
            if (value.IsNull && !writeNulls)
            {
                continue;
            }

            WriteField(writer, name, value);
        }

        writer.WriteEndObject();
        writer.Flush();
        return buffer;
    }

    /// <summary>
    /// Reads one field's <c>[type, value]</c> pair (as <see cref="WriteField"/> writes it), for a store that walks a stored
    /// document itself and decodes only the fields it needs.
    /// </summary>
    /// <param name="reader">A reader positioned on the pair's start (<see cref="JsonTokenType.StartArray"/>); on return, on its end.</param>
    /// <param name="name">The field's name, for the error message.</param>
    /// <returns>The value.</returns>
    /// <exception cref="FormatException">The pair is not a valid <c>[type, value]</c> pair; the message names the field and what was wrong.</exception>
    public static FieldValue ReadField(ref Utf8JsonReader reader, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        try
        {
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                throw Malformed(name, "is not a [type, value] pair");
            }

            return ReadPair(ref reader, name);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new FormatException($"Stored field '{name}' is not a valid [type, value] pair: {ex.Message}", ex);
        }
    }

    // From the pair's StartArray to its EndArray.
    private static FieldValue ReadPair(ref Utf8JsonReader reader, string name)
    {
        Expect(ref reader, JsonTokenType.String, name);
        var type = reader.GetString();
        if (!reader.Read())
        {
            throw Malformed(name, "ends early");
        }

        FieldValue value;
        switch (type)
        {
            case "z":
                value = FieldValue.Null;
                break;
            case "s":
                value = FieldValue.FromString(reader.GetString());
                break;
            case "n":
                value = FieldValue.FromNumber(reader.GetDouble());
                break;
            case "b":
                value = FieldValue.FromBoolean(reader.GetBoolean());
                break;
            case "d":
                value = FieldValue.FromDateTime(new DateTimeOffset(reader.GetInt64(), TimeSpan.Zero));
                break;
            case "l":
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    throw Malformed(name, "has a list value that is not an array");
                }

                var items = new List<string>();
                while (reader.Read() && reader.TokenType == JsonTokenType.String)
                {
                    items.Add(reader.GetString()!);
                }

                if (reader.TokenType != JsonTokenType.EndArray)
                {
                    throw Malformed(name, "has a list item that is not a string");
                }

                value = FieldValue.FromStringList(items);
                break;
            default:
                throw Malformed(name, $"has the unknown type tag '{type}'");
        }

        Expect(ref reader, JsonTokenType.EndArray, name);
        return value;
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string where)
    {
        if (!reader.Read() || reader.TokenType != type)
        {
            throw Malformed(where, $"expected {type}, found {(reader.TokenType == JsonTokenType.None ? "the end" : reader.TokenType.ToString())}");
        }
    }

    private static FormatException Malformed(string field, string what) =>
        new($"Stored field '{field}' {what}.");

    /// <summary>Writes one field as the property <paramref name="name"/> holding its <c>[type, value]</c> pair (<c>"z"</c> for null).</summary>
    /// <param name="writer">The writer, positioned inside an object.</param>
    /// <param name="name">The field's name.</param>
    /// <param name="value">The value.</param>
    public static void WriteField(Utf8JsonWriter writer, string name, FieldValue value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(name);
        writer.WriteStartArray(name);
        switch (value.Type)
        {
            case null:
                writer.WriteStringValue("z");
                writer.WriteNullValue();
                break;
            case FieldType.String:
                writer.WriteStringValue("s");
                writer.WriteStringValue(value.AsString());
                break;
            case FieldType.Number:
                writer.WriteStringValue("n");
                writer.WriteNumberValue(value.AsNumber());
                break;
            case FieldType.Boolean:
                writer.WriteStringValue("b");
                writer.WriteBooleanValue(value.AsBoolean());
                break;
            case FieldType.DateTime:
                writer.WriteStringValue("d");
                writer.WriteNumberValue(value.AsDateTime().UtcTicks);
                break;
            case FieldType.StringList:
                writer.WriteStringValue("l");
                writer.WriteStartArray();
                foreach (var item in value.AsStringList())
                {
                    writer.WriteStringValue(item);
                }

                writer.WriteEndArray();
                break;
            default:
                throw new InvalidOperationException($"Field '{name}' has type {value.Type}, which has no stored JSON form.");
        }

        writer.WriteEndArray();
    }
}
