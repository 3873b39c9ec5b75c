using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using Microsoft.Data.Sqlite;

namespace Journeys.Sqlite;

/// <summary>
/// The SQLite file behind the stores: opened, configured (WAL, <c>synchronous</c>, busy timeout) and migrated once at
/// construction, so a bad path, a locked file or a database from a newer library fails at start with a clear message.
/// Writes go through one connection under one async lock (SQLite has one writer; waiting in-process is cheaper than
/// retrying on <c>SQLITE_BUSY</c>), each call one transaction. Point reads use a small pool of reader connections
/// (WAL lets them read while the writer writes); streamed reads open their own connection and read one snapshot.
/// </summary>
internal sealed class SqliteDatabase : IDisposable
{
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly SqliteSession _writer;
    private readonly ConcurrentBag<SqliteSession> _readers = [];
    private readonly string _connectionString;
    private readonly SqliteStoreOptions _options;
    private int _idleReaders;
    private bool _disposed;

    public SqliteDatabase(SqliteStoreOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(options));
        }

        _options = options;
        TimeProvider = timeProvider;
        var builder = new SqliteConnectionStringBuilder(options.ConnectionString)
        {
            DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
        };
        _connectionString = builder.ToString();
        DataSource = builder.DataSource;
        try
        {
            _writer = Open(isWriter: true);
        }
        catch (SqliteException ex)
        {
            throw new InvalidOperationException(
                $"Journeys could not open the SQLite database '{DataSource}': {ex.Message} (SQLite error {ex.SqliteErrorCode}). Check that the directory exists and is writable and that no other process holds the file locked.",
                ex);
        }

        try
        {
            Migrate();
            EventSequence = _writer.Command("SELECT value FROM journeys_meta WHERE key = 'event_seq'").ExecuteScalar() is long last ? last : 0;
            OutboxSequence = Scalar("SELECT COALESCE(MAX(seq), 0) FROM outbox");
            ReadySequence = Scalar("SELECT COALESCE(MAX(sched_at), 0) FROM enrollments WHERE sched_kind = 0");
            CreatedSequence = Scalar("SELECT COALESCE(MAX(created_seq), 0) FROM enrollments");
        }
        catch
        {
            _writer.Dispose();
            SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
            throw;
        }
    }

    /// <summary>The database file, as named in the connection string.</summary>
    public string DataSource { get; }

    public TimeProvider TimeProvider { get; }

    /// <summary>The last customer event sequence number (persisted in <c>journeys_meta</c>). Changed under the write lock only.</summary>
    public long EventSequence { get; set; }

    /// <summary>The last outbox arrival number. Changed under the write lock only.</summary>
    public long OutboxSequence { get; set; }

    /// <summary>The last ready-queue arrival number. Changed under the write lock only.</summary>
    public long ReadySequence { get; set; }

    /// <summary>The last enrollment creation number (orders a customer's enrollments). Changed under the write lock only.</summary>
    public long CreatedSequence { get; set; }

    /// <summary>
    /// Runs <paramref name="work"/> in one write transaction on the writer connection, all or nothing: any exception
    /// rolls the transaction back. SQLite errors are rethrown as <see cref="InvalidOperationException"/> naming the
    /// operation and the file (a busy or locked database says so and names the busy timeout).
    /// </summary>
    public async ValueTask<T> WriteAsync<TState, T>(string operation, TState state, Func<SqliteSession, TState, T> work, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var asked = TimeProvider.GetTimestamp();
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        var granted = TimeProvider.GetTimestamp();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            SqliteTransaction? transaction = null;
            try
            {
                transaction = _writer.Begin();
                var result = work(_writer, state);
                transaction.Commit();
                return result;
            }
            catch (SqliteException ex)
            {
                throw Translate(ex, operation);
            }
            finally
            {
                _writer.Transaction = null;
                transaction?.Dispose();
            }
        }
        finally
        {
            SqliteTelemetry.RecordWrite(TimeProvider, operation, asked, granted);
            _writeLock.Release();
        }
    }

    /// <summary>Runs <paramref name="work"/> on a pooled reader connection (autocommit: each statement reads the latest commit).</summary>
    public T Read<TState, T>(string operation, TState state, Func<SqliteSession, TState, T> work)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var session = RentReader();
        try
        {
            return work(session, state);
        }
        catch (SqliteException ex)
        {
            throw Translate(ex, operation);
        }
        finally
        {
            ReturnReader(session);
        }
    }

    /// <summary>A new connection for a streamed read; the caller begins a transaction on it to read one snapshot and disposes it.</summary>
    public SqliteConnection OpenStreamConnection(string operation)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            return Open(isWriter: false).Connection;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex, operation);
        }
    }

    /// <summary>The exception a caller sees for a SQLite error: what was being done, where, and for busy/locked the timeout.</summary>
    public InvalidOperationException Translate(SqliteException ex, string operation) => ex.SqliteErrorCode is 5 or 6
        ? new InvalidOperationException(
            $"The SQLite database '{DataSource}' is locked by another connection or process: {operation} waited the busy timeout ({_options.BusyTimeout}, SqliteStoreOptions.BusyTimeout) and gave up; nothing of it was written.",
            ex)
        : new InvalidOperationException(
            $"The SQLite store failed to {operation} in '{DataSource}': {ex.Message} (SQLite error {ex.SqliteErrorCode}); nothing of it was written.",
            ex);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _writeLock.Wait();
        try
        {
            _disposed = true;
            while (_readers.TryTake(out var reader))
            {
                reader.Dispose();
            }

            _writer.Dispose();
            SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private SqliteSession RentReader()
    {
        if (_readers.TryTake(out var session))
        {
            Interlocked.Decrement(ref _idleReaders);
            return session;
        }

        return Open(isWriter: false);
    }

    private void ReturnReader(SqliteSession session)
    {
        if (!_disposed && Interlocked.Increment(ref _idleReaders) <= _options.MaxIdleReaders)
        {
            _readers.Add(session);
            return;
        }

        Interlocked.Decrement(ref _idleReaders);
        session.Dispose();
    }

    private SqliteSession Open(bool isWriter)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            var session = new SqliteSession(connection);
            var busy = ((long)_options.BusyTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
            session.Execute($"PRAGMA busy_timeout = {busy};");
            if (isWriter)
            {
                // WAL is a property of the file: set once, it stays. Readers then never block the writer nor it them.
                using var mode = connection.CreateCommand();
                mode.CommandText = "PRAGMA journal_mode = WAL;";
                var journal = mode.ExecuteScalar() as string;
                if (!string.Equals(journal, "wal", StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidOperationException($"The SQLite database '{DataSource}' could not be switched to WAL mode (journal_mode is '{journal}').");
                }
            }

            session.Execute(_options.Synchronous == SqliteSynchronousMode.Full ? "PRAGMA synchronous = FULL;" : "PRAGMA synchronous = NORMAL;");
            return session;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private long Scalar(string sql)
    {
        var command = _writer.Command(sql);
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private void Migrate()
    {
        int found;
        string? foundLibrary;
        try
        {
            _writer.Execute(SqliteSchema.VersionTable);
            using var command = _writer.Connection.CreateCommand();
            command.CommandText = "SELECT version, library FROM journeys_schema_version ORDER BY version DESC LIMIT 1";
            using var reader = command.ExecuteReader();
            (found, foundLibrary) = reader.Read() ? (reader.GetInt32(0), reader.GetString(1)) : (0, null);
        }
        catch (SqliteException ex)
        {
            throw new InvalidOperationException(
                $"Journeys could not read the schema version of the SQLite database '{DataSource}': {ex.Message} (SQLite error {ex.SqliteErrorCode}). Is it a SQLite database, and is it locked by another process?",
                ex);
        }

        var library = LibraryVersion;
        if (found > SqliteSchema.CurrentVersion)
        {
            throw new InvalidOperationException(
                $"The SQLite database '{DataSource}' has Journeys schema version {found} (written by {foundLibrary}), newer than schema version {SqliteSchema.CurrentVersion} that this library ({library}) knows. Upgrade Journeys.Sqlite or use another database file; the database was not changed.");
        }

        for (var version = found + 1; version <= SqliteSchema.CurrentVersion; version++)
        {
            try
            {
                using var transaction = _writer.Begin();
                _writer.Execute(SqliteSchema.Migrations[version - 1]);
                var record = _writer.Command("INSERT INTO journeys_schema_version (version, applied_at, library) VALUES ($version, $at, $library)");
                record.Parameters.AddWithValue("$version", version);
                record.Parameters.AddWithValue("$at", TimeProvider.GetUtcNow().UtcTicks);
                record.Parameters.AddWithValue("$library", library);
                record.ExecuteNonQuery();
                transaction.Commit();
            }
            catch (SqliteException ex)
            {
                throw new InvalidOperationException(
                    $"Journeys could not migrate the SQLite database '{DataSource}' from schema version {version - 1} to {version}: {ex.Message} (SQLite error {ex.SqliteErrorCode}). Nothing of this migration was applied.",
                    ex);
            }
            finally
            {
                _writer.Transaction = null;
            }
        }
    }

    private static string LibraryVersion =>
        "Journeys.Sqlite " + (typeof(SqliteDatabase).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown");
}
