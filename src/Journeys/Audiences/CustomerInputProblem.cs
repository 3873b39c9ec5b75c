using Journeys.Model;

namespace Journeys.Audiences;

/// <summary>One problem with one customer of a put-customers batch.</summary>
/// <param name="Index">The zero-based index of the customer in the batch.</param>
/// <param name="CustomerId">The customer id as given (may be empty).</param>
/// <param name="Field">The field concerned, or <see langword="null"/> when the problem is the customer itself (such as its id).</param>
/// <param name="Message">What is wrong, in a sentence.</param>
public sealed record CustomerInputProblem(int Index, string? CustomerId, string? Field, string Message)
{
    /// <summary>One line: index, customer, field and message; an id or field name over 64 characters is cut to its start and length.</summary>
    public override string ToString() => Field is null
        ? FormattableString.Invariant($"customers[{Index}] ({IdText.Quote(CustomerId)}): {Message}")
        : FormattableString.Invariant($"customers[{Index}] ({IdText.Quote(CustomerId)}) field {IdText.Quote(Field)}: {Message}");
}
