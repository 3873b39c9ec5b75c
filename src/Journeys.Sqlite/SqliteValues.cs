using System.Buffers;
using System.Collections.Immutable;
using System.Text.Json;
using Journeys.Model;
using Microsoft.Data.Sqlite;

namespace Journeys.Sqlite;

/// <summary>
/// How values are stored: times as UTC ticks (an instant; values come back with a zero offset, equal to what was
/// stored), ids as 16 big-endian bytes (so byte order is <see cref="Guid"/> order), field values and name lists as
/// small JSON documents written and read without reflection (field values through the shared <see cref="FieldValueStoreJson"/>).
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

    /// <summary>Customer fields in the stores' shared typed JSON form (<see cref="FieldValueStoreJson"/>); null values are left out (a null field is no field).</summary>
    public static byte[] Fields(IEnumerable<KeyValuePair<string, FieldValue>> fields) => FieldValueStoreJson.WriteUtf8(fields, writeNulls: false);

    /// <summary>
    /// Event properties in the stores' shared typed JSON form, null values written (<c>["z", null]</c>): an event reads
    /// back with every property it was appended with, as in the other stores. Files written before kept no null
    /// property; they read back as they were stored.
    /// </summary>
    public static byte[] EventProperties(IEnumerable<KeyValuePair<string, FieldValue>> properties) => FieldValueStoreJson.WriteUtf8(properties, writeNulls: true);

    public static ImmutableDictionary<string, FieldValue> Fields(byte[] json, StringComparer comparer) => FieldValueStoreJson.Read(json, comparer);

    /// <summary>A JSON array of one string per item (a batch's keys, read back in SQL with <c>json_each</c>).</summary>
    public static string JsonArray<T>(IReadOnlyList<T> items, Func<T, string> key)
    {
        var buffer = new ArrayBufferWriter<byte>(items.Count * 32);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            for (var i = 0; i < items.Count; i++)
            {
                writer.WriteStringValue(key(items[i]));
            }

            writer.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>A JSON array of [first, second] pairs, for a statement that joins <c>json_each</c> on two columns.</summary>
    public static string JsonPairs<T>(IReadOnlyList<T> items, Func<T, string> first, Func<T, string> second)
    {
        var buffer = new ArrayBufferWriter<byte>(items.Count * 64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            for (var i = 0; i < items.Count; i++)
            {
                writer.WriteStartArray();
                writer.WriteStringValue(first(items[i]));
                writer.WriteStringValue(second(items[i]));
                writer.WriteEndArray();
            }

            writer.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static byte[] Blob(SqliteDataReader reader, int ordinal) => (byte[])reader.GetValue(ordinal);
}
