using Journeys.Model;
using Journeys.Storage;
using Microsoft.Extensions.Logging;

namespace Journeys.Audiences;

/// <summary>
/// CSV import in two passes over a replayable stream, so that all-or-nothing costs bounded memory: the first pass
/// checks every row and keeps only a 64-bit hash per id (for duplicates) and the numbers of the bad rows; the second
/// pass writes the good rows in batches. A stream that cannot seek is first spooled to a temporary file (deleted when
/// the import ends). Ids whose hashes collide are confirmed exactly by a third, partial pass (rare: about one pair in
/// 10^12 for a million rows), so the hash never rejects a good row.
/// </summary>
internal sealed partial class AudienceManager
{
    public ValueTask<AudienceReport> ImportCsvAsync(Stream csv, CsvImportOptions? options = null, CancellationToken cancellationToken = default) =>
        ImportAsync(csv, options, null, cancellationToken);

    public async ValueTask<AudienceReport> EnrollCsvAsync(string journeyId, Stream csv, CsvImportOptions? options = null, CancellationToken cancellationToken = default)
    {
        await EnsureActiveAsync(journeyId, cancellationToken).ConfigureAwait(false);
        return await ImportAsync(csv, options, journeyId, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<AudienceReport> ImportAsync(Stream csv, CsvImportOptions? importOptions, string? journeyId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(csv);
        importOptions ??= CsvImportOptions.Default;
        importOptions.Validate();
        if (importOptions.UnknownColumns is null && options.Value.AddUnknownFieldsAsStrings)
        {
            importOptions = importOptions with { UnknownColumns = UnknownColumnHandling.AddAsString };
        }

        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        FileStream? spool = null;
        try
        {
            var source = csv;
            if (!csv.CanSeek)
            {
                spool = new FileStream(
                    Path.Combine(Path.GetTempPath(), $"journeys-import-{Guid.NewGuid():N}.csv"),
                    FileMode.CreateNew,
                    FileAccess.ReadWrite,
                    FileShare.None,
                    1 << 16,
                    FileOptions.DeleteOnClose | FileOptions.Asynchronous);
                await csv.CopyToAsync(spool, cancellationToken).ConfigureAwait(false);
                source = spool;
                source.Position = 0;
            }

            var start = source.Position;
            var schema = await customers.GetSchemaAsync(cancellationToken).ConfigureAwait(false);
            var check = await CheckAsync(source, schema, importOptions, cancellationToken).ConfigureAwait(false);
            var problems = ProblemCollector.Merge(check.Problems, check.Duplicates, importOptions.MaxReportedProblems);
            var problemCount = check.Problems.Count + check.Duplicates.Count;
            if (problemCount > 0 && importOptions.Mode == CsvImportMode.AllOrNothing)
            {
                LogImportRefused(logger, check.Rows, problemCount);
                throw new CsvImportException(problems, problemCount, check.Rows);
            }

            if (check.Added.Count > 0)
            {
                schema = check.Added.Aggregate(schema, static (s, f) => s.WithField(f));
                await customers.SaveSchemaAsync(schema, cancellationToken).ConfigureAwait(false);
                compiled.Clear();
            }

            source.Position = start;
            var (written, tally) = await WriteAsync(source, schema, importOptions, check.Rejected, journeyId, cancellationToken).ConfigureAwait(false);
            LogImported(logger, check.Rows, written.Created, written.Updated, tally.Enrolled, check.Rejected.Count);
            return new AudienceReport(
                check.Rows, written.Created, written.Updated, tally.Enrolled, tally.NotEnrolledCount, tally.NotEnrolled, check.Rejected.Count, problems, problemCount);
        }
        finally
        {
            if (spool is not null)
            {
                await spool.DisposeAsync().ConfigureAwait(false);
            }

            _lock.Release();
        }
    }

    /// <summary>Pass 1 (and the collision pass): every problem, the rejected row numbers and the fields to add.</summary>
    private static async ValueTask<CheckResult> CheckAsync(Stream source, CustomerFieldSchema schema, CsvImportOptions importOptions, CancellationToken cancellationToken)
    {
        var start = source.Position;
        var problems = new ProblemCollector(importOptions.MaxReportedProblems);
        var duplicates = new ProblemCollector(importOptions.MaxReportedProblems);
        var rejected = new HashSet<long>();
        var hashes = new HashSet<ulong>();
        HashSet<ulong>? collided = null;
        IReadOnlyList<FieldDefinition> added;
        long rows;
        var reader = CustomerCsvReader.Create(source, schema, importOptions, leaveOpen: true);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadRowAsync(false, cancellationToken).ConfigureAwait(false))
            {
                if (reader.RowProblems.Count > 0)
                {
                    rejected.Add(reader.RowsRead);
                    foreach (var problem in reader.RowProblems)
                    {
                        problems.Add(problem);
                    }
                }
                else if (!hashes.Add(reader.IdHash))
                {
                    (collided ??= []).Add(reader.IdHash);
                }
            }

            rows = reader.RowsRead;
            added = reader.AddedFields;
        }

        if (collided is not null)
        {
            // Exact check of the rows whose id hash was seen twice: equal ids are duplicates, the rest were collisions.
            hashes.Clear();
            source.Position = start;
            var firstLine = new Dictionary<string, long>(StringComparer.Ordinal);
            var again = CustomerCsvReader.Create(source, schema, importOptions, leaveOpen: true);
            await using (again.ConfigureAwait(false))
            {
                while (await again.ReadRowAsync(false, cancellationToken).ConfigureAwait(false))
                {
                    if (again.RowProblems.Count > 0 || !collided.Contains(again.IdHash))
                    {
                        continue;
                    }

                    var id = again.ReadCustomerId();
                    if (firstLine.TryGetValue(id, out var first))
                    {
                        rejected.Add(again.RowsRead);
                        duplicates.Add(new CsvProblem(again.Line, CustomerCsvReader.CustomerIdColumn, $"the customer id '{id}' is also on line {first}; give each customer once."));
                    }
                    else
                    {
                        firstLine.Add(id, again.Line);
                    }
                }
            }
        }

        return new CheckResult(rows, problems, duplicates, rejected, added);
    }

    /// <summary>Pass 2: the good rows, merged with the stored customers, written (and enrolled) in batches.</summary>
    private async ValueTask<(CustomerUpsertResult Written, EnrollmentTally Tally)> WriteAsync(
        Stream source, CustomerFieldSchema schema, CsvImportOptions importOptions, HashSet<long> rejected, string? journeyId, CancellationToken cancellationToken)
    {
        int created = 0, updated = 0;
        var tally = new EnrollmentTally();
        var batch = new List<Customer>(importOptions.BatchSize);
        var ids = new List<string>(importOptions.BatchSize);
        var reader = CustomerCsvReader.Create(source, schema, importOptions with { UnknownColumns = UnknownColumnHandling.Reject }, leaveOpen: true);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadRowAsync(true, cancellationToken).ConfigureAwait(false))
            {
                if (rejected.Contains(reader.RowsRead))
                {
                    continue;
                }

                if (reader.RowProblems.Count > 0)
                {
                    throw new InvalidOperationException(
                        $"The CSV stream changed between the check and the import (line {reader.Line} is now bad: {reader.RowProblems[0].Message}); {created + updated} customers were already written.");
                }

                var id = reader.ReadCustomerId();
                var existing = await customers.GetAsync(id, cancellationToken).ConfigureAwait(false);
                batch.Add(reader.ToCustomer(existing));
                ids.Add(id);
                if (batch.Count == importOptions.BatchSize)
                {
                    await FlushAsync().ConfigureAwait(false);
                }
            }
        }

        if (batch.Count > 0)
        {
            await FlushAsync().ConfigureAwait(false);
        }

        return (new CustomerUpsertResult(created, updated), tally);

        async ValueTask FlushAsync()
        {
            var (result, enrolled) = await manager.PutCustomersAsync(batch, cancellationToken).ConfigureAwait(false);
            created += result.Created;
            updated += result.Updated;
            tally.AddOther(enrolled);
            if (journeyId is not null)
            {
                tally.Add(ids, await manager.EnrollAsync(journeyId, ids, cancellationToken).ConfigureAwait(false));
            }

            batch.Clear();
            ids.Clear();
        }
    }

    private sealed record CheckResult(long Rows, ProblemCollector Problems, ProblemCollector Duplicates, HashSet<long> Rejected, IReadOnlyList<FieldDefinition> Added);

    [LoggerMessage(405, LogLevel.Information, "CSV import: {Rows} rows, {Created} created, {Updated} updated, {Enrolled} enrollments, {Rejected} rows rejected")]
    private static partial void LogImported(ILogger logger, long rows, int created, int updated, int enrolled, int rejected);

    [LoggerMessage(406, LogLevel.Information, "CSV import refused: {Rows} rows read, {Problems} problems; nothing written")]
    private static partial void LogImportRefused(ILogger logger, long rows, long problems);
}
