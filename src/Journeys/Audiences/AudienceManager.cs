using System.Collections.Immutable;
using Journeys.Model;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Validation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Journeys.Audiences;

/// <summary>
/// The <see cref="IAudienceManager"/> over the stores and <see cref="IJourneyManager"/>. Schema changes, puts and
/// imports of one host are serialised by one lock (<see cref="CustomerWriteLock"/>, which the journey manager's put of
/// whole customers takes too), so an import never sees the schema change between its check and its writes (a long
/// import delays field definitions until it ends).
/// </summary>
internal sealed partial class AudienceManager(
    ICustomerStore customers,
    IJourneyStore journeys,
    JourneyStopGuard guard,
    IStatisticsStore statistics,
    IJourneyManager manager,
    CompiledJourneyCache compiled,
    FilterEntryRecheck recheck,
    IJourneyEngineSignal signal,
    JourneyEngine engine,
    IOptions<AudienceOptions> options,
    TimeProvider time,
    CustomerWriteLock writeLock,
    IEnrollmentStore enrollments,
    IOutboxStore outbox,
    ILogger<AudienceManager> logger) : IAudienceManager
{
    private const int Batch = 1_000;
    private static readonly IReadOnlyDictionary<string, FieldValue> NoFields = ImmutableDictionary<string, FieldValue>.Empty;
    private readonly CustomerWriteLock _lock = writeLock;

    /// <summary>Why an id with white space at an end is refused rather than stored (or silently trimmed).</summary>
    internal const string OuterWhiteSpaceReason = "Customer ids are compared exactly, and the CSV import and list sendings trim theirs, so such an id could never be named by a file.";

    /// <summary>Whether a (non-empty) customer id has white space at its start or end: refused wherever customers are put.</summary>
    internal static bool HasOuterWhiteSpace(string id) => char.IsWhiteSpace(id[0]) || char.IsWhiteSpace(id[^1]);

    public ValueTask<CustomerFieldSchema> GetFieldsAsync(CancellationToken cancellationToken = default) => customers.GetSchemaAsync(cancellationToken);

    public async ValueTask<CustomerFieldSchema> DefineFieldAsync(FieldDefinition field, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(field);
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var schema = await customers.GetSchemaAsync(cancellationToken).ConfigureAwait(false);
            var next = schema.WithField(field);
            if (schema.TryGetField(field.Name, out var old) && old.Type != field.Type)
            {
                await EnsureUnusedAsync(schema, next, old.Name, $"changed from {old.Type} to {field.Type}", cancellationToken).ConfigureAwait(false);
            }

            await customers.SaveSchemaAsync(next, cancellationToken).ConfigureAwait(false);
            compiled.Clear();
            LogFieldDefined(logger, field.Name, field.Type);
            return next;
        }
        finally
        {
            _lock.Release();
        }
    }

    public async ValueTask<bool> RemoveFieldAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var schema = await customers.GetSchemaAsync(cancellationToken).ConfigureAwait(false);
            if (!schema.TryGetField(name, out var field))
            {
                return false;
            }

            var next = schema.WithoutField(name);
            await EnsureUnusedAsync(schema, next, field.Name, "removed", cancellationToken).ConfigureAwait(false);
            await customers.SaveSchemaAsync(next, cancellationToken).ConfigureAwait(false);
            compiled.Clear();
            LogFieldRemoved(logger, field.Name);
            return true;
        }
        finally
        {
            _lock.Release();
        }
    }

    public async ValueTask<AudienceReport> PutCustomersAsync(IReadOnlyList<CustomerInput> customersToPut, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(customersToPut);
        var (result, enrolled) = await PutInputsAsync(customersToPut, null, cancellationToken).ConfigureAwait(false);
        return Report(customersToPut.Count, result, new EnrollmentTally { }, enrolled);
    }

    public ValueTask<Customer?> GetCustomerAsync(string customerId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(customerId);
        return customers.GetAsync(customerId, cancellationToken);
    }

    public async ValueTask<bool> DeleteCustomerAsync(string customerId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(customerId);

        // Enrollments first: a crash in between leaves a customer without enrollments, never enrollments without a customer.
        // Through the stop guard: the cancel deletes the customer's outbox messages, and this engine's dispatcher then
        // also drops those it had already taken (handed over or claimed), so a deleted customer is not sent to.
        var cancelled = await guard.CancelAsync(null, null, customerId, JourneyStopGuard.CustomerDeletedReason, cancellationToken).ConfigureAwait(false);
        var deleted = await customers.DeleteAsync(customerId, cancellationToken).ConfigureAwait(false);

        // And again once the record is gone: an entry that read the customer before the delete (an audience scan, a
        // filter re-check, a sending) may have created enrollments after the first cancel; it checks for the customer
        // after its create (JourneyStopGuard.CancelEntriesOfStoppedAsync), so what that check still saw is cancelled here.
        cancelled += await guard.CancelAsync(null, null, customerId, JourneyStopGuard.CustomerDeletedReason, cancellationToken).ConfigureAwait(false);
        LogCustomerDeleted(logger, deleted, cancelled);
        return deleted;
    }

    public async ValueTask<bool> EraseCustomerAsync(string customerId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(customerId);
        var sends = outbox as IFrequencyCapStore;

        // The stores' erasures first, on what has ended: a store that cannot erase (NotSupportedException) is found before
        // the profile and the live enrollments are touched. Then the delete (live enrollments cancelled, their messages
        // withdrawn, the profile deleted), and the erasures again for what the delete ended.
        var erased = await enrollments.EraseCustomerAsync(customerId, cancellationToken).ConfigureAwait(false);
        var sendRecords = sends is null ? 0 : await sends.EraseCustomerSendsAsync(customerId, cancellationToken).ConfigureAwait(false);

        // Out of the journeys' customer lists before the delete: a list's pending intake (an entry window yet to open)
        // would otherwise enroll the customer again (and send to them). What this host compiled of those journeys holds
        // the old list, and a list intake running here looks at the stored list again once it sees the forgetting.
        var lists = await journeys.EraseCustomerAsync(customerId, cancellationToken).ConfigureAwait(false);
        foreach (var journeyId in lists)
        {
            compiled.Forget(journeyId);
        }

        var deleted = await DeleteCustomerAsync(customerId, cancellationToken).ConfigureAwait(false);
        erased += await enrollments.EraseCustomerAsync(customerId, cancellationToken).ConfigureAwait(false);
        sendRecords += sends is null ? 0 : await sends.EraseCustomerSendsAsync(customerId, cancellationToken).ConfigureAwait(false);
        LogCustomerErased(logger, deleted, erased, sendRecords, lists.Count);
        return deleted;
    }

    public async ValueTask<AudienceReport> EnrollListAsync(string journeyId, IReadOnlyList<string> customerIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(customerIds);
        for (var i = 0; i < customerIds.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(customerIds[i]))
            {
                throw new ArgumentException($"The customer id at index {i} is empty; nothing was written.", nameof(customerIds));
            }

            if (HasOuterWhiteSpace(customerIds[i]))
            {
                throw new ArgumentException($"The customer id at index {i} has white space at its start or end; nothing was written. {OuterWhiteSpaceReason}", nameof(customerIds));
            }

            if (IdLimits.IsCustomerIdTooLong(customerIds[i]))
            {
                throw new ArgumentException($"The customer id at index {i} {IdLimits.CustomerIdTooLong(customerIds[i].Length)}; nothing was written.", nameof(customerIds));
            }
        }

        await EnsureActiveAsync(journeyId, cancellationToken).ConfigureAwait(false);
        var tally = new EnrollmentTally();
        var created = 0;
        foreach (var chunk in customerIds.Chunk(Batch))
        {
            var missing = new List<CustomerPatch>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var stored = await customers.GetManyAsync(chunk, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < chunk.Length; i++)
            {
                if (seen.Add(chunk[i]) && stored[i] is null)
                {
                    missing.Add(new CustomerPatch(chunk[i], NoFields));
                }
            }

            if (missing.Count > 0)
            {
                // A merge that sets nothing: it creates the customers still missing and leaves alone one that another
                // writer created since the read above (a put, an import, the engine's update of an unknown customer).
                // The list's journey is entered before the audiences (see MergeCustomersAsync).
                var (result, enrolled) = await MergeCustomersAsync(missing, cancellationToken, ct => EnrollTargetAsync(journeyId, chunk, tally, ct)).ConfigureAwait(false);
                created += result.Created;
                tally.AddOther(enrolled);
            }
            else
            {
                await EnrollTargetAsync(journeyId, chunk, tally, cancellationToken).ConfigureAwait(false);
            }

            tally.ThrowIfRefused();
        }

        LogListEntry(logger, journeyId, customerIds.Count, tally.Enrolled, tally.NotEnrolledCount);
        return Report(customerIds.Count, new CustomerUpsertResult(created, 0), tally, 0);
    }

    public async ValueTask<AudienceReport> EnrollCustomersAsync(string journeyId, IReadOnlyList<CustomerInput> customersToPut, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(customersToPut);
        await EnsureActiveAsync(journeyId, cancellationToken).ConfigureAwait(false);
        var tally = new EnrollmentTally();
        var (result, enrolled) = await PutInputsAsync(
            customersToPut,
            async ct =>
            {
                foreach (var chunk in customersToPut.Select(static c => c.CustomerId).Chunk(Batch))
                {
                    await EnrollTargetAsync(journeyId, chunk, tally, ct).ConfigureAwait(false);
                }
            },
            cancellationToken).ConfigureAwait(false);
        tally.AddOther(enrolled);
        tally.ThrowIfRefused();

        LogListEntry(logger, journeyId, customersToPut.Count, tally.Enrolled, tally.NotEnrolledCount);
        return Report(customersToPut.Count, result, tally, 0);
    }

    private static AudienceReport Report(long rows, CustomerUpsertResult result, EnrollmentTally tally, int enrolledByAudience) =>
        new(rows, result.Created, result.Updated, tally.Enrolled + enrolledByAudience, tally.NotEnrolledCount, tally.NotEnrolled, 0, [], 0);

    /// <summary>Throws (writing nothing) unless the journey exists and has an active version.</summary>
    private async ValueTask EnsureActiveAsync(string journeyId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(journeyId);

        // Enrolling nobody runs the manager's own checks: unknown journey, or no active version.
        await manager.EnrollAsync(journeyId, [], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A list entry's enrollment of <paramref name="ids"/> into its journey, its outcomes added to <paramref name="tally"/>.
    /// Made before the written customers enter the all-customers and filter journeys: when the list's journey is one of
    /// those, the list creates the enrollment (counted once as enrolled), and the audience's entry then finds it active and
    /// counts nothing. The other way round the audience created it and the list reported the same customer as not
    /// enrolled (already active) besides. A refusal (the journey stopped or deleted during the call) is kept in the tally, to be
    /// thrown once the written customers have entered those journeys too; the calls after it enroll nothing.
    /// </summary>
    private async ValueTask EnrollTargetAsync(string journeyId, IReadOnlyList<string> ids, EnrollmentTally tally, CancellationToken cancellationToken)
    {
        if (tally.Refused is not null)
        {
            return;
        }

        try
        {
            tally.Add(ids, await manager.EnrollAsync(journeyId, ids, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception refusal) when (refusal is JourneyLifecycleException or KeyNotFoundException)
        {
            // Stopped, or deleted, since the call began.
            tally.Refuse(refusal);
        }
    }

    private async ValueTask<(CustomerUpsertResult Result, int Enrolled)> PutInputsAsync(
        IReadOnlyList<CustomerInput> inputs, Func<CancellationToken, ValueTask>? beforeEntry, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var schema = await customers.GetSchemaAsync(cancellationToken).ConfigureAwait(false);
            var (values, added) = Convert(inputs, schema, options.Value.AddUnknownFieldsAsStrings ? UnknownColumnHandling.AddAsString : UnknownColumnHandling.Reject);
            var patches = new CustomerPatch[inputs.Count];
            for (var i = 0; i < patches.Length; i++)
            {
                patches[i] = new CustomerPatch(inputs[i].CustomerId, values[i], inputs[i].TimeZoneId);
            }

            var next = added.Aggregate(schema, static (s, f) => s.WithField(f));
            if (added.Count > 0)
            {
                await customers.SaveSchemaAsync(next, cancellationToken).ConfigureAwait(false);
                compiled.Clear();
            }

            try
            {
                var written = await MergeCustomersAsync(patches, cancellationToken, beforeEntry).ConfigureAwait(false);
                LogPut(logger, inputs.Count, written.Customers.Created, written.Customers.Updated, added.Count);
                return written;
            }
            catch when (added.Count > 0)
            {
                // Nothing half-written: the fields added for this batch go if the batch does not.
                await customers.SaveSchemaAsync(schema, CancellationToken.None).ConfigureAwait(false);
                compiled.Clear();
                throw;
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// Writes the patches with one merge (<see cref="ICustomerStore.MergeAsync"/>: a field that another writer, such as
    /// the engine's update node, sets meanwhile is kept), then enrolls the customers into the active all-customers
    /// journeys and the filter journeys they now match, as <see cref="IJourneyManager.PutCustomersAsync"/> does.
    /// <paramref name="beforeEntry"/> (a list entry's enrollment into its journey) runs between the two.
    /// </summary>
    private async ValueTask<(CustomerUpsertResult Customers, int Enrolled)> MergeCustomersAsync(
        IReadOnlyList<CustomerPatch> patches, CancellationToken cancellationToken, Func<CancellationToken, ValueTask>? beforeEntry = null)
    {
        var merged = await customers.MergeAsync(patches, cancellationToken).ConfigureAwait(false);
        if (beforeEntry is not null)
        {
            await beforeEntry(cancellationToken).ConfigureAwait(false);
        }

        var enrolled = 0;
        foreach (var ids in patches.Select(static p => p.CustomerId).Chunk(Batch))
        {
            enrolled += await EnterByEntryAsync(ids, cancellationToken).ConfigureAwait(false);
        }

        return (new CustomerUpsertResult(merged.Created, merged.Updated), enrolled);
    }

    /// <summary>
    /// <see cref="IJourneyManager.PutCustomersAsync"/>'s write under this manager's lock, held as its own put holds it:
    /// the schema read, <see cref="Check"/>, the upsert, and <paramref name="enter"/> (the entries into the journeys), so
    /// a field definition waits for the whole put and cannot change a field's type between the check and the write (a
    /// value of the old type would be stored as given).
    /// </summary>
    /// <param name="writeLock">The lock of the audience manager of this service provider.</param>
    /// <param name="customers">The customer store.</param>
    /// <param name="whole">The customers to write.</param>
    /// <param name="enter">Enrolls the written customers, given what the upsert did.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="CustomerInputException">Every problem found; nothing has been written.</exception>
    internal static async ValueTask<T> PutWholeAsync<T>(
        CustomerWriteLock writeLock,
        ICustomerStore customers,
        IReadOnlyList<Customer> whole,
        Func<CustomerUpsertResult, CancellationToken, ValueTask<T>> enter,
        CancellationToken cancellationToken)
    {
        await writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Check(whole, await customers.GetSchemaAsync(cancellationToken).ConfigureAwait(false));
            var upserted = await customers.UpsertAsync(whole, cancellationToken).ConfigureAwait(false);
            return await enter(upserted, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            writeLock.Release();
        }
    }

    /// <summary>
    /// The check of <see cref="PutCustomersAsync"/> for the whole customers of <see cref="IJourneyManager.PutCustomersAsync"/>:
    /// the same rules and the same <see cref="CustomerInputException"/> (index, id, field), so the two puts cannot drift
    /// apart. A value is a <see cref="FieldValue"/> already, so it is not converted: it must have its field's type (or be
    /// null). A field the schema lacks is not refused: the customer is written as given, and journeys ignore the field
    /// until it is defined (there is no schema change to make here, as a put of inputs makes under
    /// <see cref="AudienceOptions.AddUnknownFieldsAsStrings"/>).
    /// </summary>
    /// <exception cref="CustomerInputException">Every problem found; nothing has been written.</exception>
    private static void Check(IReadOnlyList<Customer> whole, CustomerFieldSchema schema)
    {
        var inputs = new CustomerInput[whole.Count];
        for (var i = 0; i < inputs.Length; i++)
        {
            // A null customer stays null: Convert names its index.
            inputs[i] = whole[i] is { } customer
                ? new CustomerInput(customer.Id, customer.Fields.ToDictionary(static f => f.Key, static f => (object?)f.Value, StringComparer.OrdinalIgnoreCase), customer.TimeZoneId)
                : null!;
        }

        _ = Convert(inputs, schema, UnknownColumnHandling.Ignore);
    }

    /// <summary>
    /// Checks and converts every input; throws with every problem, or returns the typed values and the fields to add.
    /// A field the schema lacks is refused, added as a string field, or (<see cref="UnknownColumnHandling.Ignore"/>, for
    /// <see cref="Check"/>) neither checked nor returned.
    /// </summary>
    private static (Dictionary<string, FieldValue>[] Values, List<FieldDefinition> Added) Convert(IReadOnlyList<CustomerInput> inputs, CustomerFieldSchema schema, UnknownColumnHandling unknownFields)
    {
        var problems = new List<CustomerInputProblem>();
        var firstIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var added = new Dictionary<string, FieldDefinition>(StringComparer.OrdinalIgnoreCase);
        var values = new Dictionary<string, FieldValue>[inputs.Count];
        for (var i = 0; i < inputs.Count; i++)
        {
            var converted = values[i] = new Dictionary<string, FieldValue>(StringComparer.OrdinalIgnoreCase);
            var input = inputs[i];
            if (input is null)
            {
                problems.Add(new CustomerInputProblem(i, null, null, "the customer is null."));
                continue;
            }

            var id = input.CustomerId;
            if (string.IsNullOrWhiteSpace(id))
            {
                problems.Add(new CustomerInputProblem(i, id, null, "the customer id is empty."));
                continue;
            }

            if (HasOuterWhiteSpace(id))
            {
                problems.Add(new CustomerInputProblem(i, id, null, $"the customer id has white space at its start or end. {OuterWhiteSpaceReason}"));
                continue;
            }

            if (IdLimits.IsCustomerIdTooLong(id))
            {
                problems.Add(new CustomerInputProblem(i, id, null, $"the customer id {IdLimits.CustomerIdTooLong(id.Length)}."));
                continue;
            }

            if (!firstIndex.TryAdd(id, i))
            {
                problems.Add(new CustomerInputProblem(i, id, null, $"the same id is at index {firstIndex[id]}; give each customer once."));
            }

            if (input.TimeZoneId is { } zone && !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
            {
                problems.Add(new CustomerInputProblem(i, id, null, $"the time zone '{zone}' is not a known IANA time zone."));
            }

            // Field names match ignoring case, so "age" and "AGE" in one input are the same field: refused rather than
            // one of the two values kept silently (which one would depend on the dictionary's order).
            var given = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, raw) in input.Fields ?? ImmutableDictionary<string, object?>.Empty)
            {
                if (!given.TryAdd(name, name))
                {
                    problems.Add(new CustomerInputProblem(i, id, name, $"the field is given twice (as '{given[name]}' and '{name}'; field names match ignoring case)."));
                    continue;
                }

                if (schema.TryGetField(name, out var field) || added.TryGetValue(name, out field))
                {
                    if (FieldValueConversion.TryConvert(raw, field.Type, out var value, out var error))
                    {
                        converted[field.Name] = value;
                    }
                    else
                    {
                        problems.Add(new CustomerInputProblem(i, id, field.Name, $"the field {error}."));
                    }
                }
                else if (unknownFields == UnknownColumnHandling.Ignore)
                {
                    continue;
                }
                else if (unknownFields == UnknownColumnHandling.Reject)
                {
                    problems.Add(new CustomerInputProblem(i, id, name, "not a customer field; define it first, or enable AudienceOptions.AddUnknownFieldsAsStrings."));
                }
                else if (!CustomerFieldSchema.IsValidFieldName(name))
                {
                    problems.Add(new CustomerInputProblem(i, id, name, "not a customer field, and not a valid field name (letters, digits, '_', '-' or '.', starting with a letter, at most 128 characters)."));
                }
                else if (FieldValueConversion.TryConvertToText(raw, out var text, out var error))
                {
                    added[name] = new FieldDefinition(name, FieldType.String);
                    converted[name] = text;
                }
                else
                {
                    problems.Add(new CustomerInputProblem(i, id, name, $"the field {error}."));
                }
            }
        }

        if (problems.Count > 0)
        {
            throw new CustomerInputException(problems);
        }

        return (values, [.. added.Values]);
    }

    /// <summary>
    /// Refuses a schema change that breaks an active journey: each active version is validated against the current and
    /// the proposed schema, and the errors that only the proposed one gives (unknown field, wrong type, in the entry
    /// filter, a filter node, a delay, a binding, an update or a webhook) are the usages. A completed sending stays
    /// active but uses nothing any more: it is left out.
    /// </summary>
    private async ValueTask EnsureUnusedAsync(CustomerFieldSchema current, CustomerFieldSchema proposed, string field, string change, CancellationToken cancellationToken)
    {
        var usages = new List<FieldUsage>();
        await foreach (var latest in journeys.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            var active = await FindActiveAsync(latest, cancellationToken).ConfigureAwait(false);
            if (active is null
                || (Sendings.SendingJourneys.IsSending(active.Id)
                    && Sendings.SendingJourneys.IsCompleted(await statistics.GetAsync(active.Id, null, cancellationToken).ConfigureAwait(false))))
            {
                continue;
            }

            var before = JourneyValidator.Validate(active, current, compiled.Campaigns).Errors
                .Select(static d => (d.Code, d.NodeId, d.Path)).ToHashSet();
            foreach (var error in JourneyValidator.Validate(active, proposed, compiled.Campaigns).Errors)
            {
                if (!before.Contains((error.Code, error.NodeId, error.Path)))
                {
                    usages.Add(new FieldUsage(active.Id, active.Version, error.NodeId, error.Message));
                }
            }
        }

        if (usages.Count > 0)
        {
            throw new CustomerFieldInUseException(field, change, usages);
        }
    }

    /// <summary>The newest active version of a journey (the latest may be a draft of the next one), or null.</summary>
    private async ValueTask<JourneyDefinition?> FindActiveAsync(JourneyRecord latest, CancellationToken cancellationToken)
    {
        for (var version = latest.Journey.Version; version >= 1; version--)
        {
            var record = version == latest.Journey.Version ? latest : await journeys.GetVersionAsync(latest.Journey.Id, version, cancellationToken).ConfigureAwait(false);
            switch (record?.Journey.Status)
            {
                case JourneyStatus.Active:
                    return record.Journey;
                case JourneyStatus.Stopped or JourneyStatus.Archived:
                    return null;
            }
        }

        return null;
    }

    [LoggerMessage(400, LogLevel.Information, "Customer field {Field} defined as {Type}")]
    private static partial void LogFieldDefined(ILogger logger, string field, FieldType type);

    [LoggerMessage(401, LogLevel.Information, "Customer field {Field} removed")]
    private static partial void LogFieldRemoved(ILogger logger, string field);

    [LoggerMessage(402, LogLevel.Information, "Put {Count} customers: {Created} created, {Updated} updated, {Added} fields added")]
    private static partial void LogPut(ILogger logger, int count, int created, int updated, int added);

    [LoggerMessage(408, LogLevel.Information, "Customer erased: profile deleted {Deleted}; {Enrollments} enrollments and {SendRecords} frequency-cap send records deleted, with the customer's events and event ids; taken out of the customer lists of {JourneyLists} journeys")]
    private static partial void LogCustomerErased(ILogger logger, bool deleted, int enrollments, int sendRecords, int journeyLists);

    [LoggerMessage(403, LogLevel.Information, "Customer deleted: {Deleted}; {Cancelled} enrollments cancelled")]
    private static partial void LogCustomerDeleted(ILogger logger, bool deleted, int cancelled);

    [LoggerMessage(404, LogLevel.Information, "List entry into journey {JourneyId}: {Count} customers, {Enrolled} enrollments, {NotEnrolled} not enrolled")]
    private static partial void LogListEntry(ILogger logger, string journeyId, int count, int enrolled, int notEnrolled);
}
