using System.Collections.Immutable;
using System.IO.Hashing;
using Journeys.Model;
using Journeys.Runtime;
using Journeys.Sendings;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Microsoft.Extensions.Logging;

namespace Journeys.Audiences;

/// <summary>
/// CSV import that reads the file once and still writes nothing from a bad file. The read checks every row and
/// spools each good one in compact binary form (<see cref="ImportSpool"/>, a temporary file) with a 64-bit hash of its
/// id (<see cref="RepeatedHashFinder"/>, sorted runs, spilled to disk past a million rows). Ids whose hash repeats are
/// confirmed exactly from the spool (equal ids are duplicates, the rest collisions, about one pair in 10^7 for a million
/// rows). Only then, if the file is acceptable, the spool is replayed into the store in batches of
/// <see cref="CsvImportOptions.BatchSize"/>: one merge call per batch (the in-memory store merges the binary values into
/// its records without building <see cref="Customer"/> objects; another store gets one <see cref="ICustomerStore.MergeAsync"/>),
/// then the batch's customers enter, for a list entry, its journey, then the active all-customers and filter journeys.
/// Memory of the import itself does not grow with the file: the CSV reader's buffers, 1 MiB of spool buffer, 8 MiB of
/// hashes, one batch, the first problems and the duplicate rows.
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
        try
        {
            var schema = await customers.GetSchemaAsync(cancellationToken).ConfigureAwait(false);
            if (customers is InMemoryCustomerStore compact)
            {
                return await ImportStagedAsync(compact, csv, schema, importOptions, journeyId, cancellationToken).ConfigureAwait(false);
            }

            var spool = ImportSpool.Create();
            await using (spool.ConfigureAwait(false))
            {
                var check = await CheckAsync(csv, schema, importOptions, spool, cancellationToken).ConfigureAwait(false);
                var problems = ProblemCollector.Merge(check.Problems, check.Duplicates, importOptions.MaxReportedProblems);
                var problemCount = check.Problems.Count + check.Duplicates.Count;
                var rejected = check.BadRows + check.Duplicates.Count;
                if (problemCount > 0 && importOptions.Mode == CsvImportMode.AllOrNothing)
                {
                    LogImportRefused(logger, check.Rows, problemCount);
                    throw new CsvImportException(problems, problemCount, check.Rows);
                }

                await EnsureStillActiveAsync(journeyId, cancellationToken).ConfigureAwait(false);
                if (check.Added.Count > 0)
                {
                    schema = check.Added.Aggregate(schema, static (s, f) => s.WithField(f));
                    await customers.SaveSchemaAsync(schema, cancellationToken).ConfigureAwait(false);
                    compiled.Clear();
                }

                var (written, tally) = await WriteAsync(spool, check.Columns, importOptions, check.DuplicateRows, journeyId, cancellationToken).ConfigureAwait(false);
                LogImported(logger, check.Rows, written.Created, written.Updated, tally.Enrolled, rejected);
                return new AudienceReport(
                    check.Rows, written.Created, written.Updated, tally.Enrolled, tally.NotEnrolledCount, tally.NotEnrolled, (int)rejected, problems, problemCount);
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// For a list entry, the journey checked again once the file is read and before anything is written: it was checked
    /// before the read, but a long file (an upload) leaves time for a stop, which would otherwise only refuse the
    /// enrollment after the file's customers were written.
    /// </summary>
    private ValueTask EnsureStillActiveAsync(string? journeyId, CancellationToken cancellationToken) =>
        journeyId is null ? ValueTask.CompletedTask : EnsureActiveAsync(journeyId, cancellationToken);

    /// <summary>The most rows the in-memory import reserves its stage's table for from an estimate (4,194,304: a 64 MiB table).</summary>
    private const long MaxStageReserve = 1L << 22;

    /// <summary>
    /// The import into the in-memory store: the one pass over the CSV checks each row and stages a good one as the
    /// store's record (<see cref="CustomerStage"/>, whose id table finds the duplicates exactly as they come); an
    /// acceptable file's stage is then committed in one call (its pages become the store's), and its customers enrolled
    /// in batches of <see cref="CsvImportOptions.BatchSize"/>. A rejected file's stage is dropped: the store never saw it.
    /// </summary>
    private async ValueTask<AudienceReport> ImportStagedAsync(
        InMemoryCustomerStore store, Stream csv, CustomerFieldSchema schema, CsvImportOptions importOptions, string? journeyId, CancellationToken cancellationToken)
    {
        var problems = new ProblemCollector(importOptions.MaxReportedProblems);
        var duplicates = new ProblemCollector(importOptions.MaxReportedProblems);
        var stage = new CustomerStage((line, first, id) =>
            duplicates.Add(new CsvProblem(line, CustomerCsvReader.CustomerIdColumn, $"the customer id {IdText.Quote(id)} is also on line {first}; give each customer once.")));
        long badRows = 0, rows;
        IReadOnlyList<FieldDefinition> added;
        int[] fieldIds;
        var reader = CustomerCsvReader.Create(csv, schema, importOptions, leaveOpen: true);
        await using (reader.ConfigureAwait(false))
        {
            var start = csv.CanSeek ? csv.Position : -1;
            await reader.ReadHeaderAsync(cancellationToken).ConfigureAwait(false);
            fieldIds = store.FieldIds(reader.FieldColumns);
            var firstRead = start < 0 ? -1 : csv.Position;
            var record = new RecordBuffer(1024);
            while (await reader.NextRowAsync(cancellationToken).ConfigureAwait(false))
            {
                if (firstRead >= 0 && csv.Position != firstRead)
                {
                    // The reader has just read past its first buffer: the rows so far came from its bytes, so the
                    // rest of the file holds about as many rows per byte. Capped: a small file that begins with
                    // tiny rows must not reserve a huge table.
                    var rest = (long)((double)reader.RowsRead * (csv.Length - firstRead) / Math.Max(1, firstRead - start));
                    stage.Reserve(Math.Min(rest, Math.Min(importOptions.MaxRows, MaxStageReserve) - reader.RowsRead));
                    firstRead = -1;
                }

                record.Clear();
                if (!reader.TryEncodeRow(record, fieldIds, out var hash))
                {
                    badRows++;
                    foreach (var problem in reader.RowProblems)
                    {
                        problems.Add(problem);
                    }

                    continue;
                }

                stage.Add(record.WrittenSpan, CustomerStage.StoreHash(hash), reader.Line);
            }

            stage.Complete();
            rows = reader.RowsRead;
            added = reader.AddedFields;
        }

        var reported = ProblemCollector.Merge(problems, duplicates, importOptions.MaxReportedProblems);
        var problemCount = problems.Count + duplicates.Count;
        var rejected = badRows + duplicates.Count;
        if (problemCount > 0 && importOptions.Mode == CsvImportMode.AllOrNothing)
        {
            LogImportRefused(logger, rows, problemCount);
            throw new CsvImportException(reported, problemCount, rows);
        }

        await EnsureStillActiveAsync(journeyId, cancellationToken).ConfigureAwait(false);
        if (added.Count > 0)
        {
            schema = added.Aggregate(schema, static (s, f) => s.WithField(f));
            await customers.SaveSchemaAsync(schema, cancellationToken).ConfigureAwait(false);
            compiled.Clear();
        }

        var written = store.CommitStage(stage, fieldIds);
        var tally = new EnrollmentTally();
        var entry = await ActiveEntryJourneysAsync(cancellationToken).ConfigureAwait(false);
        if (journeyId is not null || entry.AllCustomers.Count > 0 || entry.AnyFilter)
        {
            foreach (var ids in stage.Ids().Chunk(importOptions.BatchSize))
            {
                // The list's journey first (EnrollTargetAsync): it may be one of the audiences' journeys too.
                if (journeyId is not null)
                {
                    await EnrollTargetAsync(journeyId, ids, tally, cancellationToken).ConfigureAwait(false);
                }

                tally.AddOther(await EnterByEntryAsync(ids, cancellationToken).ConfigureAwait(false));
                tally.ThrowIfRefused();
            }
        }

        LogImported(logger, rows, written.Created, written.Updated, tally.Enrolled, rejected);
        return new AudienceReport(
            rows, written.Created, written.Updated, tally.Enrolled, tally.NotEnrolledCount, tally.NotEnrolled, (int)rejected, reported, problemCount);
    }

    /// <summary>The one pass over the CSV: every problem, the good rows spooled, then the duplicate ids.</summary>
    private static async ValueTask<CheckResult> CheckAsync(Stream source, CustomerFieldSchema schema, CsvImportOptions importOptions, ImportSpool spool, CancellationToken cancellationToken)
    {
        var problems = new ProblemCollector(importOptions.MaxReportedProblems);
        long badRows = 0;
        IReadOnlyList<FieldDefinition> added;
        IReadOnlyList<string> columns;
        long rows;
        var hashes = new RepeatedHashFinder();
        await using (hashes.ConfigureAwait(false))
        {
            var reader = CustomerCsvReader.Create(source, schema, importOptions, leaveOpen: true);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.NextRowAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (!spool.TryAppend(reader, reader.RowsRead, reader.Line, out var hash))
                    {
                        badRows++;
                        foreach (var problem in reader.RowProblems)
                        {
                            problems.Add(problem);
                        }

                        continue;
                    }

                    hashes.Add(hash);
                    if (spool.IsFull)
                    {
                        await spool.FlushAsync(cancellationToken).ConfigureAwait(false);
                    }
                }

                rows = reader.RowsRead;
                added = reader.AddedFields;
                columns = reader.FieldColumns;
            }

            var (duplicates, duplicateRows) = await FindDuplicatesAsync(
                spool, await hashes.FindRepeatedAsync(cancellationToken).ConfigureAwait(false), importOptions, cancellationToken).ConfigureAwait(false);
            return new CheckResult(rows, badRows, problems, duplicates, duplicateRows, added, columns);
        }
    }

    /// <summary>Rows whose id hash repeats, compared exactly (from the spool): a row whose id an earlier row has is a duplicate.</summary>
    private static async ValueTask<(ProblemCollector Duplicates, HashSet<long> Rows)> FindDuplicatesAsync(
        ImportSpool spool, HashSet<ulong> repeated, CsvImportOptions importOptions, CancellationToken cancellationToken)
    {
        var duplicates = new ProblemCollector(importOptions.MaxReportedProblems);
        var rows = new HashSet<long>();
        if (repeated.Count == 0)
        {
            return (duplicates, rows);
        }

        var firstLine = new Dictionary<string, long>(StringComparer.Ordinal);
        var batch = new SpoolBatch();
        await spool.RewindAsync(cancellationToken).ConfigureAwait(false);
        while (await spool.ReadAsync(batch, 4096, cancellationToken).ConfigureAwait(false))
        {
            foreach (var (start, length) in batch.Rows)
            {
                var row = batch.Data.AsSpan(start, length);
                var position = 0;
                var number = (long)CustomerRecordCodec.ReadVarint(row, ref position);
                var line = (long)CustomerRecordCodec.ReadVarint(row, ref position);
                var idStart = position;
                CustomerRecordCodec.ReadStringBytes(row, ref position, out _);
                if (!repeated.Contains(XxHash3.HashToUInt64(row[idStart..position]) | 1UL << 63))
                {
                    continue;
                }

                var at = idStart;
                var id = CustomerRecordCodec.ReadString(row, ref at);
                if (firstLine.TryGetValue(id, out var first))
                {
                    rows.Add(number);
                    duplicates.Add(new CsvProblem(line, CustomerCsvReader.CustomerIdColumn, $"the customer id {IdText.Quote(id)} is also on line {first}; give each customer once."));
                }
                else
                {
                    firstLine.Add(id, line);
                }
            }
        }

        return (duplicates, rows);
    }

    /// <summary>The spooled rows (but the duplicates) written in batches, each batch's customers then enrolled.</summary>
    private async ValueTask<(CustomerUpsertResult Written, EnrollmentTally Tally)> WriteAsync(
        ImportSpool spool, IReadOnlyList<string> columns, CsvImportOptions importOptions, HashSet<long> duplicateRows, string? journeyId, CancellationToken cancellationToken)
    {
        int created = 0, updated = 0;
        var tally = new EnrollmentTally();
        var batch = new SpoolBatch();
        var patches = new List<int>(importOptions.BatchSize);
        var ids = new List<string>(importOptions.BatchSize);
        await spool.RewindAsync(cancellationToken).ConfigureAwait(false);
        while (await spool.ReadAsync(batch, importOptions.BatchSize, cancellationToken).ConfigureAwait(false))
        {
            patches.Clear();
            foreach (var (start, length) in batch.Rows)
            {
                var position = start;
                var number = (long)CustomerRecordCodec.ReadVarint(batch.Data, ref position);
                CustomerRecordCodec.ReadVarint(batch.Data, ref position);
                if (duplicateRows.Count == 0 || !duplicateRows.Contains(number))
                {
                    patches.Add(position);
                }
            }

            if (patches.Count == 0)
            {
                continue;
            }

            var result = await UpsertPatchesAsync(columns, batch.Data, patches, cancellationToken).ConfigureAwait(false);
            created += result.Created;
            updated += result.Updated;

            var entry = await ActiveEntryJourneysAsync(cancellationToken).ConfigureAwait(false);
            if (journeyId is null && entry.AllCustomers.Count == 0 && !entry.AnyFilter)
            {
                continue;
            }

            ids.Clear();
            foreach (var patch in patches)
            {
                var position = patch;
                ids.Add(CustomerRecordCodec.ReadString(batch.Data, ref position));
            }

            // The list's journey first (EnrollTargetAsync): it may be one of the audiences' journeys too.
            if (journeyId is not null)
            {
                await EnrollTargetAsync(journeyId, ids, tally, cancellationToken).ConfigureAwait(false);
            }

            tally.AddOther(await EnterByEntryAsync(ids, cancellationToken).ConfigureAwait(false));
            tally.ThrowIfRefused();
        }

        return (new CustomerUpsertResult(created, updated), tally);
    }

    /// <summary>
    /// For a store without a staged import: the batch's rows as one merge (<see cref="ICustomerStore.MergeAsync"/>), so
    /// a field another writer (the engine's update node, another host) sets meanwhile and the file has no column for is
    /// kept. A column left empty clears the field; the time zone is kept.
    /// </summary>
    private async ValueTask<CustomerUpsertResult> UpsertPatchesAsync(IReadOnlyList<string> columns, byte[] data, List<int> patches, CancellationToken cancellationToken)
    {
        var merge = new CustomerPatch[patches.Count];
        for (var p = 0; p < merge.Length; p++)
        {
            var position = patches[p];
            var id = CustomerRecordCodec.ReadString(data, ref position);
            var fields = new Dictionary<string, FieldValue>(columns.Count, StringComparer.OrdinalIgnoreCase);
            foreach (var column in columns)
            {
                fields[column] = CustomerRecordCodec.ReadValue(data, ref position);
            }

            merge[p] = new CustomerPatch(id, fields);
        }

        var merged = await customers.MergeAsync(merge, cancellationToken).ConfigureAwait(false);
        return new CustomerUpsertResult(merged.Created, merged.Updated);
    }

    /// <summary>
    /// The active journeys (not sendings) that enter customers when they are put: all-customers entries, and whether any
    /// has a filter entry. Looked up after each batch is written, so a journey activated meanwhile either sees the batch
    /// in its activation scan or is found here.
    /// </summary>
    private async ValueTask<(List<CompiledJourney> AllCustomers, bool AnyFilter)> ActiveEntryJourneysAsync(CancellationToken cancellationToken)
    {
        var all = new List<CompiledJourney>();
        var anyFilter = false;
        await foreach (var record in journeys.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            if (record.Journey.Entry is not (AllCustomersEntry or FilterEntry) || SendingJourneys.IsSending(record.Journey.Id))
            {
                continue;
            }

            // Compiled as every entry for all journeys is: one that does not compile on this host is skipped (and logged).
            var active = await compiled.FindActiveForEntriesAsync(record, cancellationToken).ConfigureAwait(false);
            if (active?.Definition.Entry is AllCustomersEntry)
            {
                all.Add(active);
            }
            else if (active?.Definition.Entry is FilterEntry)
            {
                anyFilter = true;
            }
        }

        return (all, anyFilter);
    }

    /// <summary>
    /// <see cref="EnrollByEntryAsync"/> for one chunk of customers already written, into the journeys active now: read
    /// and created inside the <see cref="Runtime.EntryGate"/>, as the journey manager's entries are, so an activation of a
    /// new version that returned before this read is the one entered, and one that saves its version meanwhile waits for
    /// the create (until 2026-12-01 these entries read the journeys once, before the gate existed for them, and could land
    /// in a version superseded by an activation that had already returned). The chunk's list journey
    /// (<see cref="EnrollTargetAsync"/>) is entered before, outside: the journey manager's entry holds the gate itself.
    /// </summary>
    private async ValueTask<int> EnterByEntryAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        using var entering = await guard.Entries.EnterAsync(cancellationToken).ConfigureAwait(false);
        var entry = await ActiveEntryJourneysAsync(cancellationToken).ConfigureAwait(false);
        return entry.AllCustomers.Count > 0 || entry.AnyFilter ? await EnrollByEntryAsync(entry, ids, cancellationToken).ConfigureAwait(false) : 0;
    }

    /// <summary>The entry rule of <see cref="IJourneyManager.PutCustomersAsync"/> for imported customers: every one enters the all-customers journeys, the matching ones the filter journeys.</summary>
    private async ValueTask<int> EnrollByEntryAsync((List<CompiledJourney> AllCustomers, bool AnyFilter) entry, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var enrolled = 0;
        if (entry.AllCustomers.Count > 0)
        {
            var now = time.GetUtcNow();
            var requests = new List<EnrollmentRequest>(ids.Count * entry.AllCustomers.Count);
            foreach (var journey in entry.AllCustomers)
            {
                foreach (var id in ids)
                {
                    requests.Add(new EnrollmentRequest(
                        EnrollmentIds.NewVersion7(now), journey.Id, journey.Version, id, journey.Definition.StartNodeId, now, journey.Definition.EntryRules, journey.GoalEvents));
                }
            }

            foreach (var chunk in requests.Chunk(Batch))
            {
                // The journeys were read active when the import began, which can be a while ago: what a chunk created in
                // a journey stopped since is cancelled, as the stop would have cancelled it.
                var outcomes = await engine.EnrollAsync(chunk, cancellationToken).ConfigureAwait(false);
                foreach (var outcome in outcomes)
                {
                    enrolled += outcome.Kind == EnrollmentOutcomeKind.Created ? 1 : 0;
                }

                // And what it created for a customer deleted since this import wrote it (a deleted customer is not sent to).
                enrolled -= (await guard.CancelEntriesOfStoppedAsync(chunk, outcomes, "journey stopped", cancellationToken, customersMustExist: true).ConfigureAwait(false)).Total;
            }
        }

        if (entry.AnyFilter)
        {
            enrolled += await recheck.EnrollMatchingAsync(ids, cancellationToken, engine.EnrollAsync).ConfigureAwait(false);
        }

        if (enrolled > 0)
        {
            signal.NotifyWork();
        }

        return enrolled;
    }

    private sealed record CheckResult(
        long Rows,
        long BadRows,
        ProblemCollector Problems,
        ProblemCollector Duplicates,
        HashSet<long> DuplicateRows,
        IReadOnlyList<FieldDefinition> Added,
        IReadOnlyList<string> Columns);

    [LoggerMessage(405, LogLevel.Information, "CSV import: {Rows} rows, {Created} created, {Updated} updated, {Enrolled} enrollments, {Rejected} rows rejected")]
    private static partial void LogImported(ILogger logger, long rows, int created, int updated, int enrolled, long rejected);

    [LoggerMessage(406, LogLevel.Information, "CSV import refused: {Rows} rows read, {Problems} problems; nothing written")]
    private static partial void LogImportRefused(ILogger logger, long rows, long problems);
}
