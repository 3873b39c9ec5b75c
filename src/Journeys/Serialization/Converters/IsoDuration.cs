using System.Xml;

namespace Journeys.Serialization.Converters;

/// <summary>ISO 8601 durations (xs:duration) without the year and month designators, whose lengths vary.</summary>
internal static class IsoDuration
{
    public static string Format(TimeSpan value) => XmlConvert.ToString(value);

    public static bool TryParse(string text, out TimeSpan value, out string error)
    {
        value = default;
        var start = text.StartsWith('-') ? 1 : 0;
        if (text.Length <= start + 1 || text[start] != 'P' || text.AsSpan().Trim().Length != text.Length)
        {
            error = $"'{text}' is not an ISO 8601 duration; write one such as 'PT30M', 'PT1H', 'P7D' or '-P3D'.";
            return false;
        }

        if (DateTimeConverter.HasEmptyFraction(text))
        {
            // XmlConvert reads "PT1.S" as one second; ISO 8601 wants a digit after the decimal sign.
            error = $"'{text}' is not an ISO 8601 duration: its '.' has no digits after it; write one such as 'PT1.5S' or 'PT1S'.";
            return false;
        }

        var timeDesignator = text.IndexOf('T', StringComparison.Ordinal);
        var datePart = timeDesignator < 0 ? text.AsSpan() : text.AsSpan(0, timeDesignator);
        if (datePart.IndexOfAny('Y', 'M') >= 0)
        {
            error = $"'{text}' uses years or months, which have no fixed length; write days instead, such as 'P30D'.";
            return false;
        }

        try
        {
            value = XmlConvert.ToTimeSpan(text);
            error = string.Empty;
            return true;
        }
        catch (Exception ex) when (ex is FormatException or OverflowException)
        {
            error = $"'{text}' is not a valid ISO 8601 duration (or is too long); write one such as 'PT30M', 'PT1H', 'P7D' or '-P3D'.";
            return false;
        }
    }
}
