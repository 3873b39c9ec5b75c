using Journeys.Model;
using Journeys.Serialization.Documents;

namespace Journeys.Serialization;

internal static partial class DocumentReader
{
    public static CustomerFieldSchema ReadSchema(SchemaDocument? document)
    {
        var d = Root(document);
        CheckSchemaVersion(d.SchemaVersion);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var fields = ReadList(Required(d.Fields, "$", "fields"), "$.fields", (f, p) =>
        {
            var name = Required(f.Name, p, "name");
            var type = Required(f.Type, p, "type");
            if (!CustomerFieldSchema.IsValidFieldName(name))
            {
                throw new JourneyJsonException(p + ".name", $"Field name '{name}' is invalid: use letters, digits, '_', '-' or '.', starting with a letter, at most 128 characters.", null);
            }

            if (!seen.Add(name))
            {
                throw new JourneyJsonException(p + ".name", $"Field '{name}' is defined twice (field names are case-insensitive).", null);
            }

            if (!f.Default.IsNull && f.Default.Type != type)
            {
                throw new JourneyJsonException(p + ".default", $"Field '{name}' is {type} but its default value is {f.Default.Type}.", null);
            }

            return new FieldDefinition(name, type, f.Default);
        });

        return Model("$.fields", () => CustomerFieldSchema.Create(fields));
    }

    public static Campaign ReadCampaign(CampaignDocument d, string path)
    {
        var id = Required(d.Id, path, "id");
        var channel = Required(d.Channel, path, "channel");
        var template = Required(d.Template, path, "template");
        return Model(path + ".template", () => new Campaign(id, channel, template));
    }

    public static IReadOnlyList<Campaign> ReadCampaigns(CampaignListDocument? document)
    {
        var d = Root(document);
        CheckSchemaVersion(d.SchemaVersion);
        return ReadList(Required(d.Campaigns, "$", "campaigns"), "$.campaigns", ReadCampaign).AsImmutableArray();
    }

    // The model's own checks (ArgumentException) become errors at the path of what they checked.
    private static T Model<T>(string path, Func<T> create)
    {
        try
        {
            return create();
        }
        catch (ArgumentException ex)
        {
            var message = ex.ParamName is null ? ex.Message : ex.Message.Replace($" (Parameter '{ex.ParamName}')", string.Empty, StringComparison.Ordinal);
            throw new JourneyJsonException(path, message, null, ex);
        }
    }
}
