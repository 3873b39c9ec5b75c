using System.Buffers;
using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using Journeys.Model;

namespace Journeys.PostgreSql;

/// <summary>
/// Customer fields and event properties in the stores' shared typed JSON form (<see cref="FieldValueStoreJson"/>),
/// as text; the PostgreSQL store writes null values too (<c>["z", null]</c>).
/// </summary>
/// <remarks>
/// A customer document (schema version 5) may also hold field updates appended after its fields by a commit (see
/// <c>UpdateCustomersSql</c>): a name that comes again replaces the earlier value, under the later spelling, and
/// <c>["x", null]</c> removes the field. <see cref="ReadCustomer"/> reads both; every other writer writes one entry per
/// field.
/// </remarks>
internal static class FieldJson
{
    /// <summary>The type tag of an appended removal (<c>"name": ["x", null]</c>).</summary>
    private const string RemovedTag = "x";

    public static string Write(IEnumerable<KeyValuePair<string, FieldValue>> fields) => FieldValueStoreJson.Write(fields, writeNulls: true);

    public static ImmutableDictionary<string, FieldValue> Read(string json, StringComparer comparer) => FieldValueStoreJson.Read(json, comparer);

    /// <summary>
    /// One field update as an entry to append to a customer document: <c>"name":[type, value]</c> without the braces,
    /// or <c>"name":["x",null]</c> for a null value (the field is removed).
    /// </summary>
    public static string Entry(string name, FieldValue value)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (value.IsNull)
            {
                writer.WriteStartArray(name);
                writer.WriteStringValue(RemovedTag);
                writer.WriteNullValue();
                writer.WriteEndArray();
            }
            else
            {
                FieldValueStoreJson.WriteField(writer, name, value);
            }

            writer.WriteEndObject();
        }

        // Without the object's braces, which are one byte each.
        return Encoding.UTF8.GetString(buffer.WrittenSpan[1..^1]);
    }

    /// <summary>
    /// Reads a customer document: its fields in order, a name that comes again replacing the earlier entry (names
    /// compared by <paramref name="comparer"/>, the later spelling kept), a removal entry removing it and a null value
    /// (<c>["z", null]</c>) read as no field.
    /// </summary>
    /// <exception cref="FormatException">The text is not such an object; the message names the field and what was wrong.</exception>
    public static ImmutableDictionary<string, FieldValue> ReadCustomer(string json, StringComparer comparer)
    {
        ArgumentNullException.ThrowIfNull(json);
        // The UTF-8 bytes in a pooled buffer: a document is read once per customer read, and only its values are kept.
        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(json.Length));
        try
        {
            return ReadCustomerUtf8(buffer.AsSpan(0, Encoding.UTF8.GetBytes(json, buffer)), comparer);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static ImmutableDictionary<string, FieldValue> ReadCustomerUtf8(ReadOnlySpan<byte> utf8Json, StringComparer comparer)
    {
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
                if (!reader.Read())
                {
                    throw new FormatException($"Stored field '{name}' ends early.");
                }

                // The pair's type tag, looked at on a copy of the reader (a struct) before the pair is read.
                var peek = reader;
                var removed = peek.TokenType == JsonTokenType.StartArray && peek.Read() && peek.TokenType == JsonTokenType.String && peek.ValueTextEquals(RemovedTag);
                builder.Remove(name);
                if (removed)
                {
                    if (!peek.Read() || peek.TokenType != JsonTokenType.Null || !peek.Read() || peek.TokenType != JsonTokenType.EndArray)
                    {
                        throw new FormatException($"Stored field '{name}' has a removal entry that is not [\"x\", null].");
                    }

                    reader = peek;
                }
                else if (FieldValueStoreJson.ReadField(ref reader, name) is { IsNull: false } value)
                {
                    // A stored null (["z", null], written by upserts and merges) is no value, as in the other stores.
                    builder.Add(name, value);
                }
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
}
