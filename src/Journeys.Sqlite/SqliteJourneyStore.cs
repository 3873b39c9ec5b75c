using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Journeys.Model;
using Journeys.Serialization;
using Journeys.Storage;
using Microsoft.Data.Sqlite;

namespace Journeys.Sqlite;

/// <summary>
/// Journey versions in the <c>journey_versions</c> table, one row per version, the definition as its JSON document
/// (<see cref="JourneyJson"/>). Same semantics as the in-memory store; an ETag is a new random id per save.
/// </summary>
internal sealed class SqliteJourneyStore : IJourneyStore
{
    private const string Columns = "document, etag, updated_at";

    // The reads of ETags alone, each answered from the covering index ix_journey_versions_etag (schema version 6): a
    // row holds its document before its ETag, so reading the ETag from the table walks the whole document.
    internal const string LatestETagSql = "SELECT journey_id, version, etag FROM journey_versions WHERE journey_id = $id ORDER BY version DESC LIMIT 1";
    internal const string VersionETagSql = "SELECT etag FROM journey_versions INDEXED BY ix_journey_versions_etag WHERE journey_id = $id AND version = $version";
    internal const string ListETagsSql = """
        SELECT journey_id, version, etag FROM journey_versions v
        WHERE version = (SELECT MAX(version) FROM journey_versions l WHERE l.journey_id = v.journey_id)
        ORDER BY journey_id
        """;

    /// <summary>The count of changes to journey_versions (kept by the triggers of schema version 9).</summary>
    internal const string ChangeCountSql = "SELECT value FROM journeys_meta WHERE key = 'journeys_changed'";

    /// <summary>What every stored document with a customer-list entry holds: its entry's type (docs/json-format.md).</summary>
    private static readonly byte[] ListEntryMarker = "\"customerList\""u8.ToArray();

    private readonly SqliteDatabase _database;

    // Parsed definitions by (journey, version), reused while the row keeps its ETag (a new random id per save, so the
    // same ETag means the same document). The engine lists journeys after every commit that changes customer fields;
    // without this each listing parsed every document again (a list audience can hold thousands of ids).
    private readonly ConcurrentDictionary<(string Journey, int Version), JourneyRecord> _parsed = new();

    // The last listing and the change count it was read at (schema version 9's journeys_changed): reused while the count
    // has not moved. Records are immutable and the list is never changed once published here.
    private volatile Listing? _listed;

    public SqliteJourneyStore(SqliteDatabase database)
    {
        _database = database;
    }

    /// <inheritdoc />
    public ValueTask<JourneyRecord> SaveAsync(JourneyDefinition journey, string? expectedETag, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(journey);
        ArgumentException.ThrowIfNullOrWhiteSpace(journey.Id, nameof(journey));
        return SaveCoreAsync("save journey", journey, expectedETag, null, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>One write (inside the writer's transaction, in its own savepoint): the ETag is checked and the version and the intake written in it.</remarks>
    public ValueTask<JourneyRecord> SaveWithIntakeAsync(JourneyDefinition journey, string? expectedETag, JourneyIntake intake, CancellationToken cancellationToken = default)
    {
        StoreArgumentChecks.IntakeOfJourney(journey, intake, nameof(intake));
        return SaveCoreAsync("save journey with its intake", journey, expectedETag, intake, cancellationToken);
    }

    private async ValueTask<JourneyRecord> SaveCoreAsync(string operation, JourneyDefinition journey, string? expectedETag, JourneyIntake? intake, CancellationToken cancellationToken)
    {
        var document = JourneyJson.SerializeToUtf8Bytes(journey);
        var record = new JourneyRecord(journey, Guid.NewGuid().ToString("N"), _database.TimeProvider.GetUtcNow());
        return await _database.WriteAsync(operation, (journey, expectedETag, intake, document, record), static (session, s) =>
        {
            var (journey, expectedETag, intake, document, record) = s;
            var latest = session.Command("SELECT version, etag FROM journey_versions WHERE journey_id = $id ORDER BY version DESC LIMIT 1");
            latest.Parameters.AddWithValue("$id", journey.Id);
            (int Version, string ETag)? current = null;
            using (var reader = latest.ExecuteReader())
            {
                if (reader.Read())
                {
                    current = (reader.GetInt32(0), reader.GetString(1));
                }
            }

            if (expectedETag is null)
            {
                if (current is { } existing)
                {
                    throw new JourneyConcurrencyException(
                        $"Journey '{journey.Id}' already exists (latest version {existing.Version}): to update it, pass the ETag read with it.");
                }
            }
            else if (current is not { } latestVersion)
            {
                throw new JourneyConcurrencyException($"Journey '{journey.Id}' does not exist (it was deleted or never created): save it with no ETag to create it.");
            }
            else if (!string.Equals(latestVersion.ETag, expectedETag, StringComparison.Ordinal))
            {
                throw new JourneyConcurrencyException(
                    $"Journey '{journey.Id}' changed since it was read: expected ETag '{expectedETag}', the latest version {latestVersion.Version} has ETag '{latestVersion.ETag}'.");
            }
            else if (journey.Version != latestVersion.Version && journey.Version != latestVersion.Version + 1)
            {
                throw new JourneyConcurrencyException(
                    $"Journey '{journey.Id}' version {journey.Version} can not be saved: it must be the latest version ({latestVersion.Version}) or the next ({latestVersion.Version + 1}).");
            }

            var save = session.Command("""
                INSERT INTO journey_versions (journey_id, version, document, etag, updated_at) VALUES ($id, $version, $document, $etag, $at)
                ON CONFLICT (journey_id, version) DO UPDATE SET document = excluded.document, etag = excluded.etag, updated_at = excluded.updated_at
                """);
            save.Parameters.AddWithValue("$id", journey.Id);
            save.Parameters.AddWithValue("$version", journey.Version);
            save.Parameters.AddWithValue("$document", document);
            save.Parameters.AddWithValue("$etag", record.ETag);
            save.Parameters.AddWithValue("$at", record.UpdatedAt.UtcTicks);
            save.ExecuteNonQuery();

            if (intake is not null)
            {
                WriteIntake(session, intake);
                return record;
            }

            // The pending intake is its activated version's: a stop, an archive or a new version (a draft) ends it.
            var end = session.Command("DELETE FROM journey_intakes WHERE journey_id = $id AND NOT ($active AND version = $version)");
            end.Parameters.AddWithValue("$id", journey.Id);
            end.Parameters.AddWithValue("$active", journey.Status == JourneyStatus.Active);
            end.Parameters.AddWithValue("$version", journey.Version);
            end.ExecuteNonQuery();
            return record;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<JourneyRecord?> GetAsync(string journeyId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(journeyId);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_database.Read("read a journey", (this, journeyId), static (session, s) =>
        {
            var command = session.Command(LatestETagSql);
            command.Parameters.AddWithValue("$id", s.journeyId);
            (string Journey, int Version, string ETag)? latest;
            using (var reader = command.ExecuteReader())
            {
                latest = reader.Read() ? (reader.GetString(0), reader.GetInt32(1), reader.GetString(2)) : null;
            }

            return latest is { } row ? s.Item1.Resolve(session, row.Journey, row.Version, row.ETag) : null;
        }));
    }

    /// <inheritdoc />
    public ValueTask<JourneyRecord?> GetVersionAsync(string journeyId, int version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(journeyId);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_database.Read("read a journey version", (this, journeyId, version), static (session, s) =>
        {
            var command = session.Command(VersionETagSql);
            command.Parameters.AddWithValue("$id", s.journeyId);
            command.Parameters.AddWithValue("$version", s.version);
            return command.ExecuteScalar() is string etag ? s.Item1.Resolve(session, s.journeyId, s.version, etag) : null;
        }));
    }

    /// <inheritdoc />
    /// <remarks>
    /// Read from one snapshot (a read transaction) when the enumeration starts, in id order (SQLite's binary order of
    /// UTF-8, which is ordinal order); only documents whose ETag changed since they were last read are parsed. When the
    /// count of changes to journey_versions (schema version 9's triggers) is the one of the last listing, that listing's
    /// records are returned without reading the versions again.
    /// </remarks>
    public async IAsyncEnumerable<JourneyRecord> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var records = _database.Read("list journeys", this, static (session, store) =>
        {
            using var transaction = session.Connection.BeginTransaction(deferred: true);
            session.Transaction = transaction;
            try
            {
                var changes = session.Command(ChangeCountSql).ExecuteScalar() is long count ? count : throw new InvalidOperationException("The SQLite database has no journeys_changed count (schema version 9).");
                if (store._listed is { } listed && listed.Changes == changes)
                {
                    transaction.Commit();
                    return listed.Records;
                }

                var command = session.Command(ListETagsSql);
                var latest = new List<(string Journey, int Version, string ETag)>();
                using (var reader = command.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        latest.Add((reader.GetString(0), reader.GetInt32(1), reader.GetString(2)));
                    }
                }

                var records = new List<JourneyRecord>(latest.Count);
                foreach (var (journey, version, etag) in latest)
                {
                    if (store.Resolve(session, journey, version, etag) is { } record)
                    {
                        records.Add(record);
                    }
                }

                transaction.Commit();
                store._listed = new Listing(changes, records);
                return records;
            }
            finally
            {
                session.Transaction = null;
            }
        });
        foreach (var record in records)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return record;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<bool> DeleteAsync(string journeyId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(journeyId);
        var deleted = await _database.WriteAsync("delete a journey", journeyId, static (session, id) =>
        {
            var intake = session.Command("DELETE FROM journey_intakes WHERE journey_id = $id");
            intake.Parameters.AddWithValue("$id", id);
            intake.ExecuteNonQuery();
            var command = session.Command("DELETE FROM journey_versions WHERE journey_id = $id");
            command.Parameters.AddWithValue("$id", id);
            return command.ExecuteNonQuery() > 0;
        }, cancellationToken).ConfigureAwait(false);
        foreach (var key in _parsed.Keys)
        {
            if (string.Equals(key.Journey, journeyId, StringComparison.Ordinal))
            {
                _parsed.TryRemove(key, out _);
            }
        }

        return deleted;
    }

    /// <inheritdoc />
    /// <remarks>
    /// One write: only the documents of list journeys (whose entry is written <c>"type":"customerList"</c>,
    /// docs/json-format.md) are parsed; each version that names the customer is written again with a new ETag.
    /// </remarks>
    public async ValueTask<IReadOnlyList<string>> EraseCustomerAsync(string customerId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(customerId);
        var at = _database.TimeProvider.GetUtcNow();
        return await _database.WriteAsync("erase a customer from journey lists", (customerId, at), static (session, s) =>
        {
            var rewritten = new List<(string Journey, int Version, byte[] Document)>();
            var read = session.Command("SELECT journey_id, version, document FROM journey_versions WHERE instr(document, $list) > 0 ORDER BY journey_id, version");
            read.Parameters.AddWithValue("$list", ListEntryMarker);
            using (var reader = read.ExecuteReader())
            {
                while (reader.Read())
                {
                    var journey = JourneyJson.Deserialize(SqliteValues.Blob(reader, 2));
                    var without = journey.WithoutListedCustomer(s.customerId);
                    if (!ReferenceEquals(without, journey))
                    {
                        rewritten.Add((reader.GetString(0), reader.GetInt32(1), JourneyJson.SerializeToUtf8Bytes(without)));
                    }
                }
            }

            var changed = new List<string>();
            foreach (var (journey, version, document) in rewritten)
            {
                var write = session.Command("UPDATE journey_versions SET document = $document, etag = $etag, updated_at = $at WHERE journey_id = $id AND version = $version");
                write.Parameters.AddWithValue("$document", document);
                write.Parameters.AddWithValue("$etag", Guid.NewGuid().ToString("N"));
                write.Parameters.AddWithValue("$at", s.at.UtcTicks);
                write.Parameters.AddWithValue("$id", journey);
                write.Parameters.AddWithValue("$version", version);
                write.ExecuteNonQuery();
                if (changed.Count == 0 || !string.Equals(changed[^1], journey, StringComparison.Ordinal))
                {
                    changed.Add(journey);
                }
            }

            return (IReadOnlyList<string>)changed;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask SaveIntakeAsync(JourneyIntake intake, CancellationToken cancellationToken = default)
    {
        StoreArgumentChecks.Intake(intake, nameof(intake));
        await _database.WriteAsync("save a journey intake", intake, static (session, intake) =>
        {
            WriteIntake(session, intake);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes <paramref name="intake"/> in place of its journey's pending one.</summary>
    private static void WriteIntake(SqliteSession session, JourneyIntake intake)
    {
        var command = session.Command("""
            INSERT INTO journey_intakes (journey_id, intake_id, version, opens_at, owner, lease_expires_at) VALUES ($id, $intake, $version, $opens, $owner, $expires)
            ON CONFLICT (journey_id) DO UPDATE SET intake_id = excluded.intake_id, version = excluded.version, opens_at = excluded.opens_at, owner = excluded.owner, lease_expires_at = excluded.lease_expires_at
            """);
        command.Parameters.AddWithValue("$id", intake.JourneyId);
        command.Parameters.AddWithValue("$intake", SqliteValues.Id(intake.Id));
        command.Parameters.AddWithValue("$version", intake.Version);
        command.Parameters.AddWithValue("$opens", SqliteValues.Ticks(intake.OpensAt));
        command.Parameters.AddWithValue("$owner", (object?)intake.Owner ?? DBNull.Value);
        command.Parameters.AddWithValue("$expires", SqliteValues.Ticks(intake.LeaseExpiresAt));
        command.ExecuteNonQuery();
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<JourneyIntake> ListIntakesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var intakes = _database.Read("list journey intakes", 0, static (session, _) =>
        {
            var command = session.Command("SELECT intake_id, journey_id, version, opens_at, owner, lease_expires_at FROM journey_intakes ORDER BY journey_id");
            var intakes = new List<JourneyIntake>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                intakes.Add(ReadIntake(reader));
            }

            return intakes;
        });
        foreach (var intake in intakes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return intake;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<JourneyIntake?> ClaimIntakeAsync(string journeyId, Guid intakeId, string owner, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        StoreArgumentChecks.IntakeClaim(journeyId, owner, lease);
        return await _database.WriteAsync("claim a journey intake", (journeyId, intakeId, owner, now, lease), static (session, s) =>
        {
            var read = session.Command("SELECT intake_id, journey_id, version, opens_at, owner, lease_expires_at FROM journey_intakes WHERE journey_id = $id AND intake_id = $intake");
            read.Parameters.AddWithValue("$id", s.journeyId);
            read.Parameters.AddWithValue("$intake", SqliteValues.Id(s.intakeId));
            JourneyIntake? intake;
            using (var reader = read.ExecuteReader())
            {
                intake = reader.Read() ? ReadIntake(reader) : null;
            }

            if (intake is null || (intake.Owner is { } holder && !string.Equals(holder, s.owner, StringComparison.Ordinal) && intake.LeaseExpiresAt > s.now))
            {
                return null;
            }

            var claim = session.Command("UPDATE journey_intakes SET owner = $owner, lease_expires_at = $expires WHERE journey_id = $id");
            claim.Parameters.AddWithValue("$owner", s.owner);
            claim.Parameters.AddWithValue("$expires", SqliteValues.Ticks(s.now + s.lease));
            claim.Parameters.AddWithValue("$id", s.journeyId);
            claim.ExecuteNonQuery();
            return intake;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<bool> CompleteIntakeAsync(string journeyId, Guid intakeId, string owner, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(journeyId);
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        return await _database.WriteAsync("complete a journey intake", (journeyId, intakeId, owner), static (session, s) =>
        {
            var command = session.Command("DELETE FROM journey_intakes WHERE journey_id = $id AND intake_id = $intake AND owner = $owner");
            command.Parameters.AddWithValue("$id", s.journeyId);
            command.Parameters.AddWithValue("$intake", SqliteValues.Id(s.intakeId));
            command.Parameters.AddWithValue("$owner", s.owner);
            return command.ExecuteNonQuery() > 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<bool> ReleaseIntakeAsync(string journeyId, Guid intakeId, string owner, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(journeyId);
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        return await _database.WriteAsync("release a journey intake", (journeyId, intakeId, owner, now), static (session, s) =>
        {
            var command = session.Command("UPDATE journey_intakes SET lease_expires_at = $expires WHERE journey_id = $id AND intake_id = $intake AND owner = $owner");
            command.Parameters.AddWithValue("$expires", SqliteValues.Ticks(s.now));
            command.Parameters.AddWithValue("$id", s.journeyId);
            command.Parameters.AddWithValue("$intake", SqliteValues.Id(s.intakeId));
            command.Parameters.AddWithValue("$owner", s.owner);
            return command.ExecuteNonQuery() > 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    private static JourneyIntake ReadIntake(SqliteDataReader reader) => new(SqliteValues.Id(reader, 0), reader.GetString(1), reader.GetInt32(2), SqliteValues.Time(reader.GetInt64(3)))
    {
        Owner = SqliteValues.NullableText(reader, 4),
        LeaseExpiresAt = SqliteValues.NullableTime(reader, 5),
    };

    /// <summary>
    /// The record of a version whose ETag was just read: the parsed one when it has that ETag, else the row read and
    /// parsed again (document, ETag and time from one statement, so they always belong together). Null when the
    /// version is gone.
    /// </summary>
    private JourneyRecord? Resolve(SqliteSession session, string journeyId, int version, string etag)
    {
        if (_parsed.TryGetValue((journeyId, version), out var known) && string.Equals(known.ETag, etag, StringComparison.Ordinal))
        {
            return known;
        }

        var command = session.Command($"SELECT {Columns} FROM journey_versions WHERE journey_id = $id AND version = $version");
        command.Parameters.AddWithValue("$id", journeyId);
        command.Parameters.AddWithValue("$version", version);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        var record = ReadRecord(reader);
        _parsed[(journeyId, version)] = record;
        ForgetOlder(journeyId, version);
        return record;
    }

    /// <summary>
    /// Drops the parsed records of the journey's versions below <paramref name="version"/>, just parsed: the cache keeps
    /// what was read since the journey's latest moved, not every version ever read (a journey activated again and again
    /// with a list audience kept each version's whole document). An older version read again is parsed again (rare:
    /// the compiled journeys are kept by the engine; the active version under a draft stays, being read after it).
    /// </summary>
    private void ForgetOlder(string journeyId, int version)
    {
        foreach (var (key, _) in _parsed)
        {
            if (key.Version < version && string.Equals(key.Journey, journeyId, StringComparison.Ordinal))
            {
                _parsed.TryRemove(key, out _);
            }
        }
    }

    /// <summary>How many parsed records are kept (tests).</summary>
    internal int ParsedCount => _parsed.Count;

    private static JourneyRecord ReadRecord(SqliteDataReader reader) => new(
        JourneyJson.Deserialize(SqliteValues.Blob(reader, 0)),
        reader.GetString(1),
        SqliteValues.Time(reader.GetInt64(2)));

    /// <summary>A listing's records and the change count read in its snapshot.</summary>
    private sealed record Listing(long Changes, List<JourneyRecord> Records);
}
