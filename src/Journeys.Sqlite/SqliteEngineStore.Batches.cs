using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Journeys.Storage;
using Microsoft.Data.Sqlite;

namespace Journeys.Sqlite;

/// <content>
/// Batch-wide statements: the rows of a whole batch go to SQLite as one JSON array parameter, read back with
/// <c>json_each</c> (the enrollments a batch creates). Row writes of a commit use reused prepared statements instead
/// (<see cref="SqliteSession.Reusable"/>): with parameters set in place, one execution per row measured about a third
/// cheaper than extracting every column from JSON; what was costly before was re-creating the parameters per row.
/// </content>
internal sealed partial class SqliteEngineStore
{
    /// <summary>A JSON array of row arrays, written without reflection.</summary>
    internal sealed class JsonRows : IDisposable
    {
        private readonly ArrayBufferWriter<byte> _buffer;
        private readonly Utf8JsonWriter _writer;

        public JsonRows(int capacity)
        {
            _buffer = new ArrayBufferWriter<byte>(Math.Max(256, capacity));
            // Text goes to SQLite as is (SQLite decodes escapes too, but raw UTF-8 leaves nothing to interpret).
            _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            _writer.WriteStartArray();
        }

        public Utf8JsonWriter StartRow()
        {
            _writer.WriteStartArray();
            return _writer;
        }

        public void EndRow() => _writer.WriteEndArray();

        public string ToJson()
        {
            _writer.WriteEndArray();
            _writer.Flush();
            return Encoding.UTF8.GetString(_buffer.WrittenSpan);
        }

        public void Dispose() => _writer.Dispose();

        public static void Write(Utf8JsonWriter writer, string? value)
        {
            if (value is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                writer.WriteStringValue(value);
            }
        }

        public static void Write(Utf8JsonWriter writer, long? value)
        {
            if (value is { } v)
            {
                writer.WriteNumberValue(v);
            }
            else
            {
                writer.WriteNullValue();
            }
        }

        public static void Write(Utf8JsonWriter writer, DateTimeOffset? value) => Write(writer, value?.UtcTicks);
    }
}
