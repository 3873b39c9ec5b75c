using Microsoft.Data.Sqlite;

namespace Journeys.Sqlite;

/// <summary>
/// One open connection with its prepared commands, reused call after call (a statement is compiled once per
/// connection). Not thread-safe: the writer session is used under the store's write lock, reader sessions are rented
/// by one caller at a time.
/// </summary>
internal sealed class SqliteSession : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SqliteStatement> _statements = new(StringComparer.Ordinal);
    private SqliteStatement.Utf8Scratch? _scratch;

    public SqliteSession(SqliteConnection connection)
    {
        Connection = connection;
    }

    public SqliteConnection Connection { get; }

    /// <summary>The transaction commands of this session join, while one is open.</summary>
    public SqliteTransaction? Transaction { get; set; }

    /// <summary>A prepared command for <paramref name="sql"/>, its parameters cleared, enlisted in the open transaction.</summary>
    public SqliteCommand Command(string sql)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = Connection.CreateCommand();
#pragma warning disable CA2100 // The SQL is the store's own constant text; values always go through parameters.
            command.CommandText = sql;
#pragma warning restore CA2100
            _commands.Add(sql, command);
        }

        command.Parameters.Clear();
        command.Transaction = Transaction;
        return command;
    }

    /// <summary>
    /// A statement for <paramref name="sql"/> prepared once on this connection and bound by position through SQLite's
    /// API (<see cref="SqliteStatement"/>): for statements run once per row, with nothing allocated per execution. It joins
    /// the open transaction, as every statement on the connection does.
    /// </summary>
    public SqliteStatement Statement(string sql, params ReadOnlySpan<string> names)
    {
        if (!_statements.TryGetValue(sql, out var statement))
        {
            statement = new SqliteStatement(Connection, sql, names);
            _statements.Add(sql, statement);
        }

        return statement;
    }

    /// <summary>This session's reusable UTF-8 buffer for values written just before they are bound.</summary>
    public SqliteStatement.Utf8Scratch Scratch => _scratch ??= new SqliteStatement.Utf8Scratch();

    /// <summary>Runs statements that take no parameters (schema, pragmas).</summary>
    public void Execute(string sql)
    {
        using var command = Connection.CreateCommand();
#pragma warning disable CA2100 // The store's own constant text.
        command.CommandText = sql;
#pragma warning restore CA2100
        command.Transaction = Transaction;
        command.ExecuteNonQuery();
    }

    /// <summary>Begins a write transaction (<c>BEGIN IMMEDIATE</c>: the write lock is taken at once, so a busy database fails or waits here, not halfway).</summary>
    public SqliteTransaction Begin()
    {
        var transaction = Connection.BeginTransaction(deferred: false);
        Transaction = transaction;
        return transaction;
    }

    public void Dispose()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }

        // Finalized before the connection goes back to Microsoft.Data.Sqlite's pool (it knows nothing of them).
        foreach (var statement in _statements.Values)
        {
            statement.Dispose();
        }

        _scratch?.Dispose();
        _commands.Clear();
        _statements.Clear();
        Connection.Dispose();
    }
}
