using System.Text.Json;

namespace Journeys.Model;

/// <summary>
/// Writes a <see cref="FieldValue"/> as JSON: strings, numbers, booleans, null and string lists map directly; a
/// date-time is written by the caller's form (an ISO 8601 string in webhook bodies, a typed object in documents).
/// </summary>
internal static class FieldValueJson
{
    public static void Write(Utf8JsonWriter writer, FieldValue value, Action<Utf8JsonWriter, DateTimeOffset> writeDateTime)
    {
        switch (value.Type)
        {
            case null:
                writer.WriteNullValue();
                break;
            case FieldType.String:
                writer.WriteStringValue(value.AsString());
                break;
            case FieldType.Number:
                writer.WriteNumberValue(value.AsNumber());
                break;
            case FieldType.Boolean:
                writer.WriteBooleanValue(value.AsBoolean());
                break;
            case FieldType.DateTime:
                writeDateTime(writer, value.AsDateTime());
                break;
            case FieldType.StringList:
                writer.WriteStartArray();
                foreach (var item in value.AsStringList())
                {
                    writer.WriteStringValue(item);
                }

                writer.WriteEndArray();
                break;
            default:
                throw new JsonException($"Field type {value.Type} has no JSON form.");
        }
    }
}
