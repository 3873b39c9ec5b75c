using System.Buffers;
using System.Collections.Immutable;
using System.Text.Json;
using Journeys.Model;

namespace Journeys.PostgreSql;

/// <summary>
/// Customer fields and event properties as a JSON object that keeps each value's type exactly:
/// <c>{"name": ["z", null] | ["s", "text"] | ["n", 1.5] | ["b", true] | ["d", utcTicks] | ["l", ["a", "b"]]}</c>.
/// Date-times keep their full tick precision; numbers round-trip (System.Text.Json writes the shortest exact form).
/// </summary>
internal static class FieldJson
{
    public static string Write(IEnumerable<KeyValuePair<string, FieldValue>> fields)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in fields)
            {
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
                        throw new InvalidOperationException($"Field '{name}' has type {value.Type}, which the PostgreSQL store can not write.");
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static ImmutableDictionary<string, FieldValue> Read(string json, StringComparer comparer)
    {
        var builder = ImmutableDictionary.CreateBuilder<string, FieldValue>(comparer);
        using var document = JsonDocument.Parse(json);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            var value = property.Value;
            var payload = value[1];
            builder[property.Name] = value[0].GetString() switch
            {
                "z" => FieldValue.Null,
                "s" => FieldValue.FromString(payload.GetString()),
                "n" => FieldValue.FromNumber(payload.GetDouble()),
                "b" => FieldValue.FromBoolean(payload.GetBoolean()),
                "d" => FieldValue.FromDateTime(new DateTimeOffset(payload.GetInt64(), TimeSpan.Zero)),
                "l" => FieldValue.FromStringList(payload.EnumerateArray().Select(static e => e.GetString()!).ToArray()),
                var other => throw new InvalidOperationException($"Stored field '{property.Name}' has an unknown type tag '{other}'."),
            };
        }

        return builder.ToImmutable();
    }
}
