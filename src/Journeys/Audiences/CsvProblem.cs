namespace Journeys.Audiences;

/// <summary>One problem found in a CSV file.</summary>
/// <param name="Line">The 1-based line of the file where the row starts (the header is line 1, lines inside quoted fields count), or 0 when it concerns the file.</param>
/// <param name="Column">The column header concerned, or <see langword="null"/> when the problem is the row (or the file).</param>
/// <param name="Message">What is wrong, in a sentence.</param>
public sealed record CsvProblem(long Line, string? Column, string Message)
{
    /// <summary>One line: "line 7, column 'age': ...".</summary>
    public override string ToString() => (Line, Column) switch
    {
        (0, null) => Message,
        (0, { } c) => FormattableString.Invariant($"column '{c}': {Message}"),
        (_, null) => FormattableString.Invariant($"line {Line}: {Message}"),
        _ => FormattableString.Invariant($"line {Line}, column '{Column}': {Message}"),
    };
}
