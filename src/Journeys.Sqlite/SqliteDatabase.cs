using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Journeys.Sqlite;

/// <summary>
/// The SQLite file behind the stores: opened, configured (WAL, <c>synchronous</c>, busy timeout) and migrated once at
/// construction, so a bad path, a locked file or a database from a newer library fails at start with a clear message.
/// Writes go through one connection under one async lock (SQLite has one writer; waiting in-process is cheaper than
/// retrying on <c>SQLITE_BUSY</c>), each call one transaction. Point reads use a small pool of reader connections
/// (WAL lets them read while the writer writes); streamed reads open their own connection and read one snapshot.
/// </summary>
internal sealed partial class SqliteDatabase : IDisposable
{
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Queue<PendingWrite> _queue = new();
    private readonly SqliteSession _checkpointer;
    private readonly SemaphoreSlim _checkpointSignal = new(0, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _checkpointLoop;
    private bool _draining;
    private int _checkpointRequested;
    private volatile bool _checkpointByWriter;
    private readonly SqliteSession _writer;
    private readonly ConcurrentBag<SqliteSession> _readers = [];
    private readonly string _connectionString;
    private readonly SqliteStoreOptions _options;
    private int _idleReaders;
    private bool _disposed;

    // The host's hold on the file: an OS lock (flock on Unix, a share lock on Windows) on '<Data Source>.lock', released
    // by Dispose or by the OS when the process dies, so a killed host's successor opens the file at once.
    private readonly FileStream? _hostLock;

    /// <param name="options">The options.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">Where the background checkpointer's failure is logged.</param>
    /// <param name="exclusive">
    /// Hold <see cref="LockPath"/> while open, refusing a second opener of the file (in this process or another). Only
    /// tests that stand for two processes whose lock does not hold (a file system without locks) pass false.
    /// </param>
    public SqliteDatabase(SqliteStoreOptions options, TimeProvider timeProvider, ILogger? logger = null, bool exclusive = true)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _logger = logger ?? NullLogger.Instance;
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

        // The file SQLite opened, not the Data Source's text: a 'file:' URI or '|DataDirectory|' names it otherwise.
        LockPath = SQLitePCL.raw.sqlite3_db_filename(_writer.Connection.Handle, "main").utf8_to_string() + ".lock";
        if (exclusive)
        {
            try
            {
                _hostLock = new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _writer.Dispose();
                SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
                throw new InvalidOperationException(
                    ex is UnauthorizedAccessException
                        ? $"Journeys could not create or open the lock file '{LockPath}' of the SQLite database '{DataSource}': {ex.Message} The folder of the database must be writable."
                        : $"Journeys could not lock '{LockPath}' for the SQLite database '{DataSource}': another Journeys host, in this process or another, has the database open ({ex.Message}). One SQLite file serves one host (its work is leased in-process, so two hosts would both do it): stop the other host, give this one its own file, or share the work of several hosts on PostgreSQL.",
                    ex);
            }
        }

        try
        {
            Migrate();
            EventSequence = _writer.Command("SELECT value FROM journeys_meta WHERE key = 'event_seq'").ExecuteScalar() is long last ? last : 0;
            OutboxSequence = Scalar("SELECT COALESCE(MAX(seq), 0) FROM outbox");
            ReadySequence = Scalar("SELECT COALESCE(MAX(sched_at), 0) FROM enrollments WHERE sched_kind = 0");
            CreatedSequence = Scalar("SELECT COALESCE(MAX(created_seq), 0) FROM enrollments");
            _checkpointer = Open(isWriter: false);
        }
        catch
        {
            _writer.Dispose();
            SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
            _hostLock?.Dispose();
            throw;
        }
        // The writer does not checkpoint the WAL in its commits (SQLite's default, every 1,000 pages, made about a
        // tenth of the writer's time): a connection of its own does, in the background, after commits.
        _writer.Execute("PRAGMA wal_autocheckpoint = 0;");
        _checkpointLoop = Task.Run(CheckpointLoopAsync);
    }

    /// <summary>WAL size (pages) above which the writer checkpoints itself after its next commit, as SQLite's default would.</summary>
    internal const int WalPagesLimit = 4_000;

    /// <summary>The lock file held while the database is open: the full path of the file SQLite opened and <c>.lock</c>.</summary>
    public string LockPath { get; }

    /// <summary>The last background checkpoint's failure, if one failed (the writer then checkpoints itself again).</summary>
    internal Exception? CheckpointFailure { get; private set; }

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
    /// Runs <paramref name="work"/> on the writer connection, all or nothing: any exception undoes what it wrote. SQLite
    /// errors are rethrown as <see cref="InvalidOperationException"/> naming the operation and the file (a busy or locked
    /// database says so and names the busy timeout). The returned task completes once the write is committed.
    /// </summary>
    /// <remarks>
    /// Writes queue for the one writer in arrival order. When several are queued, up to <see cref="MaxGroup"/> of them
    /// run in one transaction (group commit), each inside its own savepoint: one that throws is rolled back to its
    /// savepoint alone and its caller gets the exception, the others are committed together; if the transaction itself
    /// is lost (SQLite rolled it back, or the commit failed) every write of the group fails and nothing of it is
    /// written. A caller learns of its write only after that commit, so nothing reported written can be lost that a
    /// transaction of its own would have kept (same <c>synchronous</c> setting, same commit). A write alone in the queue
    /// runs as before, in a transaction of its own on the caller's thread.
    /// </remarks>
    public ValueTask<T> WriteAsync<TState, T>(string operation, TState state, Func<SqliteSession, TState, T> work, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<T>(cancellationToken);
        }

        var write = new PendingWrite<TState, T>(operation, state, work, TimeProvider.GetTimestamp(), cancellationToken);
        bool drain;
        lock (_queue)
        {
            _queue.Enqueue(write);
            drain = !_draining;
            _draining = true;
        }

        if (drain)
        {
            // The writer was idle: this caller runs the group itself (its own write first), as the lock did before.
            DrainOnce();
        }

        return new ValueTask<T>(write.Task);
    }

    /// <summary>The most writes one transaction carries (bounds how long the first of them waits for its commit).</summary>
    internal const int MaxGroup = 16;

    /// <summary>Runs one group of queued writes, then hands the next group (if any) to the thread pool.</summary>
    private void DrainOnce()
    {
        var group = new List<PendingWrite>(4);
        lock (_queue)
        {
            while (group.Count < MaxGroup && _queue.TryDequeue(out var next))
            {
                group.Add(next);
            }
        }

        try
        {
            RunGroup(group);
        }
        finally
        {
            bool more;
            lock (_queue)
            {
                more = _queue.Count > 0;
                _draining = more;
            }

            if (more)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static database => database.DrainOnce(), this, preferLocal: false);
            }
        }
    }

    private void RunGroup(List<PendingWrite> group)
    {
        _writeLock.Wait();
        try
        {
            var live = new List<PendingWrite>(group.Count);
            foreach (var write in group)
            {
                if (_disposed)
                {
                    write.Fail(new ObjectDisposedException(nameof(SqliteDatabase)));
                }
                else if (write.TryStart())
                {
                    live.Add(write);
                }
            }

            if (live.Count == 0)
            {
                return;
            }

            SqliteTransaction? transaction = null;
            var commitAsked = 0L;
            var committed = false;
            Exception? lostTo = null;
            try
            {
                transaction = _writer.Begin();
                var grouped = live.Count > 1;
                foreach (var write in live)
                {
                    write.Granted = TimeProvider.GetTimestamp();
                    if (grouped)
                    {
                        transaction.Save("w");
                    }

                    try
                    {
                        write.Run(_writer);
                        if (grouped)
                        {
                            transaction.Release("w");
                        }
                    }
                    catch (Exception ex)
                    {
                        write.Error = ex is SqliteException sqlite ? Translate(sqlite, write.Operation) : ex;
                        if (!grouped || TransactionLost())
                        {
                            lostTo = write.Error;
                            // Alone, or SQLite rolled the whole transaction back (I/O error, disk full, busy): nothing
                            // of the group is written.
                            throw;
                        }

                        transaction.Rollback("w");
                        transaction.Release("w");
                    }
                    finally
                    {
                        write.Released = TimeProvider.GetTimestamp();
                    }
                }

                commitAsked = TimeProvider.GetTimestamp();
                transaction.Commit();
                committed = true;
                SqliteTelemetry.RecordWrite(TimeProvider, CommitOperation, commitAsked, commitAsked, TimeProvider.GetTimestamp());
                foreach (var write in live)
                {
                    write.Complete(TimeProvider);
                }
            }
            catch (Exception ex)
            {
                // Nothing of the group is written. A write that threw keeps its own error; a commit that failed is
                // reported to each write under its own operation; the others lost their transaction to another write.
                foreach (var write in live)
                {
                    var error = write.Error
                        ?? (lostTo is not null ? GroupLost(write.Operation, lostTo)
                            : ex is SqliteException sqlite ? Translate(sqlite, write.Operation)
                            : ex);
                    write.Fail(error, TimeProvider);
                }
            }
            finally
            {
                _writer.Transaction = null;
                transaction?.Dispose();
            }

            if (committed)
            {
                AfterCommit();
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// After each commit (writer lock held): asks the background checkpointer to copy the WAL into the database, or,
    /// when the WAL has grown past <see cref="WalPagesLimit"/> (the background checkpoint never caught up with the writer
    /// before its next transaction, so SQLite could not start the WAL over) or the checkpointer failed, checkpoints here,
    /// between two transactions, so the next one starts the WAL over.
    /// </summary>
    private void AfterCommit()
    {
        if (_checkpointByWriter)
        {
            // Its writes are committed and reported; a failure here is the checkpoint's only (tried again next commit).
            _checkpointByWriter = CheckpointFailure is not null;
            try
            {
                _writer.Execute("PRAGMA wal_checkpoint(PASSIVE);");
            }
            catch (SqliteException ex)
            {
                CheckpointFailed(ex);
            }

            return;
        }

        if (Interlocked.Exchange(ref _checkpointRequested, 1) == 0)
        {
            _checkpointSignal.Release();
        }
    }

    private async Task CheckpointLoopAsync()
    {
        try
        {
            while (true)
            {
                await _checkpointSignal.WaitAsync(_stopping.Token).ConfigureAwait(false);
                Volatile.Write(ref _checkpointRequested, 0);
                // PASSIVE: copies what no reader still needs, never waits for or blocks the writer or the readers.
                using var command = _checkpointer.Connection.CreateCommand();
                command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
                using var reader = command.ExecuteReader();
                if (reader.Read() && reader.GetInt64(1) > WalPagesLimit)
                {
                    _checkpointByWriter = true;
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Disposed.
        }
        catch (Exception ex)
        {
            // Whatever ended the background checkpoints (SQLite's error, a connection that broke), nothing is lost: the
            // writer checkpoints after every commit from now on, as SQLite's default does. The failure is logged once and
            // stays readable (CheckpointFailure); the loop's task ends normally, so disposing the database does not throw it.
            CheckpointFailed(ex);
        }
    }

    /// <summary>
    /// Records a failed WAL checkpoint (the background loop's or the writer's) and makes the writer checkpoint after its
    /// commits; the first failure is logged at Warning (SQLite's message and the file name: no customer data).
    /// </summary>
    private void CheckpointFailed(Exception ex)
    {
        var first = CheckpointFailure is null;
        CheckpointFailure = ex is SqliteException sqlite ? Translate(sqlite, "checkpoint the WAL") : ex;
        _checkpointByWriter = true;
        if (first)
        {
            LogCheckpointFailed(_logger, DataSource, ex);
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "SQLite store: checkpointing the WAL of '{DataSource}' failed; the writer checkpoints after its commits from now on (nothing is lost)")]
    private static partial void LogCheckpointFailed(ILogger logger, string dataSource, Exception exception);

    /// <summary>The operation name the commit of a write transaction is recorded under (<see cref="SqliteTelemetry"/>).</summary>
    internal const string CommitOperation = "commit the write transaction";

    /// <summary>True when SQLite ended the open transaction itself (it does on some errors: I/O, disk full, busy, out of memory).</summary>
    private bool TransactionLost() => SQLitePCL.raw.sqlite3_get_autocommit(_writer.Connection.Handle) != 0;

    private InvalidOperationException GroupLost(string operation, Exception cause) => new(
        $"The SQLite store failed to {operation} in '{DataSource}': another write in the same transaction failed and the transaction was lost ({cause.Message}); nothing of it was written.",
        cause);

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

        _stopping.Cancel();
        _checkpointLoop.GetAwaiter().GetResult();
        _checkpointer.Dispose();
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

            // Last: another host may open the file as soon as this is released.
            _hostLock?.Dispose();
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

    /// <summary>
    /// Applies the missing migrations, each in one <c>BEGIN IMMEDIATE</c> transaction that first reads the version: the
    /// read and the step hold the file's write lock together, so a second process opening the file at the same time
    /// waits (busy timeout) and then finds the step applied, instead of applying it again and failing.
    /// </summary>
    private void Migrate()
    {
        var library = LibraryVersion;
        try
        {
            _writer.Execute(SqliteSchema.VersionTable);
        }
        catch (SqliteException ex)
        {
            throw ReadVersionFailed(ex);
        }

        while (true)
        {
            var found = -1;
            try
            {
                using var transaction = _writer.Begin();
                string? foundLibrary;
                try
                {
                    using var command = _writer.Connection.CreateCommand();
                    command.Transaction = transaction;
                    command.CommandText = "SELECT version, library FROM journeys_schema_version ORDER BY version DESC LIMIT 1";
                    using var reader = command.ExecuteReader();
                    (found, foundLibrary) = reader.Read() ? (reader.GetInt32(0), reader.GetString(1)) : (0, null);
                }
                catch (SqliteException ex)
                {
                    throw ReadVersionFailed(ex);
                }

                if (found > SqliteSchema.CurrentVersion)
                {
                    throw new InvalidOperationException(
                        $"The SQLite database '{DataSource}' has Journeys schema version {found} (written by {foundLibrary}), newer than schema version {SqliteSchema.CurrentVersion} that this library ({library}) knows. Upgrade Journeys.Sqlite or use another database file; the database was not changed.");
                }

                if (found == SqliteSchema.CurrentVersion)
                {
                    return;
                }

                _writer.Execute(SqliteSchema.Migrations[found]);
                var record = _writer.Command("INSERT INTO journeys_schema_version (version, applied_at, library) VALUES ($version, $at, $library)");
                record.Parameters.AddWithValue("$version", found + 1);
                record.Parameters.AddWithValue("$at", TimeProvider.GetUtcNow().UtcTicks);
                record.Parameters.AddWithValue("$library", library);
                record.ExecuteNonQuery();
                transaction.Commit();
            }
            catch (SqliteException ex)
            {
                throw found < 0
                    ? new InvalidOperationException(
                        $"Journeys could not take the write lock of the SQLite database '{DataSource}' to check its schema version: {ex.Message} (SQLite error {ex.SqliteErrorCode}). Is it locked by another process?",
                        ex)
                    : new InvalidOperationException(
                        $"Journeys could not migrate the SQLite database '{DataSource}' from schema version {found} to {found + 1}: {ex.Message} (SQLite error {ex.SqliteErrorCode}). Nothing of this migration was applied.",
                        ex);
            }
            finally
            {
                _writer.Transaction = null;
            }
        }
    }

    private InvalidOperationException ReadVersionFailed(SqliteException ex) => new(
        $"Journeys could not read the schema version of the SQLite database '{DataSource}': {ex.Message} (SQLite error {ex.SqliteErrorCode}). Is it a SQLite database, and is it locked by another process?",
        ex);

    private static string LibraryVersion =>
        "Journeys.Sqlite " + (typeof(SqliteDatabase).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown");

    /// <summary>A write waiting for (or run by) the writer: its work, its caller's task and its timestamps.</summary>
    private abstract class PendingWrite
    {
        private const int Queued = 0;
        private const int Started = 1;
        private const int Cancelled = 2;
        private readonly CancellationTokenRegistration _registration;
        private int _state;

        protected PendingWrite(string operation, long asked, CancellationToken cancellationToken)
        {
            Operation = operation;
            Asked = asked;
            if (cancellationToken.CanBeCanceled)
            {
                // Cancelled while still queued: the caller stops waiting and the write never runs. Once started it runs
                // to its commit, as a write that held the lock did before.
                _registration = cancellationToken.UnsafeRegister(static (w, token) => ((PendingWrite)w!).Cancel(token), this);
            }
        }

        public string Operation { get; }

        public long Asked { get; }

        public long Granted { get; set; }

        public long Released { get; set; }

        /// <summary>What the write threw (rolled back to its savepoint), if anything.</summary>
        public Exception? Error { get; set; }

        /// <summary>Claims the write for running; false when its caller cancelled first.</summary>
        public bool TryStart()
        {
            _registration.Dispose();
            return Interlocked.CompareExchange(ref _state, Started, Queued) == Queued;
        }

        public abstract void Run(SqliteSession session);

        /// <summary>Completes the caller's task after the commit: its result, or what it threw.</summary>
        public void Complete(TimeProvider time)
        {
            SqliteTelemetry.RecordWrite(time, Operation, Asked, Granted, Released);
            if (Error is { } error)
            {
                SetException(error);
            }
            else
            {
                SetResult();
            }
        }

        public void Fail(Exception error, TimeProvider time)
        {
            if (Granted == 0)
            {
                // Never ran: the transaction was lost before its turn.
                Granted = Released = time.GetTimestamp();
            }

            SqliteTelemetry.RecordWrite(time, Operation, Asked, Granted, Released);
            SetException(error);
        }

        public void Fail(Exception error)
        {
            _registration.Dispose();
            if (Interlocked.Exchange(ref _state, Started) == Queued)
            {
                SetException(error);
            }
        }

        protected abstract void SetResult();

        protected abstract void SetException(Exception error);

        protected abstract void SetCanceled(CancellationToken token);

        private void Cancel(CancellationToken token)
        {
            if (Interlocked.CompareExchange(ref _state, Cancelled, Queued) == Queued)
            {
                SetCanceled(token);
            }
        }
    }

    private sealed class PendingWrite<TState, T>(string operation, TState state, Func<SqliteSession, TState, T> work, long asked, CancellationToken cancellationToken)
        : PendingWrite(operation, asked, cancellationToken)
    {
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;

        public Task<T> Task => _completion.Task;

        public override void Run(SqliteSession session) => _result = work(session, state);

        protected override void SetResult() => _completion.TrySetResult(_result!);

        protected override void SetException(Exception error) => _completion.TrySetException(error);

        protected override void SetCanceled(CancellationToken token) => _completion.TrySetCanceled(token);
    }
}
