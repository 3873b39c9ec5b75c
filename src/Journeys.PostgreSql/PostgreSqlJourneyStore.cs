using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Journeys.Model;
using Journeys.Serialization;
using Journeys.Storage;
using Npgsql;

namespace Journeys.PostgreSql;

/// <summary>
/// Journey versions in PostgreSQL, as JSON documents (<see cref="JourneyJson"/>) keyed by (journey id, version). Saves of
/// one journey are serialized by a transaction-scoped advisory lock on its id, so two hosts saving at once get one
/// success and one <see cref="JourneyConcurrencyException"/>. ETags come from a sequence and are never reused. A save
/// or a delete notifies every host (<c>NOTIFY</c>, on commit), which then forgets the versions of that journey it
/// compiled.
/// </summary>
internal sealed class PostgreSqlJourneyStore(PostgreSqlDatabase database, TimeProvider timeProvider) : IJourneyStore
{
    /// <summary>
    /// What a read returns: the version, its ETag and time, and its document only when the ETag is not one this store
    /// has already parsed (parameter <paramref name="known"/>: the ETags of the parsed records it may reuse; the document
    /// comes back null when the row's ETag is among them).
    /// </summary>
    private static string Columns(int known) => $"version, etag, updated_at, CASE WHEN etag = ANY(${known}) THEN NULL ELSE definition END";

    /// <summary>The count of changes to journeys (schema version 10): a listing is reused while it has not moved.</summary>
    internal const string ChangesSql = "SELECT changes FROM {s}.journey_changes";

    /// <summary>
    /// The first statement of every transaction that writes journeys: counts the change (a listing read before it commits
    /// is not reused after), and takes the row every such writer takes first, before any journey's advisory lock.
    /// </summary>
    private const string CountChangeSql = "UPDATE {s}.journey_changes SET changes = changes + 1";

    // The last complete listing and the count of changes read with it (in the listing's own statement): returned again
    // while the count has not moved. Records are immutable; the array is never changed once published here.
    private volatile Listing? _listed;

    // Parsed definitions by (journey, version), reused while the row keeps its ETag (from a sequence, never reused: the
    // same ETag means the same document). Every published event, put of customers and filter re-check lists the
    // journeys, and a list intake reads its journey twice per chunk of 1,000: without this each read fetched and parsed
    // the whole document again (a list audience of 100,000 ids is ~2 MB). The latest version read per journey says
    // which record a read of the latest may reuse.
    private readonly ConcurrentDictionary<(string Journey, int Version), JourneyRecord> _parsed = new();
    private readonly ConcurrentDictionary<string, int> _latest = new(StringComparer.Ordinal);

    /// <summary>What every stored document with a customer-list entry holds: its entry's type (docs/json-format.md).</summary>
    private const string ListEntryMarker = "\"customerList\"";

    /// <inheritdoc />
    public ValueTask<JourneyRecord> SaveAsync(JourneyDefinition journey, string? expectedETag, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(journey);
        ArgumentException.ThrowIfNullOrWhiteSpace(journey.Id, nameof(journey));
        return SaveCoreAsync("save journey", journey, expectedETag, null, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// One transaction, under the journey's advisory lock (as every save of it): the ETag is checked, and the version and
    /// the intake are written, after the lock is taken, so of two hosts saving at once the second reads the first's ETag.
    /// </remarks>
    public ValueTask<JourneyRecord> SaveWithIntakeAsync(JourneyDefinition journey, string? expectedETag, JourneyIntake intake, CancellationToken cancellationToken = default)
    {
        StoreArgumentChecks.IntakeOfJourney(journey, intake, nameof(intake));
        return SaveCoreAsync("save journey with its intake", journey, expectedETag, intake, cancellationToken);
    }

    private ValueTask<JourneyRecord> SaveCoreAsync(string operation, JourneyDefinition journey, string? expectedETag, JourneyIntake? intake, CancellationToken cancellationToken)
    {
        var document = JourneyJson.Serialize(journey);

        // A retry after a lost commit reply may find the first attempt's write stored: it is recognised, not refused.
        var attempts = 0;
        return database.InTransactionAsync(operation, async (connection, transaction, token) =>
        {
            var retry = ++attempts > 1;
            await CountChangeAsync(connection, transaction, token).ConfigureAwait(false);
            await LockJourneyAsync(connection, transaction, journey.Id, token).ConfigureAwait(false);

            int? latestVersion = null;
            string? latestETag = null;
            using (var read = database.Command(connection, transaction, "SELECT version, etag FROM {s}.journeys WHERE journey_id = $1 ORDER BY version DESC LIMIT 1"))
            {
                read.Parameters.Add(new NpgsqlParameter<string> { TypedValue = journey.Id });
                using var reader = await read.ExecuteReaderAsync(token).ConfigureAwait(false);
                if (await reader.ReadAsync(token).ConfigureAwait(false))
                {
                    latestVersion = reader.GetInt32(0);
                    latestETag = reader.GetString(1);
                }
            }

            // On a retry, the latest version holding this very document under another ETag than the caller read is the
            // earlier attempt's write (committed, its reply lost): the save succeeded, so its record is returned. With an
            // intake, only when that intake is the pending one: another host's activation may have saved the same document.
            if (retry && latestVersion == journey.Version && !string.Equals(latestETag, expectedETag, StringComparison.Ordinal)
                && (intake is null || await IsPendingAsync(connection, transaction, intake, token).ConfigureAwait(false)))
            {
                using var own = database.Command(connection, transaction, "SELECT etag, updated_at FROM {s}.journeys WHERE journey_id = $1 AND version = $2 AND definition = $3");
                own.Parameters.Add(new NpgsqlParameter<string> { TypedValue = journey.Id });
                own.Parameters.Add(new NpgsqlParameter<int> { TypedValue = journey.Version });
                own.Parameters.Add(new NpgsqlParameter<string> { TypedValue = document });
                using var reader = await own.ExecuteReaderAsync(token).ConfigureAwait(false);
                if (await reader.ReadAsync(token).ConfigureAwait(false))
                {
                    return new JourneyRecord(journey, reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1));
                }
            }

            if (expectedETag is null)
            {
                if (latestVersion is { } existing)
                {
                    throw new JourneyConcurrencyException(
                        $"Journey '{journey.Id}' already exists (latest version {existing}): to update it, pass the ETag read with it.");
                }
            }
            else if (latestVersion is not { } current)
            {
                throw new JourneyConcurrencyException($"Journey '{journey.Id}' does not exist (it was deleted or never created): save it with no ETag to create it.");
            }
            else if (!string.Equals(latestETag, expectedETag, StringComparison.Ordinal))
            {
                throw new JourneyConcurrencyException(
                    $"Journey '{journey.Id}' changed since it was read: expected ETag '{expectedETag}', the latest version {current} has ETag '{latestETag}'.");
            }
            else if (journey.Version != current && journey.Version != current + 1)
            {
                throw new JourneyConcurrencyException(
                    $"Journey '{journey.Id}' version {journey.Version} can not be saved: it must be the latest version ({current}) or the next ({current + 1}).");
            }

            var updatedAt = timeProvider.GetUtcNow();
            using var write = database.Command(connection, transaction, """
                INSERT INTO {s}.journeys (journey_id, version, definition, etag, updated_at)
                VALUES ($1, $2, $3, to_hex(nextval('{s}.etag_seq')), $4)
                ON CONFLICT (journey_id, version) DO UPDATE SET definition = excluded.definition, etag = excluded.etag, updated_at = excluded.updated_at
                RETURNING etag
                """);
            write.Parameters.Add(new NpgsqlParameter<string> { TypedValue = journey.Id });
            write.Parameters.Add(new NpgsqlParameter<int> { TypedValue = journey.Version });
            write.Parameters.Add(new NpgsqlParameter<string> { TypedValue = document });
            write.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = updatedAt.ToUniversalTime() });
            var etag = (string)(await write.ExecuteScalarAsync(token).ConfigureAwait(false))!;

            if (intake is not null)
            {
                await WriteIntakeAsync(connection, transaction, intake, token).ConfigureAwait(false);
            }
            else
            {
                // The pending intake is its activated version's: a stop, an archive or a new version (a draft) ends it.
                using var end = database.Command(connection, transaction, "DELETE FROM {s}.journey_intakes WHERE journey_id = $1 AND NOT ($2 AND version = $3)");
                end.Parameters.Add(new NpgsqlParameter<string> { TypedValue = journey.Id });
                end.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = journey.Status == JourneyStatus.Active });
                end.Parameters.Add(new NpgsqlParameter<int> { TypedValue = journey.Version });
                await end.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            }

            // Other hosts forget what they compiled of this journey (a draft they read, a deleted journey's version 1).
            await database.NotifyAsync(connection, transaction, PostgreSqlDatabase.JourneyPayloadPrefix + journey.Id, token).ConfigureAwait(false);
            return new JourneyRecord(journey, etag, updatedAt);
        }, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>The document is fetched and parsed only when its ETag is not the one last parsed here.</remarks>
    public ValueTask<JourneyRecord?> GetAsync(string journeyId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(journeyId);
        var known = _latest.TryGetValue(journeyId, out var latest) && _parsed.TryGetValue((journeyId, latest), out var record) ? record : null;
        return ReadOneAsync("get journey", "SELECT " + Columns(2) + " FROM {s}.journeys WHERE journey_id = $1 ORDER BY version DESC LIMIT 1", journeyId, null, known, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>The document is fetched and parsed only when its ETag is not the one last parsed here.</remarks>
    public ValueTask<JourneyRecord?> GetVersionAsync(string journeyId, int version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(journeyId);
        var known = _parsed.TryGetValue((journeyId, version), out var record) ? record : null;
        return ReadOneAsync("get journey version", "SELECT " + Columns(3) + " FROM {s}.journeys WHERE journey_id = $1 AND version = $2", journeyId, version, known, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// One query: the server's snapshot when it starts; streamed. Only documents whose ETag changed since they were last
    /// parsed here are fetched and parsed. While the count of changes to journeys (<see cref="ChangesSql"/>) is the one
    /// read with the last complete listing, that listing's records are returned after one small query.
    /// </remarks>
    public async IAsyncEnumerable<JourneyRecord> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Nothing written since the last complete listing: its records (one small query instead of one row per journey).
        if (_listed is { } last && await ReadChangesAsync(cancellationToken).ConfigureAwait(false) == last.Changes)
        {
            foreach (var record in last.Records)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return record;
            }

            yield break;
        }

        // The parsed records the rows may reuse, taken once: each journey's latest version read here (only latest
        // versions are listed). A row whose document comes back null has one of these ETags.
        var known = new Dictionary<string, JourneyRecord>(_latest.Count, StringComparer.Ordinal);
        foreach (var (journeyId, version) in _latest)
        {
            if (_parsed.TryGetValue((journeyId, version), out var record))
            {
                known[record.ETag] = record;
            }
        }

        var listed = new HashSet<string>(StringComparer.Ordinal);
        var records = new List<JourneyRecord>();
        long? changes = null;

        await database.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var connection = await database.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // The count of changes in the same statement, so from the same snapshot as the rows.
            using var command = database.Command(connection, null, "SELECT DISTINCT ON (journey_id) " + Columns(1) + ", journey_id, (" + ChangesSql + ") FROM {s}.journeys ORDER BY journey_id, version DESC");
            command.Parameters.Add(KnownETags(known.Keys));
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var journeyId = reader.GetString(4);
                changes = reader.GetInt64(5);
                listed.Add(journeyId);
                JourneyRecord record;
                if (!reader.IsDBNull(3))
                {
                    record = Parsed(journeyId, reader, latest: true);
                }
                else
                {
                    _latest[journeyId] = reader.GetInt32(0);
                    record = known[reader.GetString(1)];
                }

                records.Add(record);
                yield return record;
            }
        }

        // Listed to the end (an empty listing is not kept: it has no count, and costs nothing to read again).
        if (changes is { } count)
        {
            _listed = new Listing(count, [.. records]);
        }

        // Listed to the end: a journey parsed here and not listed was deleted (by any host), and its records go.
        foreach (var journeyId in _latest.Keys)
        {
            if (!listed.Contains(journeyId))
            {
                ForgetParsed(journeyId);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask<bool> DeleteAsync(string journeyId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(journeyId);
        var deleted = await database.InTransactionAsync("delete journey", async (connection, transaction, token) =>
        {
            await CountChangeAsync(connection, transaction, token).ConfigureAwait(false);
            using (var intake = database.Command(connection, transaction, "DELETE FROM {s}.journey_intakes WHERE journey_id = $1"))
            {
                intake.Parameters.Add(new NpgsqlParameter<string> { TypedValue = journeyId });
                await intake.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            }

            using var command = database.Command(connection, transaction, "DELETE FROM {s}.journeys WHERE journey_id = $1");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = journeyId });
            if (await command.ExecuteNonQueryAsync(token).ConfigureAwait(false) == 0)
            {
                return false;
            }

            // Other hosts forget what they compiled of it: its id may be created again, version 1 then being another
            // definition.
            await database.NotifyAsync(connection, transaction, PostgreSqlDatabase.JourneyPayloadPrefix + journeyId, token).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);

        // Its parsed versions would never be read again (a journey created again gets new ETags): let them go.
        if (deleted)
        {
            ForgetParsed(journeyId);
        }

        return deleted;
    }

    private void ForgetParsed(string journeyId)
    {
        _latest.TryRemove(journeyId, out _);
        foreach (var key in _parsed.Keys)
        {
            if (string.Equals(key.Journey, journeyId, StringComparison.Ordinal))
            {
                _parsed.TryRemove(key, out _);
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// One transaction: only the documents of list journeys (whose entry is written <c>"type":"customerList"</c>,
    /// docs/json-format.md) are parsed, each journey's under its advisory lock (as its saves, taken in id order) and read
    /// again once the lock is held; each version that names the customer is written again with a new ETag, and every host
    /// is told (<c>NOTIFY</c>, on commit) to forget what it compiled of those journeys.
    /// </remarks>
    public async ValueTask<IReadOnlyList<string>> EraseCustomerAsync(string customerId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(customerId);

        // The journeys of every attempt: one whose commit reply was lost changed them, and its retry finds nothing left.
        var changed = new SortedSet<string>(StringComparer.Ordinal);
        await database.InTransactionAsync("erase a customer from journey lists", async (connection, transaction, token) =>
        {
            var candidates = new List<string>();
            using (var list = database.Command(connection, transaction, "SELECT DISTINCT journey_id FROM {s}.journeys WHERE strpos(definition, $1) > 0 ORDER BY journey_id"))
            {
                list.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ListEntryMarker });
                using var reader = await list.ExecuteReaderAsync(token).ConfigureAwait(false);
                while (await reader.ReadAsync(token).ConfigureAwait(false))
                {
                    candidates.Add(reader.GetString(0));
                }
            }

            if (candidates.Count > 0)
            {
                await CountChangeAsync(connection, transaction, token).ConfigureAwait(false);
            }

            var updatedAt = timeProvider.GetUtcNow().ToUniversalTime();
            foreach (var journeyId in candidates)
            {
                await LockJourneyAsync(connection, transaction, journeyId, token).ConfigureAwait(false);

                var rewritten = new List<(int Version, string Definition)>();
                using (var read = database.Command(connection, transaction, "SELECT version, definition FROM {s}.journeys WHERE journey_id = $1 AND strpos(definition, $2) > 0"))
                {
                    read.Parameters.Add(new NpgsqlParameter<string> { TypedValue = journeyId });
                    read.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ListEntryMarker });
                    using var reader = await read.ExecuteReaderAsync(token).ConfigureAwait(false);
                    while (await reader.ReadAsync(token).ConfigureAwait(false))
                    {
                        var journey = JourneyJson.Deserialize(reader.GetString(1));
                        var without = journey.WithoutListedCustomer(customerId);
                        if (!ReferenceEquals(without, journey))
                        {
                            rewritten.Add((reader.GetInt32(0), JourneyJson.Serialize(without)));
                        }
                    }
                }

                foreach (var (version, definition) in rewritten)
                {
                    using var write = database.Command(connection, transaction, "UPDATE {s}.journeys SET definition = $3, etag = to_hex(nextval('{s}.etag_seq')), updated_at = $4 WHERE journey_id = $1 AND version = $2");
                    write.Parameters.Add(new NpgsqlParameter<string> { TypedValue = journeyId });
                    write.Parameters.Add(new NpgsqlParameter<int> { TypedValue = version });
                    write.Parameters.Add(new NpgsqlParameter<string> { TypedValue = definition });
                    write.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = updatedAt });
                    await write.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                }

                if (rewritten.Count > 0)
                {
                    changed.Add(journeyId);
                    await database.NotifyAsync(connection, transaction, PostgreSqlDatabase.JourneyPayloadPrefix + journeyId, token).ConfigureAwait(false);
                }
            }

            return true;
        }, cancellationToken).ConfigureAwait(false);
        return [.. changed];
    }

    /// <inheritdoc />
    public ValueTask SaveIntakeAsync(JourneyIntake intake, CancellationToken cancellationToken = default)
    {
        StoreArgumentChecks.Intake(intake, nameof(intake));
        return new ValueTask(database.ExecuteAsync("save journey intake", (connection, token) => WriteIntakeAsync(connection, null, intake, token), cancellationToken).AsTask());
    }

    /// <summary>Writes <paramref name="intake"/> in place of its journey's pending one.</summary>
    private async ValueTask<int> WriteIntakeAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, JourneyIntake intake, CancellationToken token)
    {
        using var command = database.Command(connection, transaction, """
            INSERT INTO {s}.journey_intakes (journey_id, intake_id, version, opens_at, owner, lease_expires_at) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (journey_id) DO UPDATE SET intake_id = excluded.intake_id, version = excluded.version, opens_at = excluded.opens_at, owner = excluded.owner, lease_expires_at = excluded.lease_expires_at
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = intake.JourneyId });
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = intake.Id });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = intake.Version });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = intake.OpensAt.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)intake.Owner ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = intake.LeaseExpiresAt is { } expires ? expires.ToUniversalTime() : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        return await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
    }

    /// <summary>Whether <paramref name="intake"/> is its journey's pending intake (a retried save finds its earlier attempt's).</summary>
    private async ValueTask<bool> IsPendingAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, JourneyIntake intake, CancellationToken token)
    {
        using var command = database.Command(connection, transaction, "SELECT 1 FROM {s}.journey_intakes WHERE journey_id = $1 AND intake_id = $2");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = intake.JourneyId });
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = intake.Id });
        return await command.ExecuteScalarAsync(token).ConfigureAwait(false) is not null;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<JourneyIntake> ListIntakesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await database.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var connection = await database.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = database.Command(connection, null, "SELECT " + IntakeColumns + " FROM {s}.journey_intakes ORDER BY journey_id");
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return ReadIntake(reader);
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>The row is read <c>FOR UPDATE</c> and updated in one transaction: two hosts' claims are serialized by its lock.</remarks>
    public ValueTask<JourneyIntake?> ClaimIntakeAsync(string journeyId, Guid intakeId, string owner, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        StoreArgumentChecks.IntakeClaim(journeyId, owner, lease);
        return database.InTransactionAsync("claim journey intake", async (connection, transaction, token) =>
        {
            JourneyIntake? intake;
            using (var read = database.Command(connection, transaction, "SELECT " + IntakeColumns + " FROM {s}.journey_intakes WHERE journey_id = $1 AND intake_id = $2 FOR UPDATE"))
            {
                read.Parameters.Add(new NpgsqlParameter<string> { TypedValue = journeyId });
                read.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = intakeId });
                using var reader = await read.ExecuteReaderAsync(token).ConfigureAwait(false);
                intake = await reader.ReadAsync(token).ConfigureAwait(false) ? ReadIntake(reader) : null;
            }

            if (intake is null || (intake.Owner is { } holder && !string.Equals(holder, owner, StringComparison.Ordinal) && intake.LeaseExpiresAt > now))
            {
                return null;
            }

            using var claim = database.Command(connection, transaction, "UPDATE {s}.journey_intakes SET owner = $2, lease_expires_at = $3 WHERE journey_id = $1");
            claim.Parameters.Add(new NpgsqlParameter<string> { TypedValue = journeyId });
            claim.Parameters.Add(new NpgsqlParameter<string> { TypedValue = owner });
            claim.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = (now + lease).ToUniversalTime() });
            await claim.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            return intake;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<bool> CompleteIntakeAsync(string journeyId, Guid intakeId, string owner, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(journeyId);
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        return database.ExecuteAsync("complete journey intake", async (connection, token) =>
        {
            using var command = database.Command(connection, null, "DELETE FROM {s}.journey_intakes WHERE journey_id = $1 AND intake_id = $2 AND owner = $3");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = journeyId });
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = intakeId });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = owner });
            return await command.ExecuteNonQueryAsync(token).ConfigureAwait(false) > 0;
        }, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>The release notifies the journey's change in its transaction, so the intake runners of the other hosts look again at once.</remarks>
    public ValueTask<bool> ReleaseIntakeAsync(string journeyId, Guid intakeId, string owner, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(journeyId);
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        return database.InTransactionAsync("release journey intake", async (connection, transaction, token) =>
        {
            using var command = database.Command(connection, transaction, "UPDATE {s}.journey_intakes SET lease_expires_at = $4 WHERE journey_id = $1 AND intake_id = $2 AND owner = $3");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = journeyId });
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = intakeId });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = owner });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now.ToUniversalTime() });
            if (await command.ExecuteNonQueryAsync(token).ConfigureAwait(false) == 0)
            {
                return false;
            }

            await database.NotifyAsync(connection, transaction, PostgreSqlDatabase.JourneyPayloadPrefix + journeyId, token).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <summary>The count of changes to journeys (<see cref="ChangesSql"/>).</summary>
    private ValueTask<long> ReadChangesAsync(CancellationToken cancellationToken) =>
        database.ExecuteAsync("read the count of journey changes", async (connection, token) =>
        {
            using var command = database.Command(connection, null, ChangesSql);
            return (long)(await command.ExecuteScalarAsync(token).ConfigureAwait(false))!;
        }, cancellationToken);

    /// <summary>A complete listing's records and the count of changes read with them.</summary>
    private sealed record Listing(long Changes, JourneyRecord[] Records);

    /// <summary>Counts a change to journeys (<see cref="CountChangeSql"/>): the first statement of every transaction that writes them.</summary>
    private async Task CountChangeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        using var command = database.Command(connection, transaction, CountChangeSql);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Takes the journey's transaction-scoped advisory lock, which every save of it (and an erasure changing it) holds.</summary>
    private static async Task LockJourneyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string journeyId, CancellationToken cancellationToken)
    {
        using var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended('journeys.journey:' || $1, 0))", connection, transaction);
        lockCommand.Parameters.Add(new NpgsqlParameter<string> { TypedValue = journeyId });
        await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private const string IntakeColumns = "intake_id, journey_id, version, opens_at, owner, lease_expires_at";

    private static JourneyIntake ReadIntake(NpgsqlDataReader reader) =>
        new(reader.GetGuid(0), reader.GetString(1), reader.GetInt32(2), reader.GetFieldValue<DateTimeOffset>(3))
        {
            Owner = reader.IsDBNull(4) ? null : reader.GetString(4),
            LeaseExpiresAt = reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
        };

    /// <summary>Reads one version (<paramref name="sql"/> over <see cref="Columns(int)"/>, the known ETags its last parameter), reusing <paramref name="known"/> when the row still has its ETag.</summary>
    private ValueTask<JourneyRecord?> ReadOneAsync(string operation, string sql, string journeyId, int? version, JourneyRecord? known, CancellationToken cancellationToken) =>
        database.ExecuteAsync(operation, async (connection, token) =>
        {
            using var command = database.Command(connection, null, sql);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = journeyId });
            if (version is { } v)
            {
                command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = v });
            }

            command.Parameters.Add(KnownETags(known is null ? [] : [known.ETag]));
            using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            if (!await reader.ReadAsync(token).ConfigureAwait(false))
            {
                // Gone (deleted, here or by another host): what was parsed of the journey, or of that version, goes too.
                if (version is null)
                {
                    ForgetParsed(journeyId);
                }
                else
                {
                    _parsed.TryRemove((journeyId, version.Value), out _);
                }

                return null;
            }

            // A null document: the row's ETag is the known record's (the only one passed).
            return reader.IsDBNull(3) ? known : Parsed(journeyId, reader, latest: version is null);
        }, cancellationToken);

    private static NpgsqlParameter<string[]> KnownETags(IEnumerable<string> etags) => new() { TypedValue = [.. etags] };

    /// <summary>
    /// The record of the current row (its document fetched), parsed and kept for the reads that find it unchanged; with
    /// <paramref name="latest"/>, the row is the journey's latest version.
    /// </summary>
    private JourneyRecord Parsed(string journeyId, NpgsqlDataReader reader, bool latest)
    {
        var version = reader.GetInt32(0);
        var record = new JourneyRecord(JourneyJson.Deserialize(reader.GetString(3)), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2));
        _parsed[(journeyId, version)] = record;
        if (latest)
        {
            _latest[journeyId] = version;
        }

        // The journey's versions below this one are dropped: the cache keeps what was read since the journey's latest
        // moved, not every version ever read (a journey activated again and again with a list audience kept each
        // version's whole document). An older version read again is parsed again (rare: the engine keeps compiled
        // journeys; the active version under a draft stays, being read after it).
        foreach (var (key, _) in _parsed)
        {
            if (key.Version < version && string.Equals(key.Journey, journeyId, StringComparison.Ordinal))
            {
                _parsed.TryRemove(key, out _);
            }
        }

        return record;
    }

    /// <summary>How many parsed records are kept (tests).</summary>
    internal int ParsedCount => _parsed.Count;
}
