using Journeys.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Storage.Tests.Sqlite;

/// <summary>
/// Writes queued behind a busy writer share one transaction (group commit), each in its own savepoint: one that fails
/// is undone alone, the others are committed, and a caller cancelled while queued never runs.
/// </summary>
public sealed class SqliteGroupCommitTests : IDisposable
{
    private readonly SqliteTestFile _file = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 3, 1, 9, 0, 0, TimeSpan.Zero));

    public void Dispose() => _file.Dispose();

    [Fact]
    public async Task A_queued_write_that_fails_is_undone_alone_and_the_others_of_its_transaction_are_committed()
    {
        using var database = _file.Open(_time);
        using var started = new ManualResetEventSlim();
        using var gate = new ManualResetEventSlim();
        var holding = Task.Run(async () => await database.WriteAsync("hold the writer", 0, (session, _) =>
        {
            Insert(session, "first");
            started.Set();
            return gate.Wait(TimeSpan.FromSeconds(30)) ? 1 : throw new TimeoutException("The test never opened the gate.");
        }, CancellationToken.None));
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)), "The first write never started.");

        // Queued while the writer is held: these run together after it, in arrival order.
        var before = database.WriteAsync("insert before", 0, static (session, _) => Insert(session, "before"), CancellationToken.None).AsTask();
        var failing = database.WriteAsync<int, int>("insert then fail", 0, static (session, _) =>
        {
            Insert(session, "failed");
            throw new ArgumentException("the caller's own error");
        }, CancellationToken.None).AsTask();
        var duplicate = database.WriteAsync("insert a duplicate", 0, static (session, _) =>
        {
            Insert(session, "duplicate-half");
            return Insert(session, "before");
        }, CancellationToken.None).AsTask();
        var after = database.WriteAsync("insert after", 0, static (session, _) => Insert(session, "after"), CancellationToken.None).AsTask();
        gate.Set();

        Assert.Equal(1, await holding);
        Assert.Equal(1, await before);
        Assert.Equal("the caller's own error", (await Assert.ThrowsAsync<ArgumentException>(() => failing)).Message);
        var sqlite = await Assert.ThrowsAsync<InvalidOperationException>(() => duplicate);
        Assert.Contains("insert a duplicate", sqlite.Message, StringComparison.Ordinal);
        Assert.Contains("nothing of it was written", sqlite.Message, StringComparison.Ordinal);
        Assert.Equal(1, await after);

        using var connection = _file.Connect();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT group_concat(key, ',') FROM (SELECT key FROM journeys_meta WHERE key LIKE 'test-%' ORDER BY key)";
        Assert.Equal("test-after,test-before,test-first", command.ExecuteScalar());
    }

    [Fact]
    public async Task A_write_cancelled_while_queued_never_runs()
    {
        using var database = _file.Open(_time);
        using var started = new ManualResetEventSlim();
        using var gate = new ManualResetEventSlim();
        var holding = Task.Run(async () => await database.WriteAsync("hold the writer", 0, (_, _) =>
        {
            started.Set();
            return gate.Wait(TimeSpan.FromSeconds(30)) ? 1 : throw new TimeoutException("The test never opened the gate.");
        }, CancellationToken.None));
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)), "The first write never started.");
        using var cancel = new CancellationTokenSource();
        var ran = false;
        var queued = database.WriteAsync("cancelled", 0, (session, _) =>
        {
            ran = true;
            return Insert(session, "cancelled");
        }, cancel.Token).AsTask();

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        gate.Set();
        Assert.Equal(1, await holding);
        Assert.Equal(1, await database.WriteAsync("insert later", 0, static (session, _) => Insert(session, "later"), CancellationToken.None));

        Assert.False(ran);
        using var connection = _file.Connect();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM journeys_meta WHERE key = 'test-cancelled'";
        Assert.Equal(0L, command.ExecuteScalar());
    }

    private static int Insert(SqliteSession session, string key)
    {
        var insert = session.Command("INSERT INTO journeys_meta (key, value) VALUES ($key, 1)");
        insert.Parameters.AddWithValue("$key", "test-" + key);
        return insert.ExecuteNonQuery();
    }
}
