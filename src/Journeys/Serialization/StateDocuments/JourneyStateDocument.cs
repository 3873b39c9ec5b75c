using System.Text;
using Journeys.Model;

namespace Journeys.Serialization.StateDocuments;

/// <summary>
/// Reads and writes journeys in the vendor's journey-state format: <c>{ "id", "name", "states": [{ "id", "type",
/// "params" }] }</c>, where each state's <c>params.forward</c> (or a nested <c>forward</c>) names the next state
/// (see <c>docs/state-documents.md</c>). Reading gives a draft journey to validate and run like any other; writing
/// gives back the states of a journey whose nodes and conditions the format can express.
/// </summary>
public static class JourneyStateDocument
{
    /// <summary>The segment membership field: <c>IN_SEGMENT</c> reads as "the customer's <c>segments</c> list holds one of these ids".</summary>
    public const string SegmentsField = "segments";

    /// <summary>The id given to the entry state when a journey is written (the model keeps no id for its entry).</summary>
    public const string EntryStateId = "entry";

    /// <summary>Reads a journey from a state document.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The journey, a draft (version 1).</returns>
    /// <exception cref="JourneyJsonException">The text is not JSON, or a state is unknown or malformed; the exception names the state id and JSON path.</exception>
    public static JourneyDefinition Read(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Read(Encoding.UTF8.GetBytes(json));
    }

    /// <summary>Reads a journey from a UTF-8 state document.</summary>
    /// <param name="utf8Json">The UTF-8 bytes (a byte order mark is allowed).</param>
    /// <returns>The journey, a draft (version 1).</returns>
    /// <exception cref="JourneyJsonException">The document is not JSON, or a state is unknown or malformed; the exception names the state id and JSON path.</exception>
    public static JourneyDefinition Read(ReadOnlySpan<byte> utf8Json) => StateDocumentReader.Read(utf8Json);

    /// <summary>Writes a journey as a state document.</summary>
    /// <param name="journey">The journey.</param>
    /// <param name="indented">True to indent with two spaces.</param>
    /// <returns>The JSON text.</returns>
    /// <exception cref="JourneyStateExportException">A node or condition has no form in the state format (the exception names it).</exception>
    public static string Write(JourneyDefinition journey, bool indented = false) => Encoding.UTF8.GetString(WriteUtf8(journey, indented));

    /// <summary>Writes a journey as a UTF-8 state document.</summary>
    /// <param name="journey">The journey.</param>
    /// <param name="indented">True to indent with two spaces.</param>
    /// <returns>The UTF-8 bytes.</returns>
    /// <exception cref="JourneyStateExportException">A node or condition has no form in the state format (the exception names it).</exception>
    public static byte[] WriteUtf8(JourneyDefinition journey, bool indented = false) => StateDocumentWriter.Write(journey, indented);
}
