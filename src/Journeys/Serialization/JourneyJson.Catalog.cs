using System.Text.Json;
using Journeys.Model;

namespace Journeys.Serialization;

public static partial class JourneyJson
{
    /// <summary>Writes a customer field schema as a JSON document: <c>{"schemaVersion": 1, "fields": [...]}</c>.</summary>
    /// <param name="schema">The schema.</param>
    /// <param name="indented">True to indent.</param>
    /// <returns>The JSON text.</returns>
    public static string SerializeSchema(CustomerFieldSchema schema, bool indented = false) =>
        WriteString(DocumentWriter.Write(schema), JourneyJsonContext.Default.SchemaDocument, indented);

    /// <summary>Reads a customer field schema document.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The schema.</returns>
    /// <exception cref="JourneyJsonException">The text is not a valid schema document (including invalid or repeated field names).</exception>
    public static CustomerFieldSchema DeserializeSchema(string json) => DeserializeSchema(Utf8(json));

    /// <summary>Reads a customer field schema document from UTF-8 JSON.</summary>
    /// <param name="utf8Json">The UTF-8 bytes.</param>
    /// <returns>The schema.</returns>
    /// <exception cref="JourneyJsonException">The document is not a valid schema document.</exception>
    public static CustomerFieldSchema DeserializeSchema(ReadOnlySpan<byte> utf8Json)
    {
        utf8Json = SkipBom(utf8Json);
        CheckSchemaVersionFirst(utf8Json);
        return DocumentReader.ReadSchema(Parse(utf8Json, JourneyJsonContext.Default.SchemaDocument));
    }

    /// <summary>Writes one campaign as a JSON object: <c>{"id", "channel", "template"}</c>.</summary>
    /// <param name="campaign">The campaign.</param>
    /// <param name="indented">True to indent.</param>
    /// <returns>The JSON text.</returns>
    public static string SerializeCampaign(Campaign campaign, bool indented = false) =>
        WriteString(DocumentWriter.Write(campaign), JourneyJsonContext.Default.CampaignDocument, indented);

    /// <summary>Reads one campaign from a JSON object.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The campaign.</returns>
    /// <exception cref="JourneyJsonException">The text is not a valid campaign (including a malformed template).</exception>
    public static Campaign DeserializeCampaign(string json) =>
        DocumentReader.ReadCampaign(DocumentReader.Root(Parse(SkipBom(Utf8(json)), JourneyJsonContext.Default.CampaignDocument)), "$");

    /// <summary>Writes campaigns as a JSON document: <c>{"schemaVersion": 1, "campaigns": [...]}</c>.</summary>
    /// <param name="campaigns">The campaigns, written in order.</param>
    /// <param name="indented">True to indent.</param>
    /// <returns>The JSON text.</returns>
    public static string SerializeCampaigns(IEnumerable<Campaign> campaigns, bool indented = false) =>
        WriteString(DocumentWriter.Write(campaigns), JourneyJsonContext.Default.CampaignListDocument, indented);

    /// <summary>Reads a campaign list document; pass the result to <see cref="CampaignCatalog.Create"/> for a catalog.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The campaigns, in document order.</returns>
    /// <exception cref="JourneyJsonException">The text is not a valid campaign list document.</exception>
    public static IReadOnlyList<Campaign> DeserializeCampaigns(string json)
    {
        var utf8Json = SkipBom(Utf8(json));
        CheckSchemaVersionFirst(utf8Json);
        return DocumentReader.ReadCampaigns(Parse(utf8Json, JourneyJsonContext.Default.CampaignListDocument));
    }
}
