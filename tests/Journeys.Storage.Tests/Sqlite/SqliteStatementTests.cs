using Journeys.Sqlite;
using Microsoft.Data.Sqlite;

namespace Journeys.Storage.Tests.Sqlite;

/// <summary>
/// <see cref="SqliteStatement"/>, the store's per-row statements bound by position through SQLite's API: every
/// parameter must be named (an unnamed one would keep the previous row's value), a failing row surfaces as
/// Microsoft.Data.Sqlite's exception with SQLite's extended code and leaves the statement reset, so the next row and
/// the transaction's commit work.
/// </summary>
public sealed class SqliteStatementTests : IDisposable
{
    private readonly SqliteTestFile _file = new();

    public void Dispose() => _file.Dispose();

    [Fact]
    public void A_statement_with_an_unnamed_or_unknown_parameter_is_refused_at_preparation()
    {
        using var connection = _file.Connect();
        Execute(connection, "CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)");

        var unnamed = Assert.Throws<ArgumentException>(() => new SqliteStatement(connection, "INSERT INTO t (k, v) VALUES ($k, $v)", ["$k"]));
        Assert.Contains("other than the 1 named", unnamed.Message, StringComparison.Ordinal);
        var unknown = Assert.Throws<ArgumentException>(() => new SqliteStatement(connection, "INSERT INTO t (k, v) VALUES ($k, $v)", ["$k", "$value"]));
        Assert.Contains("'$value'", unknown.Message, StringComparison.Ordinal);
        Assert.Throws<SqliteException>(() => new SqliteStatement(connection, "INSERT INTO missing_table VALUES ($k)", ["$k"]));
    }

    [Fact]
    public void Rows_bind_by_name_order_a_failing_row_reports_the_extended_code_and_the_transaction_still_commits()
    {
        using var connection = _file.Connect();
        Execute(connection, "CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER, b BLOB, n TEXT)");
        var id = Guid.NewGuid();
        using (var transaction = connection.BeginTransaction())
        {
            // Names in another order than they appear in the text: parameter i is names[i].
            using var insert = new SqliteStatement(connection, "INSERT INTO t (k, v, b, n) VALUES ($k, $v, $b, $n)", ["$v", "$n", "$k", "$b"]);
            insert.Bind(0, 42L);
            insert.Bind(1, (string?)null);
            insert.Bind(2, "ключ 😀");
            insert.Bind(3, id);
            Assert.Equal(1, insert.Execute());

            insert.Bind(0, 43L);
            var duplicate = Assert.Throws<SqliteException>(() => insert.Execute());
            Assert.Equal(1555, duplicate.SqliteExtendedErrorCode);

            insert.Bind(2, "other");
            Assert.Equal(1, insert.Execute());
            transaction.Commit();
        }

        using var read = connection.CreateCommand();
        read.CommandText = "SELECT k, v, b, n FROM t ORDER BY v";
        using var reader = read.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal("ключ 😀", reader.GetString(0));
        Assert.Equal(42, reader.GetInt64(1));
        Assert.Equal(id, new Guid((byte[])reader.GetValue(2), bigEndian: true));
        Assert.True(reader.IsDBNull(3));
        Assert.True(reader.Read());
        Assert.Equal("other", reader.GetString(0));
        Assert.Equal(43, reader.GetInt64(1));
        Assert.False(reader.Read());
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
