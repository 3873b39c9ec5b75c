using System.Text.Json;

namespace Journeys.Serialization;

/// <summary>Turns the serializer's exceptions into <see cref="JourneyJsonException"/>s with a path and a plain message.</summary>
internal static class JsonErrors
{
    public static JourneyJsonException From(JsonException ex, string rootTypes)
    {
        var path = string.IsNullOrEmpty(ex.Path) ? "$" : ex.Path;
        long? line = ex.LineNumber is { } zeroBased ? zeroBased + 1 : null;
        var problem = StripLocation(ex.Message);

        if (ReservedProperty(path) is { } reserved)
        {
            path = reserved;
            problem = $"Unknown property '{path[(path.LastIndexOf('.') + 1)..]}' (names starting with '$' are reserved).";
        }
        else if (TryBetween(problem, "The JSON property '", "' could not be mapped", out var property))
        {
            path = path.EndsWith("." + property, StringComparison.Ordinal) ? path : $"{path}.{property}";
            problem = $"Unknown property '{property}'.";
        }
        else if (TryBetween(problem, "Read unrecognized type discriminator id '", "'", out var type))
        {
            path = path.EndsWith(".type", StringComparison.Ordinal) ? path[..^5] : path;
            problem = $"Unknown type '{type}'; expected one of: {AllowedTypes(path, rootTypes)}.";
            path += ".type";
        }
        else if (problem.Contains("type discriminator", StringComparison.Ordinal) || problem.Contains("metadata propert", StringComparison.Ordinal))
        {
            path = path.EndsWith(".type", StringComparison.Ordinal) ? path : path + ".type";
            problem = "The 'type' property must be a string naming the kind of object, given once.";
        }
        else if (problem.IndexOf("could not be converted to ", StringComparison.Ordinal) is >= 0 and var at)
        {
            var clrType = problem[(at + "could not be converted to ".Length)..].TrimEnd('.');
            problem = $"The value must be {Describe(clrType)}.";
        }
        else if (problem.Contains("Expected depth to be zero", StringComparison.Ordinal))
        {
            problem = "The document ends before every object and array is closed: it is truncated.";
        }
        else if (problem.Contains("does not contain any JSON tokens", StringComparison.Ordinal))
        {
            problem = "The document is empty.";
        }
        else if (problem.Contains("Duplicate", StringComparison.OrdinalIgnoreCase) && problem.Contains("property", StringComparison.Ordinal))
        {
            problem = "The property is given twice.";
        }

        return new JourneyJsonException(path, problem, line, ex);
    }

    // STJ reserves "$id", "$ref", "$type"... in polymorphic objects; it reports them at a path such as "$.nodes[0].$id.type".
    private static string? ReservedProperty(string path)
    {
        var at = path.IndexOf(".$", StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var end = path.IndexOfAny(['.', '['], at + 2);
        return end < 0 ? path : path[..end];
    }

    private static string AllowedTypes(string path, string rootTypes)
    {
        if (path == "$")
        {
            return rootTypes;
        }

        var last = path[(path.LastIndexOf('.') + 1)..];
        var bracket = last.IndexOf('[', StringComparison.Ordinal);
        if (bracket >= 0)
        {
            last = last[..bracket];
        }

        return last switch
        {
            "nodes" => DocumentReader.NodeTypes,
            "entry" => DocumentReader.EntryTypes,
            "delay" => DocumentReader.DelayTypes,
            _ => DocumentReader.ConditionTypes,
        };
    }

    private static string Describe(string clrType) => clrType switch
    {
        _ when clrType.Contains("System.Int32", StringComparison.Ordinal) => "a whole number (in the 32-bit range)",
        _ when clrType.Contains("System.Double", StringComparison.Ordinal) => "a finite number",
        _ when clrType.Contains("System.Boolean", StringComparison.Ordinal) => "true or false",
        _ when clrType.Contains("System.String", StringComparison.Ordinal) && !clrType.Contains("List", StringComparison.Ordinal) => "a string",
        _ when clrType.Contains("List", StringComparison.Ordinal) => "an array",
        _ when clrType.Contains("Document", StringComparison.Ordinal) => "an object",
        _ => clrType,
    };

    // The serializer appends " Path: $.x | LineNumber: 0 | BytePositionInLine: 5."; the exception carries those already.
    private static string StripLocation(string message)
    {
        var at = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (at < 0)
        {
            at = message.IndexOf(" LineNumber: ", StringComparison.Ordinal);
        }

        return at < 0 ? message : message[..at];
    }

    private static bool TryBetween(string text, string before, string after, out string value)
    {
        var start = text.IndexOf(before, StringComparison.Ordinal);
        if (start >= 0)
        {
            start += before.Length;
            var end = text.IndexOf(after, start, StringComparison.Ordinal);
            if (end > start)
            {
                value = text[start..end];
                return true;
            }
        }

        value = string.Empty;
        return false;
    }
}
