using Journeys.Model;

namespace Journeys.Audiences;

/// <summary>One data row of a customer CSV file, as <see cref="CustomerCsvReader"/> read it.</summary>
/// <param name="Line">The 1-based line where the row starts (the header is line 1).</param>
/// <param name="CustomerId">The id, trimmed, or <see langword="null"/> when the cell is empty or missing.</param>
/// <param name="Fields">
/// For a valid row, the value of every field column, by schema field name (empty for a row with problems): an empty cell is <see cref="FieldValue.Null"/>
/// (the import clears that field). Columns the reader ignores are not here.
/// </param>
/// <param name="Problems">What is wrong with the row; empty when it is good.</param>
public sealed record CustomerCsvRow(long Line, string? CustomerId, IReadOnlyDictionary<string, FieldValue> Fields, IReadOnlyList<CsvProblem> Problems)
{
    /// <summary>True when the row has no problem.</summary>
    public bool IsValid => Problems.Count == 0;
}
