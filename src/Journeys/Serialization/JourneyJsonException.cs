namespace Journeys.Serialization;

/// <summary>
/// A journey, schema, campaign, node or condition JSON document could not be read: it is not JSON, does not follow
/// the format, or describes something the model refuses. <see cref="Path"/> says where.
/// </summary>
public sealed class JourneyJsonException : Exception
{
    /// <summary>Creates an exception about the whole document.</summary>
    public JourneyJsonException()
        : this("The JSON document is invalid.")
    {
    }

    /// <summary>Creates an exception about the whole document.</summary>
    /// <param name="message">What was wrong.</param>
    public JourneyJsonException(string message)
        : this(message, null)
    {
    }

    /// <summary>Creates an exception about the whole document.</summary>
    /// <param name="message">What was wrong.</param>
    /// <param name="innerException">The cause.</param>
    public JourneyJsonException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Path = "$";
        Problem = message;
    }

    /// <summary>Creates an exception about one place in the document.</summary>
    /// <param name="path">The JSON path, such as <c>$.nodes[2].type</c>.</param>
    /// <param name="problem">What was wrong there.</param>
    /// <param name="lineNumber">The one-based line number, when known.</param>
    /// <param name="innerException">The cause.</param>
    public JourneyJsonException(string path, string problem, long? lineNumber, Exception? innerException = null)
        : base(FormatMessage(path, problem, lineNumber), innerException)
    {
        Path = path;
        Problem = problem;
        LineNumber = lineNumber;
    }

    /// <summary>The JSON path of the offending value, such as <c>$.nodes[2].branches[0].condition.op</c>; <c>$</c> for the whole document.</summary>
    public string Path { get; }

    /// <summary>What was wrong, without the path and line.</summary>
    public string Problem { get; }

    /// <summary>The one-based line of the document where the problem was found, when the JSON reader reported one.</summary>
    public long? LineNumber { get; }

    private static string FormatMessage(string path, string problem, long? lineNumber) =>
        lineNumber is { } line ? $"Invalid JSON at {path} (line {line}): {problem}" : $"Invalid JSON at {path}: {problem}";
}
