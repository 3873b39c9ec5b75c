using System.Globalization;
using System.Text.Json;
using Journeys.Model;
using Journeys.Serialization.Converters;

namespace Journeys.Serialization.StateDocuments;

/// <summary>Checked access to the parts of a state document, each failure a <see cref="JourneyJsonException"/> naming the path (and state).</summary>
internal static class StateJson
{
    public static JourneyJsonException Error(string path, string problem, string? stateId = null) =>
        new(path, stateId is null ? problem : $"State '{stateId}': {problem}", null);

    public static void Object(JsonElement element, string path, string? stateId, params string[] allowed)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Error(path, $"Expected an object, found {Kind(element)}.", stateId);
        }

        foreach (var property in element.EnumerateObject())
        {
            if (System.Array.IndexOf(allowed, property.Name) < 0)
            {
                throw Error(
                    $"{path}.{property.Name}",
                    allowed.Length == 0 ? $"Unknown property '{property.Name}'; this object takes none." : $"Unknown property '{property.Name}'; expected one of: {string.Join(", ", allowed)}.",
                    stateId);
            }
        }
    }

    /// <summary>
    /// Refuses a string or property name that is not valid text: the parser accepts an escaped lone surrogate
    /// (<c>"\uD800"</c>), and reading it later would throw <see cref="InvalidOperationException"/> instead of naming where it is.
    /// </summary>
    public static void CheckStrings(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        throw Error(path, "A property name has an unpaired surrogate escape (such as \\uD800 without its pair); it is not valid text.");
                    }

                    CheckStrings(property.Value, $"{path}.{name}");
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    CheckStrings(item, string.Create(CultureInfo.InvariantCulture, $"{path}[{index++}]"));
                }

                break;
            case JsonValueKind.String:
                try
                {
                    _ = element.GetString();
                }
                catch (InvalidOperationException)
                {
                    throw Error(path, "The string has an unpaired surrogate escape (such as \\uD800 without its pair); it is not valid text.");
                }

                break;
        }
    }

    public static JsonElement? Optional(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    public static JsonElement Required(JsonElement element, string name, string path, string? stateId) =>
        Optional(element, name) ?? throw Error($"{path}.{name}", $"'{name}' is required.", stateId);

    public static string RequiredString(JsonElement element, string name, string path, string? stateId)
    {
        var value = Required(element, name, path, stateId);
        return value.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(value.GetString())
            ? value.GetString()!
            : throw Error($"{path}.{name}", $"Expected a non-empty string, found {Kind(value)}.", stateId);
    }

    public static string? OptionalString(JsonElement element, string name, string path, string? stateId) =>
        Optional(element, name) is { } value
            ? value.ValueKind == JsonValueKind.String ? value.GetString() : throw Error($"{path}.{name}", $"Expected a string, found {Kind(value)}.", stateId)
            : null;

    public static bool RequiredBoolean(JsonElement element, string name, string path, string? stateId)
    {
        var value = Required(element, name, path, stateId);
        return value.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? value.GetBoolean()
            : throw Error($"{path}.{name}", $"Expected true or false, found {Kind(value)}.", stateId);
    }

    public static JsonElement.ArrayEnumerator Array(JsonElement element, string name, string path, string? stateId)
    {
        var value = Required(element, name, path, stateId);
        return value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray()
            : throw Error($"{path}.{name}", $"Expected an array, found {Kind(value)}.", stateId);
    }

    public static TimeSpan Duration(JsonElement element, string name, string path, string? stateId)
    {
        var text = RequiredString(element, name, path, stateId);
        return IsoDuration.TryParse(text, out var value, out var error)
            ? value
            : throw Error($"{path}.{name}", error, stateId);
    }

    public static FieldValue Scalar(JsonElement value, string path, string? stateId) => value.ValueKind switch
    {
        JsonValueKind.String => FieldValue.FromString(value.GetString()),
        JsonValueKind.Number when value.TryGetDouble(out var number) && double.IsFinite(number) => FieldValue.FromNumber(number),
        JsonValueKind.True => FieldValue.FromBoolean(true),
        JsonValueKind.False => FieldValue.FromBoolean(false),
        _ => throw Error(path, $"Expected a string, a finite number or a boolean, found {Kind(value)}.", stateId),
    };

    public static string Kind(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => string.Create(CultureInfo.InvariantCulture, $"the string \"{element.GetString()}\""),
        JsonValueKind.Number => $"the number {element.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => element.GetRawText(),
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
