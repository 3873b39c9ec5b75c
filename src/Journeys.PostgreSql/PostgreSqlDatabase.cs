using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Npgsql;
using Polly;
using Polly.Retry;

namespace Journeys.PostgreSql;

/// <summary>
/// What the PostgreSQL stores share: the data source, the schema (created or checked once, before the first operation),
/// the SQL of each statement with the schema name filled in, and the retry pipeline that rides out transient failures.
/// </summary>
internal sealed partial class PostgreSqlDatabase : IDisposable, IAsyncDisposable
{
    /// <summary>The NOTIFY payload for new ready work.</summary>
    public const string WorkPayload = "work";

    /// <summary>The NOTIFY payload for new outbox messages.</summary>
    public const string OutboxPayload = "outbox";

    /// <summary>The NOTIFY payload for outbox messages a cancel deleted (a stop, a deletion).</summary>
    public const string WithdrawnPayload = "withdrawn";

    /// <summary>The NOTIFY payload's start for a journey saved or deleted; the journey id follows it.</summary>
    public const string JourneyPayloadPrefix = "journey:";

    /// <summary>The NOTIFY payload for a changed customer field schema.</summary>
    public const string SchemaPayload = "schema";

    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly ResiliencePipeline _retry;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, string> _sql = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _initLock = new(1, 1);

    // Turns of the operations (ExecuteAsync): one connection each, at most MaxConcurrentOperations at once; null: no cap.
    private readonly SemaphoreSlim? _turns;
    private volatile bool _initialized;

    /// <param name="dataSource">The data source.</param>
    /// <param name="ownsDataSource">Whether disposing this disposes the data source.</param>
    /// <param name="options">The store's options.</param>
    /// <param name="logger">The logger.</param>
    public PostgreSqlDatabase(NpgsqlDataSource dataSource, bool ownsDataSource, PostgreSqlStoreOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        _logger = logger;
        Options = options;
        Schema = options.SchemaName;
        Channel = Schema + "_changes";
        var builder = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        if (builder.Multiplexing)
        {
            // The claims, outbox results and customer reads prepare their statements explicitly (one generic plan per
            // connection), which Npgsql refuses under multiplexing: every such call would fail.
            throw new ArgumentException(
                "The PostgreSQL store does not support Multiplexing=true in the connection string: it prepares its statements explicitly, which Npgsql does not allow with multiplexing. Remove Multiplexing (the store batches its statements itself).",
                nameof(dataSource));
        }

        PoolSize = builder.Pooling ? builder.MaxPoolSize : null;
        Location = $"{builder.Host}:{builder.Port}/{builder.Database}, schema {Schema}";
        MaxAttempts = options.MaxRetryAttempts + 1;
        MaxConcurrentOperations = options.MaxConcurrentOperations;
        _turns = MaxConcurrentOperations is { } turns ? new SemaphoreSlim(turns, turns) : null;
        var pipeline = new ResiliencePipelineBuilder();
        if (options.MaxRetryAttempts > 0)
        {
            pipeline.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<NpgsqlException>(static e => e.IsTransient),
                MaxRetryAttempts = options.MaxRetryAttempts,
                Delay = options.RetryDelay,
                MaxDelay = options.MaxRetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                OnRetry = args =>
                {
                    LogRetrying(_logger, args.AttemptNumber + 1, MaxAttempts, Location, args.Outcome.Exception);
                    return default;
                },
            });
        }

        _retry = pipeline.Build();
    }

    public PostgreSqlStoreOptions Options { get; }

    /// <summary>The schema name (validated: a plain lower-case identifier).</summary>
    public string Schema { get; }

    /// <summary>
    /// The schema name as an SQL identifier: double-quoted, since a valid name may be a keyword PostgreSQL reserves
    /// (<c>order</c>, <c>user</c>); quoting keeps it lower-case, so it names the same schema as the plain name.
    /// </summary>
    public string QuotedSchema => '"' + Schema + '"';

    /// <summary>The LISTEN/NOTIFY channel of this schema.</summary>
    public string Channel { get; }

    /// <summary>The connection string's <c>Maximum Pool Size</c>, or <see langword="null"/> when it turns pooling off.</summary>
    public int? PoolSize { get; }

    /// <summary>Host, port, database and schema, for messages (never the password).</summary>
    public string Location { get; }

    public NpgsqlDataSource DataSource => _dataSource;

    /// <summary>How many operations (<see cref="ExecuteAsync{T}"/>) hold a connection at once (the others wait for a turn), or <see langword="null"/> for no cap but the pool's.</summary>
    public int? MaxConcurrentOperations { get; }

    private int MaxAttempts { get; }

    /// <summary>
    /// The statement with <c>{s}</c> replaced by the quoted schema name (<see cref="QuotedSchema"/>) and <c>{name}</c> by the
    /// plain one (inside text, e.g. advisory lock keys, which must stay what hosts of earlier versions compute), computed
    /// once per statement.
    /// </summary>
    public string Sql(string template) =>
        _sql.GetOrAdd(template, static (t, db) => t.Replace("{name}", db.Schema, StringComparison.Ordinal).Replace("{s}", db.QuotedSchema, StringComparison.Ordinal), this);

    /// <summary>Creates or migrates the schema (or checks it) once; later calls return at once. A failure is retried on the next call.</summary>
    public async ValueTask EnsureInitializedAsync(CancellationToken cancellationToken)
    {
        if (_initialized)
        {
            return;
        }

        await _initLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_initialized)
            {
                await RetryAsync("schema check", (db, token) => PostgreSqlSchema.MigrateAsync(db, token), cancellationToken).ConfigureAwait(false);
                _initialized = true;
            }
        }
        finally
        {
            _initLock.Release();
        }
    }

    /// <summary>
    /// Runs <paramref name="action"/> on an open connection, retrying transient failures; the schema is ready first. Each
    /// attempt waits for a turn when <see cref="MaxConcurrentOperations"/> is set (at most that many attempts hold a connection at once, so
    /// the pool keeps that many server processes busy, not one per concurrent caller); a retry gives its turn back
    /// while it waits. <paramref name="action"/> must not start another operation: it would wait for a turn it may
    /// be holding.
    /// </summary>
    public async ValueTask<T> ExecuteAsync<T>(string operation, Func<NpgsqlConnection, CancellationToken, ValueTask<T>> action, CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return await RetryAsync(
            operation,
            async (db, token) =>
            {
                if (db._turns is not { } turns)
                {
                    var connection = await db._dataSource.OpenConnectionAsync(token).ConfigureAwait(false);
                    await using (connection.ConfigureAwait(false))
                    {
                        return await action(connection, token).ConfigureAwait(false);
                    }
                }

                await turns.WaitAsync(token).ConfigureAwait(false);
                try
                {
                    var connection = await db._dataSource.OpenConnectionAsync(token).ConfigureAwait(false);
                    await using (connection.ConfigureAwait(false))
                    {
                        return await action(connection, token).ConfigureAwait(false);
                    }
                }
                finally
                {
                    turns.Release();
                }
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="action"/> in one transaction (committed when it returns), retrying transient failures from the start.</summary>
    public ValueTask<T> InTransactionAsync<T>(string operation, Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, ValueTask<T>> action, CancellationToken cancellationToken) =>
        ExecuteAsync(
            operation,
            async (connection, token) =>
            {
                var transaction = await connection.BeginTransactionAsync(token).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    var result = await action(connection, transaction, token).ConfigureAwait(false);
                    await transaction.CommitAsync(token).ConfigureAwait(false);
                    return result;
                }
            },
            cancellationToken);

    /// <summary>
    /// Runs <paramref name="action"/> in one transaction as <see cref="InTransactionAsync{T}"/> does, for writes that a
    /// second run would apply twice (increments): each attempt reads its transaction id first, and an attempt after a
    /// failure asks the server (<c>txid_status</c>) whether the previous attempt committed, its COMMIT having reached the
    /// server and only the reply being lost, and then returns that attempt's result instead of running again.
    /// </summary>
    public async ValueTask<T> InTransactionOnceAsync<T>(string operation, Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, ValueTask<T>> action, CancellationToken cancellationToken)
    {
        var previous = new Attempt<T>();
        return await ExecuteAsync(
            operation,
            async (connection, token) =>
            {
                if (previous.Transaction is { } xid && previous.Ran && await CommittedAsync(connection, operation, xid, token).ConfigureAwait(false))
                {
                    return previous.Result!;
                }

                previous = new Attempt<T>();
                var transaction = await connection.BeginTransactionAsync(token).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    using (var command = new NpgsqlCommand("SELECT txid_current()", connection, transaction))
                    {
                        previous.Transaction = (long)(await command.ExecuteScalarAsync(token).ConfigureAwait(false))!;
                    }

                    previous.Result = await action(connection, transaction, token).ConfigureAwait(false);
                    previous.Ran = true;
                    await transaction.CommitAsync(token).ConfigureAwait(false);
                    return previous.Result;
                }
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A command in the transaction, with the schema name filled in.</summary>
    public NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string template) =>
        new(Sql(template), connection, transaction);

    /// <summary>Adds a NOTIFY of this schema's channel to the transaction (delivered when it commits; repeats are merged by the server).</summary>
    public async ValueTask NotifyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string payload, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand("SELECT pg_notify($1, $2)", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Channel });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = payload });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Disposes the data source if the store created it. A container disposed synchronously (a <c>using</c> of a
    /// <see cref="IServiceProvider"/>) refuses a singleton that is only <see cref="IAsyncDisposable"/>, so both are here.
    /// </summary>
    public void Dispose()
    {
        _initLock.Dispose();
        _turns?.Dispose();
        if (_ownsDataSource)
        {
            _dataSource.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _initLock.Dispose();
        _turns?.Dispose();
        if (_ownsDataSource)
        {
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Whether transaction <paramref name="xid"/> committed; waits (up to 10 s) while it is still in progress, as it is for
    /// the moment a server process whose client went away takes to finish its COMMIT or notice and roll back.
    /// </summary>
    private static async ValueTask<bool> CommittedAsync(NpgsqlConnection connection, string operation, long xid, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand("SELECT txid_status($1)", connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = xid });
        for (var i = 0; i < 200; i++)
        {
            switch (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string)
            {
                case "committed":
                    return true;
                case "in progress":
                    await Task.Delay(50, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    // Aborted, or too old to know (it was not: this attempt follows the last within seconds).
                    return false;
            }
        }

        throw new InvalidOperationException(
            $"PostgreSQL store: {operation}: an attempt whose connection was lost is still in progress on the server after 10 s (transaction {xid}); not run again, since that could apply it twice.");
    }

    private sealed class Attempt<T>
    {
        public long? Transaction { get; set; }

        public bool Ran { get; set; }

        public T? Result { get; set; }
    }

    private async ValueTask<T> RetryAsync<T>(string operation, Func<PostgreSqlDatabase, CancellationToken, ValueTask<T>> action, CancellationToken cancellationToken)
    {
        try
        {
            return await _retry.ExecuteAsync(static (state, token) => state.action(state.db, token), (action, db: this), cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex) when (ex.IsTransient)
        {
            throw new PostgreSqlStoreUnavailableException(
                $"PostgreSQL store: {operation} failed {MaxAttempts} time(s) on {Location}; the database did not come back ({ex.Message}).",
                ex);
        }
    }

    private async ValueTask RetryAsync(string operation, Func<PostgreSqlDatabase, CancellationToken, ValueTask> action, CancellationToken cancellationToken) =>
        await RetryAsync(
            operation,
            async (db, token) =>
            {
                await action(db, token).ConfigureAwait(false);
                return true;
            },
            cancellationToken).ConfigureAwait(false);

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "PostgreSQL store: transient failure, attempt {Attempt} of {MaxAttempts} on {Location}")]
    private static partial void LogRetrying(ILogger logger, int attempt, int maxAttempts, string location, Exception? exception);
}
