using System.Globalization;
using System.Text;

namespace Journeys.Audiences;

/// <summary>
/// A put-customers batch was refused: nothing was written. <see cref="Problems"/> lists every problem with the index of
/// the customer, its id and the field. The message names customer ids: log it at Debug level only.
/// </summary>
public sealed class CustomerInputException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="problems">The problems (at least one).</param>
    public CustomerInputException(IReadOnlyList<CustomerInputProblem> problems)
        : base(Describe(problems))
    {
        Problems = problems;
    }

    /// <summary>Every problem found, in batch order.</summary>
    public IReadOnlyList<CustomerInputProblem> Problems { get; }

    private static string Describe(IReadOnlyList<CustomerInputProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"The customers were refused ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}); nothing was written.");
        foreach (var problem in problems.Take(20))
        {
            text.Append(' ').Append(problem).Append(problem.Message.EndsWith('.') ? "" : ".");
        }

        if (problems.Count > 20)
        {
            text.Append(CultureInfo.InvariantCulture, $" ... and {problems.Count - 20} more.");
        }

        return text.ToString();
    }
}
