using System.Globalization;
using System.Text;

namespace Journeys.Audiences;

/// <summary>
/// A CSV file was refused and nothing was written. <see cref="Problems"/> lists the first problems (at most
/// <see cref="CsvImportOptions.MaxReportedProblems"/>, in file order) and <see cref="ProblemCount"/> counts them all.
/// Messages may name customer ids: log them at Debug level only.
/// </summary>
public sealed class CsvImportException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="problems">The problems reported (at least one).</param>
    /// <param name="problemCount">How many problems there are in all (at least <paramref name="problems"/>' count).</param>
    /// <param name="rowsRead">How many data rows were read before the import stopped.</param>
    public CsvImportException(IReadOnlyList<CsvProblem> problems, long problemCount, long rowsRead)
        : base(Describe(problems, problemCount))
    {
        Problems = problems;
        ProblemCount = Math.Max(problemCount, problems.Count);
        RowsRead = rowsRead;
    }

    /// <summary>The first problems, in file order.</summary>
    public IReadOnlyList<CsvProblem> Problems { get; }

    /// <summary>How many problems the file has in all.</summary>
    public long ProblemCount { get; }

    /// <summary>How many data rows were read.</summary>
    public long RowsRead { get; }

    private static string Describe(IReadOnlyList<CsvProblem> problems, long count)
    {
        ArgumentNullException.ThrowIfNull(problems);
        count = Math.Max(count, problems.Count);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"The CSV file was refused ({count} problem{(count == 1 ? "" : "s")}); nothing was written.");
        foreach (var problem in problems.Take(10))
        {
            text.Append(' ').Append(problem).Append(problem.Message.EndsWith('.') ? "" : ".");
        }

        if (count > 10)
        {
            text.Append(CultureInfo.InvariantCulture, $" ... {count - 10} more in Problems.");
        }

        return text.ToString();
    }
}
