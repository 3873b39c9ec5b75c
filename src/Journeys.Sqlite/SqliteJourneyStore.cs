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
    private readonly SqliteDatabase _database;

    public SqliteJourneyStore(SqliteDatabase database)
    {
        _database = database;
    }

    /// <inheritdoc />
    public async ValueTask<JourneyRecord> SaveAsync(JourneyDefinition journey, string? expectedETag, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(journey);
        ArgumentException.ThrowIfNullOrWhiteSpace(journey.Id, nameof(journey));
        var document = JourneyJson.SerializeToUtf8Bytes(journey);
        var record = new JourneyRecord(journey, Guid.NewGuid().ToString("N"), _database.TimeProvider.GetUtcNow());
        return await _database.WriteAsync("save journey", (journey, expectedETag, document, record), static (session, s) =>
        {
            var (journey, expectedETag, document, record) = s;
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
            return record;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<JourneyRecord?> GetAsync(string journeyId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(journeyId);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_database.Read("read a journey", journeyId, static (session, id) =>
        {
            var command = session.Command($"SELECT {Columns} FROM journey_versions WHERE journey_id = $id ORDER BY version DESC LIMIT 1");
            command.Parameters.AddWithValue("$id", id);
            using var reader = command.ExecuteReader();
            return reader.Read() ? ReadRecord(reader) : null;
        }));
    }

    /// <inheritdoc />
    public ValueTask<JourneyRecord?> GetVersionAsync(string journeyId, int version, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(journeyId);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_database.Read("read a journey version", (journeyId, version), static (session, s) =>
        {
            var command = session.Command($"SELECT {Columns} FROM journey_versions WHERE journey_id = $id AND version = $version");
            command.Parameters.AddWithValue("$id", s.journeyId);
            command.Parameters.AddWithValue("$version", s.version);
            using var reader = command.ExecuteReader();
            return reader.Read() ? ReadRecord(reader) : null;
        }));
    }

    /// <inheritdoc />
    /// <remarks>Read from one snapshot on a connection of its own, streamed in id order (SQLite's binary order of UTF-8, which is ordinal order).</remarks>
    public async IAsyncEnumerable<JourneyRecord> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var connection = _database.OpenStreamConnection("list journeys");
        using var transaction = connection.BeginTransaction(deferred: true);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"""
            SELECT {Columns} FROM journey_versions v
            WHERE version = (SELECT MAX(version) FROM journey_versions l WHERE l.journey_id = v.journey_id)
            ORDER BY journey_id
            """;
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return ReadRecord(reader);
        }
    }

    /// <inheritdoc />
    public async ValueTask<bool> DeleteAsync(string journeyId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(journeyId);
        return await _database.WriteAsync("delete a journey", journeyId, static (session, id) =>
        {
            var command = session.Command("DELETE FROM journey_versions WHERE journey_id = $id");
            command.Parameters.AddWithValue("$id", id);
            return command.ExecuteNonQuery() > 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    private static JourneyRecord ReadRecord(SqliteDataReader reader) => new(
        JourneyJson.Deserialize(SqliteValues.Blob(reader, 0)),
        reader.GetString(1),
        SqliteValues.Time(reader.GetInt64(2)));
}
