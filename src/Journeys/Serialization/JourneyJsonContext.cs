using System.Text.Json.Serialization;
using Journeys.Serialization.Converters;
using Journeys.Serialization.Documents;

namespace Journeys.Serialization;

/// <summary>The source-generated serializer metadata of the document types (no runtime reflection: trimming and AOT safe).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    AllowOutOfOrderMetadataProperties = true,
    AllowDuplicateProperties = false,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict,
    Converters =
    [
        typeof(DurationConverter),
        typeof(DateTimeConverter),
        typeof(TimeOfDayConverter),
        typeof(ChannelConverter),
        typeof(FieldValueConverter),
        typeof(JourneyStatusConverter),
        typeof(ReEntryModeConverter),
        typeof(DatePartConverter),
        typeof(ComparisonOperatorConverter),
        typeof(FieldTypeConverter),
    ])]
[JsonSerializable(typeof(JourneyDocument))]
[JsonSerializable(typeof(NodeDocument))]
[JsonSerializable(typeof(ConditionDocument))]
[JsonSerializable(typeof(SchemaDocument))]
[JsonSerializable(typeof(CampaignDocument))]
[JsonSerializable(typeof(CampaignListDocument))]
internal sealed partial class JourneyJsonContext : JsonSerializerContext;
