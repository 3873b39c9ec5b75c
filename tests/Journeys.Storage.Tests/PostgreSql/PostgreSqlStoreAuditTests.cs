using System.Collections.Immutable;
using Journeys.PostgreSql;
using Npgsql;

namespace Journeys.Storage.Tests.PostgreSql;

/// <summary>
/// Defects a correctness audit of the PostgreSQL store found (audit12): each test failed before its fix. What only
/// several connections at once show: a schema name whose channel the server refuses, events of one customer
/// committed out of their sequence order.
/// </summary>
[RequiresPostgreSql]
public sealed class PostgreSqlStoreAuditTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);
    private readonly List<IAsyncDisposable> _disposables = [];
    private readonly List<string> _schemas = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        for (var i = _disposables.Count - 1; i >= 0; i--)
        {
            await _disposables[i].DisposeAsync();
        }

        foreach (var schema in _schemas)
        {
            await PostgreSqlTestServer.DropSchemaAsync(schema);
        }
    }

    [Fact]
    public async Task The_longest_valid_schema_name_enrolls_and_notifies_and_one_character_more_is_refused_at_start()
    {
        // The NOTIFY channel is the schema name + "_changes", and the server refuses a channel of 64 bytes or more: a
        // longer name used to pass validation and then fail every enrollment, event and commit.
        var longest = "t" + Guid.NewGuid().ToString("N") + new string('x', PostgreSqlStoreOptions.MaxSchemaNameLength - 33);
        Assert.Equal(PostgreSqlStoreOptions.MaxSchemaNameLength, longest.Length);
        Assert.Empty(new PostgreSqlStoreOptions { SchemaName = longest }.Validate());
        var store = Host(longest);
        var outcome = Assert.Single(await store.EnrollAsync([Request("c1")]));
        Assert.Equal(EnrollmentOutcomeKind.Created, outcome.Kind);
        await store.AppendEventsAsync([Event("c1", "open")]);

        var tooLong = longest + "y";
        var problem = Assert.Single(new PostgreSqlStoreOptions { SchemaName = tooLong }.Validate());
        Assert.Contains($"SchemaName '{tooLong}'", problem, StringComparison.Ordinal);
        Assert.Contains($"{PostgreSqlStoreOptions.MaxSchemaNameLength}", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_event_whose_transaction_commits_after_a_later_event_of_its_customer_still_wakes_the_enrollment()
    {
        // Sequence numbers are taken before commit, so without a per-customer lock an event could become visible after
        // a later-numbered event of the same customer; an enrollment claimed in between moves its cursor past the later
        // one and never sees the earlier one.
        var schema = NewSchema();
        var store = Host(schema);
        var y = await EnrollWaitingAsync(store, "y", wakeAt: null);
        var x = await EnrollWaitingAsync(store, "x", wakeAt: T0.AddMinutes(1));

        // A: both customers' purchases. Its wake-up statement locks y's row first (created first), held here, so A stops
        // there, x's purchase inserted but not committed.
        await using var blockerSource = PostgreSqlTestServer.CreateDataSource();
        await using var blocker = await blockerSource.OpenConnectionAsync();
        await using var blocking = await blocker.BeginTransactionAsync();
        await using (var lockY = new NpgsqlCommand($"SELECT 1 FROM {schema}.enrollments WHERE customer_id = 'y' FOR UPDATE", blocker, blocking))
        {
            await lockY.ExecuteNonQueryAsync();
        }

        var a = store.AppendEventsAsync([Event("y", "purchase"), Event("x", "purchase")]).AsTask();
        await WaitForAsync(a, $"wait_event_type = 'Lock' AND query LIKE '%{schema}.enrollments%'", mustWait: true);

        // B: a later event of x, and x's timer falls due: the engine claims x and consumes what it sees.
        var b = store.AppendEventsAsync([Event("x", "click")]).AsTask();
        await WaitForAsync(b, "wait_event = 'advisory'");
        var claimed = Assert.Single(await store.ClaimAsync("engine", T0.AddMinutes(1), 10, Lease));
        Assert.Equal(x, claimed.Enrollment.Id);
        var cursor = claimed.Events.Count == 0 ? claimed.Enrollment.EventCursor : claimed.Events[^1].Sequence;
        var waiting = claimed.Enrollment with { WakeAt = T0.AddHours(1), EventCursor = cursor, Visit = claimed.Enrollment.Visit + 1 };
        Assert.Equal([true], await store.CommitAsync("engine", [new EnrollmentCheckpoint(waiting, claimed.Enrollment.ConcurrencyToken, [], [], [])]));

        await blocking.RollbackAsync();
        await a.WaitAsync(TimeSpan.FromSeconds(20));
        await b.WaitAsync(TimeSpan.FromSeconds(20));

        // x's purchase must still reach it (and y's reach y).
        var woken = await store.ClaimAsync("engine", T0.AddMinutes(2), 10, Lease);
        var forX = Assert.Single(woken, w => w.Enrollment.Id == x);
        Assert.Contains(forX.Events, e => e.Event.Name == "purchase");
        Assert.Contains(woken, w => w.Enrollment.Id == y);
    }

    private async Task<Guid> EnrollWaitingAsync(PostgreSqlEngineStore store, string customerId, DateTimeOffset? wakeAt)
    {
        var request = Request(customerId);
        Assert.Equal(EnrollmentOutcomeKind.Created, Assert.Single(await store.EnrollAsync([request])).Kind);
        var item = Assert.Single(await store.ClaimAsync("engine", T0, 10, Lease));
        var waiting = item.Enrollment with
        {
            Status = EnrollmentStatus.Waiting,
            CurrentNodeId = "wait",
            WakeAt = wakeAt,
            AwaitedEvent = "purchase",
            WakeEvents = ["purchase"],
            Visit = 1,
        };
        Assert.Equal([true], await store.CommitAsync("engine", [new EnrollmentCheckpoint(waiting, item.Enrollment.ConcurrencyToken, [], [], [])]));
        return request.EnrollmentId;
    }

    // Waits (bounded) until some backend matches the pg_stat_activity condition, or the task has ended (allowed only when it need not wait).
    private static async Task WaitForAsync(Task task, string condition, bool mustWait = false)
    {
        await using var dataSource = PostgreSqlTestServer.CreateDataSource();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (task.IsCompleted)
            {
                Assert.False(mustWait, $"The call ended before it waited ({condition}).");
                await task;
                return;
            }

            await using var command = dataSource.CreateCommand($"SELECT count(*) FROM pg_stat_activity WHERE {condition}");
            if ((long)(await command.ExecuteScalarAsync())! > 0)
            {
                return;
            }

            await Task.Delay(20);
        }

        Assert.Fail($"The call neither ended nor waited ({condition}) within 20 s.");
    }

    private string NewSchema()
    {
        var schema = PostgreSqlTestServer.NewSchema();
        _schemas.Add(schema);
        return schema;
    }

    private PostgreSqlEngineStore Host(string schema)
    {
        if (!_schemas.Contains(schema))
        {
            _schemas.Add(schema);
        }

        var dataSource = PostgreSqlTestServer.CreateDataSource();
        var database = PostgreSqlTestServer.CreateDatabase(dataSource, schema);
        _disposables.Add(dataSource);
        _disposables.Add(database);
        return new PostgreSqlEngineStore(database);
    }

    private static EnrollmentRequest Request(string customerId) =>
        new(Guid.NewGuid(), "j", 1, customerId, "start", T0, EntryRules.Default, EquatableArray<string>.Empty);

    private static CustomerEvent Event(string customerId, string name) =>
        new(customerId, name, ImmutableDictionary<string, FieldValue>.Empty, T0);
}
