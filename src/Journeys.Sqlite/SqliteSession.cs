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
    private readonly Dictionary<string, SqliteCommand> _reusable = new(StringComparer.Ordinal);

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
    /// A prepared command for <paramref name="sql"/> whose parameters, named once by <paramref name="names"/>, stay
    /// attached call after call (the caller sets <c>Parameters[i].Value</c>): a statement run once per row allocates no
    /// parameter objects. Enlisted in the open transaction.
    /// </summary>
    public SqliteCommand Reusable(string sql, params ReadOnlySpan<string> names)
    {
        if (!_reusable.TryGetValue(sql, out var command))
        {
            command = Connection.CreateCommand();
#pragma warning disable CA2100 // The SQL is the store's own constant text; values always go through parameters.
            command.CommandText = sql;
#pragma warning restore CA2100
            foreach (var name in names)
            {
                command.Parameters.Add(new SqliteParameter(name, DBNull.Value));
            }

            _reusable.Add(sql, command);
        }

        command.Transaction = Transaction;
        return command;
    }

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
        foreach (var command in _commands.Values.Concat(_reusable.Values))
        {
            command.Dispose();
        }

        _commands.Clear();
        _reusable.Clear();
        Connection.Dispose();
    }
}
