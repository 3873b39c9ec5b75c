using System.Text.Json;
using System.Text.Json.Serialization;

namespace Journeys.Serialization.Converters;

/// <summary>
/// Reads and writes an enum as one of a fixed set of names (case-sensitive); numbers and other names are refused
/// with a message that lists the allowed names. No reflection, so it is trimming and AOT safe.
/// </summary>
/// <typeparam name="T">The enum.</typeparam>
internal abstract class EnumNameConverter<T> : JsonConverter<T>
    where T : struct, Enum
{
    private readonly (T Value, string Name)[] _names;
    private readonly string _what;

    protected EnumNameConverter(string what, params (T Value, string Name)[] names)
    {
        _what = what;
        _names = names;
        AllowedNames = string.Join(", ", names.Select(static n => n.Name));
    }

    public string AllowedNames { get; }

    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"A {_what} must be a string, one of: {AllowedNames}; not {JsonTokens.Describe(reader.TokenType)}.");
        }

        foreach (var (value, name) in _names)
        {
            if (reader.ValueTextEquals(name))
            {
                return value;
            }
        }

        throw new JsonException($"'{reader.GetString()}' is not a {_what}; expected one of: {AllowedNames}.");
    }

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
    {
        foreach (var (candidate, name) in _names)
        {
            if (EqualityComparer<T>.Default.Equals(candidate, value))
            {
                writer.WriteStringValue(name);
                return;
            }
        }

        throw new JsonException($"{value} is not a defined {_what}.");
    }
}
