using System.Buffers;
using System.Collections.Immutable;
using System.Text.Json;
using Journeys.Model;
using Microsoft.Data.Sqlite;

namespace Journeys.Sqlite;

/// <summary>
/// How values are stored: times as UTC ticks (an instant; values come back with a zero offset, equal to what was
/// stored), ids as 16 big-endian bytes (so byte order is <see cref="Guid"/> order), field values and name lists as
/// small JSON documents written and read without reflection.
/// </summary>
internal static class SqliteValues
{
    public static long Ticks(DateTimeOffset value) => value.UtcTicks;

    public static DateTimeOffset Time(long ticks) => new(ticks, TimeSpan.Zero);

    public static object Ticks(DateTimeOffset? value) => value is { } v ? v.UtcTicks : DBNull.Value;

    public static DateTimeOffset? NullableTime(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : Time(reader.GetInt64(ordinal));

    public static byte[] Id(Guid id) => id.ToByteArray(bigEndian: true);

    public static Guid Id(SqliteDataReader reader, int ordinal)
        => new(Blob(reader, ordinal), bigEndian: true);

    public static object Text(string? value) => value is null ? DBNull.Value : value;

    public static string? NullableText(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    /// <summary>Names as a JSON array, or null for none.</summary>
    public static object Names(EquatableArray<string> names)
    {
        if (names.IsEmpty)
        {
            return DBNull.Value;
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var name in names)
            {
                writer.WriteStringValue(name);
            }

            writer.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static EquatableArray<string> Names(SqliteDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal))
        {
            return EquatableArray<string>.Empty;
        }

        var json = System.Text.Encoding.UTF8.GetBytes(reader.GetString(ordinal));
        var names = new List<string>();
        var json8 = new Utf8JsonReader(json);
        json8.Read();
        while (json8.Read() && json8.TokenType == JsonTokenType.String)
        {
            names.Add(json8.GetString()!);
        }

        return new EquatableArray<string>([.. names]);
    }

    /// <summary>Field values as a JSON object: name → [type, value], type one of s n b d l (d: UTC ticks).</summary>
    public static byte[] Fields(IEnumerable<KeyValuePair<string, FieldValue>> fields)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in fields)
            {
                if (value.IsNull)
                {
                    continue;
                }

                writer.WriteStartArray(name);
                switch (value.Type)
                {
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
                        throw new InvalidOperationException($"Field '{name}' has type {value.Type}, which the SQLite store cannot write.");
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static ImmutableDictionary<string, FieldValue> Fields(byte[] json, StringComparer comparer)
    {
        var builder = ImmutableDictionary.CreateBuilder<string, FieldValue>(comparer);
        var reader = new Utf8JsonReader(json);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read(); // [
            reader.Read();
            var type = reader.GetString();
            reader.Read();
            FieldValue value;
            switch (type)
            {
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
                    value = FieldValue.FromDateTime(Time(reader.GetInt64()));
                    break;
                case "l":
                    var items = new List<string>();
                    while (reader.Read() && reader.TokenType == JsonTokenType.String)
                    {
                        items.Add(reader.GetString()!);
                    }

                    value = FieldValue.FromStringList(items);
                    break;
                default:
                    throw new InvalidOperationException($"Field '{name}' is stored with an unknown type tag '{type}'.");
            }

            reader.Read(); // ]
            builder[name] = value;
        }

        return builder.ToImmutable();
    }

    public static byte[] Blob(SqliteDataReader reader, int ordinal) => (byte[])reader.GetValue(ordinal);
}
