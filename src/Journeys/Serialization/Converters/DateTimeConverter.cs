using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Journeys.Serialization.Converters;

/// <summary>
/// Reads and writes a <see cref="DateTimeOffset"/> as ISO 8601 with an explicit offset (<c>2026-01-01T09:00:00Z</c>,
/// <c>2026-01-01T09:00:00+02:00</c>); a value without an offset is refused rather than read in the machine's time zone.
/// </summary>
internal sealed class DateTimeConverter : JsonConverter<DateTimeOffset>
{
    private static readonly string[] Formats = ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mmK"];

    public static string Format(DateTimeOffset value) => value.Offset == TimeSpan.Zero
        ? value.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture)
        : value.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture);

    public static bool TryParse(string text, out DateTimeOffset value, out string error)
    {
        if (HasOffset(text) && !HasEmptyFraction(text) &&
            DateTimeOffset.TryParseExact(text, Formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out value))
        {
            error = string.Empty;
            return true;
        }

        value = default;
        error = $"'{text}' is not an ISO 8601 date-time with an offset; write one such as '2026-01-01T09:00:00Z' or '2026-01-01T09:00:00+02:00'.";
        return false;
    }

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"A date-time must be an ISO 8601 string such as '2026-01-01T09:00:00Z', not {JsonTokens.Describe(reader.TokenType)}.");
        }

        var text = reader.GetString()!;
        return TryParse(text, out var value, out var error) ? value : throw new JsonException(error);
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(Format(value));

    /// <summary>
    /// A '.' with no digit after it ("09:00:00.Z"): the optional fraction of the formats (<c>.FFFFFFF</c>) matches a bare
    /// dot, which ISO 8601 does not allow.
    /// </summary>
    internal static bool HasEmptyFraction(string text)
    {
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        return dot >= 0 && (dot + 1 == text.Length || !char.IsAsciiDigit(text[dot + 1]));
    }

    private static bool HasOffset(string text) =>
        text.EndsWith('Z') || (text.Length > 6 && text[^6] is '+' or '-' && text[^3] == ':');
}
