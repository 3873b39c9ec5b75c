namespace Journeys.Audiences;

/// <summary>What a put, an import or a list entry did.</summary>
/// <param name="RowsRead">Customers given (items of the batch or data rows of the file).</param>
/// <param name="Created">Customers that did not exist and were created.</param>
/// <param name="Updated">Customers that existed and were updated.</param>
/// <param name="Enrolled">
/// Enrollments created: into the target journey of a list entry, and into the active journeys whose audience is all
/// customers or a filter that the written customers now match.
/// </param>
/// <param name="NotEnrolledCount">Customers of a list entry that were not enrolled into the target journey.</param>
/// <param name="NotEnrolled">The first of them (at most 100), with the reason.</param>
/// <param name="Rejected">Rows left out because they were bad (<see cref="CsvImportMode.ImportValidRows"/> only).</param>
/// <param name="Problems">The first problems of the rejected rows (at most <see cref="CsvImportOptions.MaxReportedProblems"/>), in file order.</param>
/// <param name="ProblemCount">How many problems the rejected rows had in all.</param>
public sealed record AudienceReport(
    long RowsRead,
    int Created,
    int Updated,
    int Enrolled,
    int NotEnrolledCount,
    IReadOnlyList<NotEnrolledCustomer> NotEnrolled,
    int Rejected,
    IReadOnlyList<CsvProblem> Problems,
    long ProblemCount);
