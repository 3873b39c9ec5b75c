using System.Globalization;
using System.Text.Json;
using Journeys.Model;

namespace Journeys.Audiences;

/// <summary>Converts raw input values (CLR values, JSON elements, CSV text) to typed <see cref="FieldValue"/>s.</summary>
internal static class FieldValueConversion
{
    /// <summary>The ISO 8601 forms accepted by default ('K' takes Z, an offset, or nothing: then UTC).</summary>
    internal static readonly string[] IsoFormats =
    [
        "yyyy-MM-dd",
        "yyyy-MM-ddTHH:mmK",
        "yyyy-MM-ddTHH:mm:ssK",
        "yyyy-MM-ddTHH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd HH:mmK",
        "yyyy-MM-dd HH:mm:ssK",
        "yyyy-MM-dd HH:mm:ss.FFFFFFFK",
    ];

    private const DateTimeStyles DateStyles = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;

    /// <summary>Parses a date-time in one of <paramref name="formats"/> (ISO 8601 when null).</summary>
    internal static bool TryParseDate(ReadOnlySpan<char> text, string[]? formats, IFormatProvider provider, out DateTimeOffset value) =>
        DateTimeOffset.TryParseExact(text.Trim(), formats ?? IsoFormats, provider, DateStyles, out value);

    /// <summary>Converts a raw value to a value of <paramref name="type"/>; false with a reason when it cannot.</summary>
    internal static bool TryConvert(object? raw, FieldType type, out FieldValue value, out string? error)
    {
        value = FieldValue.Null;
        error = null;
        switch (raw)
        {
            case null:
                return true;
            case FieldValue field:
                if (field.IsNull || field.Type == type)
                {
                    value = field;
                    return true;
                }

                return Fail(type, field.Type.ToString()!, out error);
            case JsonElement json:
                return TryConvertJson(json, type, out value, out error);
            case string text when type == FieldType.String:
                value = FieldValue.FromString(text);
                return true;
            case string text when type == FieldType.DateTime:
                if (TryParseDate(text, null, CultureInfo.InvariantCulture, out var parsed))
                {
                    value = FieldValue.FromDateTime(parsed);
                    return true;
                }

                error = "expects a DateTime; the text is not an ISO 8601 date-time (such as 2024-05-01 or 2024-05-01T10:30:00Z)";
                return false;
            case bool flag when type == FieldType.Boolean:
                value = FieldValue.FromBoolean(flag);
                return true;
            case DateTimeOffset instant when type == FieldType.DateTime:
                value = FieldValue.FromDateTime(instant);
                return true;
            case DateTime dateTime when type == FieldType.DateTime:
                value = FieldValue.FromDateTime(dateTime.Kind == DateTimeKind.Unspecified
                    ? new DateTimeOffset(dateTime, TimeSpan.Zero)
                    : new DateTimeOffset(dateTime.ToUniversalTime(), TimeSpan.Zero));
                return true;
            case IEnumerable<string> items when type == FieldType.StringList:
                if (items.Any(static i => i is null))
                {
                    error = "expects a StringList; an item of the list is null";
                    return false;
                }

                value = FieldValue.FromStringList(items);
                return true;
            default:
                if (type == FieldType.Number && TryNumber(raw, out var number))
                {
                    if (!double.IsFinite(number))
                    {
                        error = "expects a Number; NaN and infinities are not allowed";
                        return false;
                    }

                    value = FieldValue.FromNumber(number);
                    return true;
                }

                return Fail(type, Describe(raw), out error);
        }
    }

    /// <summary>The text a value of an unknown field is stored as, when unknown fields are added as strings.</summary>
    internal static bool TryConvertToText(object? raw, out FieldValue value, out string? error)
    {
        error = null;
        value = FieldValue.Null;
        if (raw is JsonElement json)
        {
            raw = json.ValueKind switch
            {
                JsonValueKind.Null or JsonValueKind.Undefined => null,
                JsonValueKind.String => json.GetString(),
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.Number => json.GetRawText(),
                _ => json,
            };
        }

        switch (raw)
        {
            case null:
                return true;
            case string text:
                value = FieldValue.FromString(text);
                return true;
            case bool flag:
                value = FieldValue.FromString(flag ? "true" : "false");
                return true;
            case DateTimeOffset instant:
                value = FieldValue.FromString(instant.ToString("O", CultureInfo.InvariantCulture));
                return true;
            case DateTime dateTime:
                // As for a DateTime field: Unspecified kind is UTC.
                var utc = dateTime.Kind == DateTimeKind.Unspecified ? new DateTimeOffset(dateTime, TimeSpan.Zero) : new DateTimeOffset(dateTime.ToUniversalTime(), TimeSpan.Zero);
                value = FieldValue.FromString(utc.ToString("O", CultureInfo.InvariantCulture));
                return true;
            case FieldValue { Type: not FieldType.StringList } field:
                value = field.IsNull ? FieldValue.Null : FieldValue.FromString(field.ToString());
                return true;
            default:
                if (TryNumber(raw, out var number))
                {
                    value = FieldValue.FromString(number.ToString("R", CultureInfo.InvariantCulture));
                    return true;
                }

                error = $"is not in the schema and its value ({Describe(raw)}) cannot be stored as a String field";
                return false;
        }
    }

    private static bool TryConvertJson(JsonElement json, FieldType type, out FieldValue value, out string? error)
    {
        value = FieldValue.Null;
        error = null;
        switch (json.ValueKind)
        {
            case JsonValueKind.Null or JsonValueKind.Undefined:
                return true;
            case JsonValueKind.String when type is FieldType.String or FieldType.DateTime:
                return TryConvert(json.GetString(), type, out value, out error);
            case JsonValueKind.Number when type == FieldType.Number:
                if (json.TryGetDouble(out var number) && double.IsFinite(number))
                {
                    value = FieldValue.FromNumber(number);
                    return true;
                }

                error = "expects a Number; the JSON number is out of range";
                return false;
            case JsonValueKind.True or JsonValueKind.False when type == FieldType.Boolean:
                value = FieldValue.FromBoolean(json.GetBoolean());
                return true;
            case JsonValueKind.Array when type == FieldType.StringList:
                var items = new List<string>(json.GetArrayLength());
                foreach (var item in json.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String)
                    {
                        error = $"expects a StringList; the array holds a JSON {Kind(item.ValueKind)}";
                        return false;
                    }

                    items.Add(item.GetString()!);
                }

                value = FieldValue.FromStringList(items);
                return true;
            default:
                return Fail(type, $"a JSON {Kind(json.ValueKind)}", out error);
        }
    }

    private static string Kind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => kind.ToString().ToLowerInvariant(),
    };

    private static bool TryNumber(object? raw, out double number)
    {
        switch (raw)
        {
            case double d: number = d; return true;
            case float f: number = f; return true;
            case int i: number = i; return true;
            case long l: number = l; return true;
            case decimal m: number = (double)m; return true;
            case short s: number = s; return true;
            case byte b: number = b; return true;
            case sbyte sb: number = sb; return true;
            case ushort us: number = us; return true;
            case uint ui: number = ui; return true;
            case ulong ul: number = ul; return true;
            default: number = 0; return false;
        }
    }

    private static string Describe(object? raw) => raw switch
    {
        null => "null",
        string => "a string",
        bool => "a boolean",
        DateTimeOffset or DateTime => "a date-time",
        IEnumerable<string> => "a list of strings",
        JsonElement json => $"a JSON {Kind(json.ValueKind)}",
        _ when TryNumber(raw, out _) => "a number",
        _ => $"a {raw.GetType().Name}",
    };

    private static bool Fail(FieldType type, string got, out string error)
    {
        error = $"expects a {type}; got {got}";
        return false;
    }
}
