using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Journeys.Model;
using Journeys.Serialization.Documents;

namespace Journeys.Serialization;

/// <summary>
/// Reads and writes journeys, customer field schemas, campaigns, single nodes and single conditions as JSON
/// documents (see <c>docs/json-format.md</c>). Source-generated, so it is trimming and Native AOT safe.
/// Reading either returns a complete model object or throws a <see cref="JourneyJsonException"/> naming the JSON path.
/// </summary>
public static partial class JourneyJson
{
    /// <summary>The <c>schemaVersion</c> this library writes and reads.</summary>
    public const int SchemaVersion = 1;

    private static readonly JsonWriterOptions CompactWriter = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly JsonWriterOptions IndentedWriter = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = true, NewLine = "\n" };

    /// <summary>Writes a journey as a JSON document.</summary>
    /// <param name="journey">The journey (draft or not).</param>
    /// <param name="indented">True to indent with two spaces and <c>\n</c> line ends.</param>
    /// <returns>The JSON text; the same journey always gives the same text.</returns>
    public static string Serialize(JourneyDefinition journey, bool indented = false) =>
        WriteString(DocumentWriter.Write(journey), JourneyJsonContext.Default.JourneyDocument, indented);

    /// <summary>Writes a journey as UTF-8 JSON.</summary>
    /// <param name="journey">The journey.</param>
    /// <param name="indented">True to indent.</param>
    /// <returns>The UTF-8 bytes of the document.</returns>
    public static byte[] SerializeToUtf8Bytes(JourneyDefinition journey, bool indented = false) =>
        WriteBytes(DocumentWriter.Write(journey), JourneyJsonContext.Default.JourneyDocument, indented).ToArray();

    /// <summary>Writes a journey as UTF-8 JSON to a stream.</summary>
    /// <param name="utf8Json">The stream; it is flushed but not closed.</param>
    /// <param name="journey">The journey.</param>
    /// <param name="indented">True to indent.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public static async Task SerializeAsync(Stream utf8Json, JourneyDefinition journey, bool indented = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        var document = DocumentWriter.Write(journey);
        var writer = new Utf8JsonWriter(utf8Json, indented ? IndentedWriter : CompactWriter);
        await using (writer.ConfigureAwait(false))
        {
            JsonSerializer.Serialize(writer, document, JourneyJsonContext.Default.JourneyDocument);
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads a journey from a JSON document.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The journey.</returns>
    /// <exception cref="JourneyJsonException">The text is not JSON, not a journey document of <see cref="SchemaVersion"/>, or describes something invalid.</exception>
    public static JourneyDefinition Deserialize(string json) => Deserialize(Utf8(json));

    /// <summary>Reads a journey from UTF-8 JSON.</summary>
    /// <param name="utf8Json">The UTF-8 bytes (a byte order mark is allowed).</param>
    /// <returns>The journey.</returns>
    /// <exception cref="JourneyJsonException">The document is not JSON, not a journey document of <see cref="SchemaVersion"/>, or describes something invalid.</exception>
    public static JourneyDefinition Deserialize(ReadOnlySpan<byte> utf8Json)
    {
        utf8Json = SkipBom(utf8Json);
        CheckSchemaVersionFirst(utf8Json);
        return DocumentReader.ReadJourney(Parse(utf8Json, JourneyJsonContext.Default.JourneyDocument));
    }

    /// <summary>Reads a journey from a stream of UTF-8 JSON (read to its end).</summary>
    /// <param name="utf8Json">The stream.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The journey.</returns>
    /// <exception cref="JourneyJsonException">The document is not JSON, not a journey document of <see cref="SchemaVersion"/>, or describes something invalid.</exception>
    public static async ValueTask<JourneyDefinition> DeserializeAsync(Stream utf8Json, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        using var buffer = new MemoryStream();
        await utf8Json.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Deserialize(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    /// <summary>Writes one node ("journey state") as a JSON object, as the HTTP API adds or replaces it.</summary>
    /// <param name="node">The node.</param>
    /// <param name="indented">True to indent.</param>
    /// <returns>The JSON text.</returns>
    public static string SerializeNode(JourneyNode node, bool indented = false) =>
        WriteString(DocumentWriter.Write(node), JourneyJsonContext.Default.NodeDocument, indented);

    /// <summary>Reads one node from a JSON object (no <c>schemaVersion</c>: it is a part of a journey document).</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The node.</returns>
    /// <exception cref="JourneyJsonException">The text is not JSON or not a valid node.</exception>
    public static JourneyNode DeserializeNode(string json) => DeserializeNode(Utf8(json));

    /// <summary>Reads one node from UTF-8 JSON.</summary>
    /// <param name="utf8Json">The UTF-8 bytes.</param>
    /// <returns>The node.</returns>
    /// <exception cref="JourneyJsonException">The document is not JSON or not a valid node.</exception>
    public static JourneyNode DeserializeNode(ReadOnlySpan<byte> utf8Json) =>
        DocumentReader.ReadNode(DocumentReader.Root(Parse(SkipBom(utf8Json), JourneyJsonContext.Default.NodeDocument, DocumentReader.NodeTypes)), "$");

    /// <summary>Writes one condition as a JSON object.</summary>
    /// <param name="condition">The condition.</param>
    /// <param name="indented">True to indent.</param>
    /// <returns>The JSON text.</returns>
    public static string SerializeCondition(Condition condition, bool indented = false) =>
        WriteString(DocumentWriter.Write(condition), JourneyJsonContext.Default.ConditionDocument, indented);

    /// <summary>Reads one condition from a JSON object.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The condition.</returns>
    /// <exception cref="JourneyJsonException">The text is not JSON or not a valid condition.</exception>
    public static Condition DeserializeCondition(string json) => DeserializeCondition(Utf8(json));

    /// <summary>Reads one condition from UTF-8 JSON.</summary>
    /// <param name="utf8Json">The UTF-8 bytes.</param>
    /// <returns>The condition.</returns>
    /// <exception cref="JourneyJsonException">The document is not JSON or not a valid condition.</exception>
    public static Condition DeserializeCondition(ReadOnlySpan<byte> utf8Json) =>
        DocumentReader.ReadCondition(DocumentReader.Root(Parse(SkipBom(utf8Json), JourneyJsonContext.Default.ConditionDocument, DocumentReader.ConditionTypes)), "$");

    private static byte[] Utf8(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Encoding.UTF8.GetBytes(json);
    }

    private static ReadOnlySpan<byte> SkipBom(ReadOnlySpan<byte> utf8Json) =>
        utf8Json.StartsWith("\uFEFF"u8) ? utf8Json[3..] : utf8Json;

    private static T? Parse<T>(ReadOnlySpan<byte> utf8Json, JsonTypeInfo<T> typeInfo, string rootTypes = "")
    {
        try
        {
            return JsonSerializer.Deserialize(utf8Json, typeInfo);
        }
        catch (JsonException ex)
        {
            throw JsonErrors.From(ex, rootTypes);
        }
        catch (NotSupportedException ex)
        {
            // Not expected with these documents; still, a caller only ever sees the documented exception.
            throw new JourneyJsonException("$", ex.Message, null, ex);
        }
    }

    /// <summary>
    /// Checks the top-level <c>schemaVersion</c> before the full read, so that a document of another version is
    /// refused for its version rather than for the first property this version does not know.
    /// </summary>
    private static void CheckSchemaVersionFirst(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("schemaVersion"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var version))
                    {
                        DocumentReader.CheckSchemaVersion(version);
                    }

                    // Any other kind of value is reported by the full read, with its line.
                    return;
                }

                reader.Skip();
            }

            if (reader.TokenType == JsonTokenType.EndObject)
            {
                DocumentReader.CheckSchemaVersion(null);
            }
        }
        catch (JsonException)
        {
            // Malformed JSON: the full read reports it with its path and line.
        }
    }

    private static ReadOnlyMemory<byte> WriteBytes<T>(T document, JsonTypeInfo<T> typeInfo, bool indented)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, indented ? IndentedWriter : CompactWriter))
        {
            JsonSerializer.Serialize(writer, document, typeInfo);
        }

        return buffer.WrittenMemory;
    }

    private static string WriteString<T>(T document, JsonTypeInfo<T> typeInfo, bool indented) =>
        Encoding.UTF8.GetString(WriteBytes(document, typeInfo, indented).Span);
}
