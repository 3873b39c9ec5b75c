using Journeys.Model;

namespace Journeys.Serialization.Converters;

/// <summary>Reads and writes <see cref="FieldType"/> as <c>string</c>, <c>number</c>, <c>boolean</c>, <c>dateTime</c>, <c>stringList</c>.</summary>
internal sealed class FieldTypeConverter() : EnumNameConverter<FieldType>(
        "field type",
        (FieldType.String, "string"),
        (FieldType.Number, "number"),
        (FieldType.Boolean, "boolean"),
        (FieldType.DateTime, "dateTime"),
        (FieldType.StringList, "stringList"));
