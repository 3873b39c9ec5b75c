using System.Collections.Immutable;
using Journeys.Messaging;
using Journeys.PostgreSql;
using Microsoft.Extensions.DependencyInjection;
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

        // A: both customers' purchases, held with x's purchase inserted but not committed.
        await using var held = await HeldRowLock.TakeAsync(schema, "y");
        var a = AppendHeldAsync(store, schema);
        await a.Held;

        // B: a later event of x, and x's timer falls due: the engine claims x and consumes what it sees.
        var b = store.AppendEventsAsync([Event("x", "click")]).AsTask();
        await WaitForAsync(b, $"wait_event = 'advisory' AND query LIKE '%journeys.events:{schema}:%' AND query NOT LIKE '%lock_shared%'");
        var claimed = Assert.Single(await store.ClaimAsync("engine", T0.AddMinutes(1), 10, Lease));
        Assert.Equal(x, claimed.Enrollment.Id);
        var cursor = claimed.Events.Count == 0 ? claimed.Enrollment.EventCursor : claimed.Events[^1].Sequence;
        var waiting = claimed.Enrollment with { WakeAt = T0.AddHours(1), EventCursor = cursor, Visit = claimed.Enrollment.Visit + 1 };
        // The commit waits for the append's customer lock too (x's checkpoint waits for events), so it is not awaited yet.
        var commit = store.CommitAsync("engine", [new EnrollmentCheckpoint(waiting, claimed.Enrollment.ConcurrencyToken, [], [], [])]).AsTask();
        await WaitForAsync(commit, $"wait_event = 'advisory' AND query LIKE '%lock_shared(k)%journeys.events:{schema}:%'");

        await held.ReleaseAsync();
        await a.Done.WaitAsync(TimeSpan.FromSeconds(20));
        await b.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal([true], await commit.WaitAsync(TimeSpan.FromSeconds(20)));

        // x's purchase must still reach it (and y's reach y).
        var woken = await store.ClaimAsync("engine", T0.AddMinutes(2), 10, Lease);
        var forX = Assert.Single(woken, w => w.Enrollment.Id == x);
        Assert.Contains(forX.Events, e => e.Event.Name == "purchase");
        Assert.Contains(woken, w => w.Enrollment.Id == y);
    }

    [Fact]
    public async Task An_event_appended_while_its_enrollment_is_committed_as_waiting_for_it_wakes_the_enrollment()
    {
        // The append's wake-up skips x (leased: its checkpoint will look), and x's checkpoint looked for pending events
        // before the append committed: without a lock between the two, neither woke x.
        var schema = NewSchema();
        var store = Host(schema);
        var y = await EnrollWaitingAsync(store, "y", wakeAt: null);
        await store.EnrollAsync([Request("x")]);
        var x = Assert.Single(await store.ClaimAsync("engine", T0, 10, Lease));

        await using var held = await HeldRowLock.TakeAsync(schema, "y");
        var a = AppendHeldAsync(store, schema);
        await a.Held;

        var waiting = x.Enrollment with { Status = EnrollmentStatus.Waiting, CurrentNodeId = "wait", AwaitedEvent = "purchase", WakeEvents = ["purchase"], Visit = 1 };
        var commit = store.CommitAsync("engine", [new EnrollmentCheckpoint(waiting, 1, [], [], [])]).AsTask();
        await WaitForAsync(commit, $"wait_event = 'advisory' AND query LIKE '%lock_shared(k)%journeys.events:{schema}:%'");
        await held.ReleaseAsync();
        await a.Done.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal([true], await commit.WaitAsync(TimeSpan.FromSeconds(20)));

        var woken = await store.ClaimAsync("engine", T0.AddMinutes(1), 10, Lease);
        Assert.Equal("purchase", Assert.Single(Assert.Single(woken, w => w.Enrollment.Id == x.Enrollment.Id).Events).Event.Name);
        Assert.Contains(woken, w => w.Enrollment.Id == y);
    }

    [Fact]
    public async Task Concurrent_entries_of_different_customers_from_several_hosts_never_pass_the_entry_cap()
    {
        // The journey's entry counter row is locked by each enrollment transaction, so hosts enrolling different
        // customers at once (no shared advisory lock) still count each other's entries.
        var schema = NewSchema();
        var hosts = Enumerable.Range(0, 4).Select(_ => Host(schema)).ToArray();
        var rules = EntryRules.Default with { EntryCap = 15 };
        var outcomes = await Task.WhenAll(hosts.Select((h, n) => Task.Run(async () =>
        {
            var all = new List<EnrollmentOutcome>();
            for (var i = 0; i < 10; i++)
            {
                all.AddRange(await h.EnrollAsync([Request($"h{n}c{i}") with { Rules = rules }]));
            }

            return all;
        })));

        Assert.Equal(15, outcomes.Sum(o => o.Count(x => x.Kind == EnrollmentOutcomeKind.Created)));
        Assert.Equal(25, outcomes.Sum(o => o.Count(x => x.Kind == EnrollmentOutcomeKind.CapReached)));
        await using var dataSource = PostgreSqlTestServer.CreateDataSource();
        await using var count = dataSource.CreateCommand($"SELECT (SELECT count(*) FROM {schema}.enrollments) * 1000 + (SELECT created FROM {schema}.journey_entries WHERE journey_id = 'j')");
        Assert.Equal(15_015L, (long)(await count.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task A_data_source_given_to_UsePostgreSql_stays_usable_after_the_container_is_disposed()
    {
        var schema = NewSchema();
        await using var dataSource = PostgreSqlTestServer.CreateDataSource();
        var services = new ServiceCollection();
        services.AddJourneys(j => j.UsePostgreSql(dataSource, o => o.SchemaName = schema));
        await using (var provider = services.BuildServiceProvider())
        {
            await provider.GetRequiredService<ICustomerStore>().UpsertAsync([new Customer("a")]);
        }

        await using var command = dataSource.CreateCommand($"SELECT count(*) FROM {schema}.customers");
        Assert.Equal(1L, (long)(await command.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Instants_keep_microseconds_and_drop_the_last_tick_digit_as_documented()
    {
        var store = Host(NewSchema());
        var at = T0.AddTicks(1_234_567).ToOffset(TimeSpan.FromHours(2));
        var request = Request("c1") with { At = at };
        await store.EnrollAsync([request]);
        await store.AppendEventsAsync([new CustomerEvent("c1", "open", ImmutableDictionary<string, FieldValue>.Empty, at)]);

        var stored = Assert.Single(await store.GetByCustomerAsync("c1"));
        Assert.Equal(at.UtcTicks / 10 * 10, stored.EnteredAt.UtcTicks);
        Assert.Equal(TimeSpan.Zero, stored.EnteredAt.Offset);
        var item = Assert.Single(await store.ClaimAsync("engine", T0.AddMinutes(1), 10, Lease));
        var waiting = item.Enrollment with { Status = EnrollmentStatus.Waiting, CurrentNodeId = "wait", WakeAt = at.AddMinutes(5), AwaitedEvent = "open", WakeEvents = ["open"], Visit = 1 };
        Assert.Equal([true], await store.CommitAsync("engine", [new EnrollmentCheckpoint(waiting, 1, [], [], [])]));
        var woken = Assert.Single(await store.ClaimAsync("engine", T0.AddMinutes(2), 10, Lease));
        Assert.Equal(at.AddMinutes(5).UtcTicks / 10 * 10, woken.Enrollment.WakeAt!.Value.UtcTicks);
        Assert.Equal(at.UtcTicks / 10 * 10, Assert.Single(woken.Events).Event.Time.UtcTicks);
    }

    [Fact]
    public async Task A_commit_that_fails_in_the_database_halfway_through_a_batch_leaves_the_previous_state_whole()
    {
        var schema = NewSchema();
        var store = Host(schema, out var database);
        var customers = new PostgreSqlCustomerStore(database);
        await customers.UpsertAsync([new Customer("a", [new("plan", "free")]), new Customer("b")]);
        await store.EnrollAsync([Request("a"), Request("b")]);
        var claimed = await store.ClaimAsync("engine", T0, 10, Lease);
        Assert.Equal(2, claimed.Count);

        // Stands in for a full disk or an I/O error: the statement fails on b's message, after a's rows.
        await using var dataSource = PostgreSqlTestServer.CreateDataSource();
        await using (var trigger = dataSource.CreateCommand($"""
            CREATE FUNCTION {schema}.boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'could not extend file (simulated)'; END $$;
            CREATE TRIGGER simulated_disk_full BEFORE INSERT ON {schema}.outbox FOR EACH ROW WHEN (NEW.message_id = 'boom') EXECUTE FUNCTION {schema}.boom();
            """))
        {
            await trigger.ExecuteNonQueryAsync();
        }

        var checkpoints = claimed.OrderBy(w => w.Enrollment.CustomerId, StringComparer.Ordinal).Select(w => new EnrollmentCheckpoint(
            w.Enrollment with { Status = EnrollmentStatus.Completed, CurrentNodeId = null, UpdatedAt = T0 },
            1,
            [new OutboxMessage(new Messaging.OutboundMessage(w.Enrollment.CustomerId == "b" ? "boom" : "ok", "key", Channel.Email, "campaign", w.Enrollment.CustomerId, "body", "j", 1, "send"), w.Enrollment.Id, T0)],
            [new CustomerFieldUpdate("a", "plan", "pro")],
            [new StatisticDelta("j", 1, null, StatisticCounter.Completed)])).ToArray();

        var error = await Assert.ThrowsAsync<PostgresException>(() => store.CommitAsync("engine", checkpoints).AsTask());

        Assert.Contains("could not extend file (simulated)", error.Message, StringComparison.Ordinal);
        foreach (var customer in new[] { "a", "b" })
        {
            var state = Assert.Single(await store.GetByCustomerAsync(customer));
            Assert.Equal((EnrollmentStatus.Active, 1L), (state.Status, state.ConcurrencyToken));
        }

        Assert.Equal("free", (await customers.GetAsync("a"))!.GetField("plan").AsString());
        Assert.Null(await store.GetNextDueAsync());
        Assert.Equal(0, (await store.GetAsync("j", null)).Get(StatisticCounter.Completed));

        // The leases are still the owner's: once the fault is gone the same checkpoints apply.
        await using (var drop = dataSource.CreateCommand($"DROP TRIGGER simulated_disk_full ON {schema}.outbox"))
        {
            await drop.ExecuteNonQueryAsync();
        }

        Assert.Equal([true, true], await store.CommitAsync("engine", checkpoints));
        Assert.Equal(2, (await store.GetAsync("j", null)).Get(StatisticCounter.Completed));
        Assert.Equal("pro", (await customers.GetAsync("a"))!.GetField("plan").AsString());
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

    // Appends y's and x's purchases; its wake-up statement locks y's row first (y was created first), which the test
    // holds, so the append stops there with x's purchase inserted but not committed. Held completes once it waits.
    private static (Task Done, Task Held) AppendHeldAsync(PostgreSqlEngineStore store, string schema)
    {
        var done = store.AppendEventsAsync([Event("y", "purchase"), Event("x", "purchase")]).AsTask();
        return (done, WaitForAsync(done, $"wait_event_type = 'Lock' AND query LIKE '%\"{schema}\".enrollments%'", mustWait: true));
    }

    /// <summary>A row lock on a customer's enrollments, held by a transaction of the test's own until released.</summary>
    private sealed class HeldRowLock : IAsyncDisposable
    {
        private readonly NpgsqlDataSource _source;
        private readonly NpgsqlConnection _connection;
        private readonly NpgsqlTransaction _transaction;

        private HeldRowLock(NpgsqlDataSource source, NpgsqlConnection connection, NpgsqlTransaction transaction) =>
            (_source, _connection, _transaction) = (source, connection, transaction);

        public static async Task<HeldRowLock> TakeAsync(string schema, string customerId)
        {
            var source = PostgreSqlTestServer.CreateDataSource();
            var connection = await source.OpenConnectionAsync();
            var transaction = await connection.BeginTransactionAsync();
            await using (var command = new NpgsqlCommand($"SELECT 1 FROM {schema}.enrollments WHERE customer_id = '{customerId}' FOR UPDATE", connection, transaction))
            {
                await command.ExecuteNonQueryAsync();
            }

            return new HeldRowLock(source, connection, transaction);
        }

        public Task ReleaseAsync() => _transaction.RollbackAsync();

        public async ValueTask DisposeAsync()
        {
            await _transaction.DisposeAsync();
            await _connection.DisposeAsync();
            await _source.DisposeAsync();
        }
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

    private PostgreSqlEngineStore Host(string schema) => Host(schema, out _);

    private PostgreSqlEngineStore Host(string schema, out PostgreSqlDatabase database)
    {
        if (!_schemas.Contains(schema))
        {
            _schemas.Add(schema);
        }

        var dataSource = PostgreSqlTestServer.CreateDataSource();
        database = PostgreSqlTestServer.CreateDatabase(dataSource, schema);
        _disposables.Add(dataSource);
        _disposables.Add(database);
        return new PostgreSqlEngineStore(database);
    }

    private static EnrollmentRequest Request(string customerId) =>
        new(Guid.NewGuid(), "j", 1, customerId, "start", T0, EntryRules.Default, EquatableArray<string>.Empty);

    private static CustomerEvent Event(string customerId, string name) =>
        new(customerId, name, ImmutableDictionary<string, FieldValue>.Empty, T0);
}
