using Journeys.Building;
using Journeys.Messaging;
using Journeys.PostgreSql;
using Journeys.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Journeys.Storage.Tests.PostgreSql;

/// <summary>
/// What only a shared database shows: schema versions, several hosts (each its own data source, so its own
/// connections) claiming and committing the same rows, NOTIFY wake-ups, an unreachable server, registration.
/// </summary>
[RequiresPostgreSql]
public sealed class PostgreSqlStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly string _schema = PostgreSqlTestServer.NewSchema();
    private readonly List<IAsyncDisposable> _disposables = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        for (var i = _disposables.Count - 1; i >= 0; i--)
        {
            await _disposables[i].DisposeAsync();
        }

        await PostgreSqlTestServer.DropSchemaAsync(_schema);
    }

    [Fact]
    public async Task A_schema_from_a_newer_library_is_refused_and_left_as_it_is()
    {
        var host = Host();
        await host.Database.EnsureInitializedAsync(default);
        await ExecuteAsync($"UPDATE {_schema}.schema_version SET version = {PostgreSqlSchema.CurrentVersion + 1}");

        var other = Host();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => other.Database.EnsureInitializedAsync(default).AsTask());
        Assert.Contains($"version {PostgreSqlSchema.CurrentVersion + 1}", error.Message, StringComparison.Ordinal);
        Assert.Contains("newer Journeys.PostgreSql", error.Message, StringComparison.Ordinal);
        Assert.Contains(_schema, error.Message, StringComparison.Ordinal);
        Assert.Equal((long)(PostgreSqlSchema.CurrentVersion + 1), await ScalarAsync<int>($"SELECT version FROM {_schema}.schema_version"));
        Assert.Equal(1L, await ScalarAsync<long>($"SELECT count(*) FROM information_schema.tables WHERE table_schema = '{_schema}' AND table_name = 'enrollments'"));
    }

    [Fact]
    public async Task A_journey_version_is_parsed_once_and_read_again_only_when_another_host_changed_it()
    {
        static JourneyDefinition List(int version, JourneyStatus status, params string[] ids) =>
            JourneyBuilder.Create("list", "List").EnterFromList(ids).Steps(p => p.Exit("done")).Build() with { Version = version, Status = status };

        var (databaseA, _) = Host();
        var (databaseB, _) = Host();
        var a = new PostgreSqlJourneyStore(databaseA, TimeProvider.System);
        var b = new PostgreSqlJourneyStore(databaseB, TimeProvider.System);
        var saved = await a.SaveAsync(List(1, JourneyStatus.Draft, "c1", "c2", "c3"), null);

        // Unchanged: every read after the first returns the record parsed then (the document is not fetched again).
        var latest = await b.GetAsync("list");
        Assert.Equal(saved.ETag, latest!.ETag);
        Assert.Same(latest, await b.GetAsync("list"));
        Assert.Same(latest, await b.GetVersionAsync("list", 1));
        Assert.Same(latest, await b.ListAsync().SingleAsync());

        // Changed by the other host (an erasure rewrites the version in place, a save writes the next): each read here
        // sees the new document under its new ETag, never the parsed one.
        Assert.Equal(["list"], await a.EraseCustomerAsync("c2"));
        var erased = await b.GetVersionAsync("list", 1);
        Assert.NotEqual(latest.ETag, erased!.ETag);
        Assert.Equal(["c1", "c3"], ((CustomerListEntry)erased.Journey.Entry!).CustomerIds);
        Assert.Same(erased, await b.GetAsync("list"));
        Assert.Same(erased, await b.ListAsync().SingleAsync());

        var next = await a.SaveAsync(List(2, JourneyStatus.Draft, "c4"), erased.ETag);
        var listed = await b.ListAsync().SingleAsync();
        Assert.Equal((2, next.ETag), (listed.Journey.Version, listed.ETag));
        Assert.Equal(["c4"], ((CustomerListEntry)listed.Journey.Entry!).CustomerIds);
        Assert.Same(listed, await b.GetAsync("list"));

        // Version 2 parsed, version 1's record was dropped: read again, it is parsed again (same ETag), then kept.
        var first = await b.GetVersionAsync("list", 1);
        Assert.NotSame(erased, first);
        Assert.Equal(erased.ETag, first!.ETag);
        Assert.Same(first, await b.GetVersionAsync("list", 1));
        Assert.Same(listed, await b.GetAsync("list"));
        Assert.Equal(2, b.ParsedCount);

        // Deleted and created again (version 1 once more, another document): not mistaken for the version parsed before.
        Assert.True(await a.DeleteAsync("list"));
        Assert.Null(await b.GetAsync("list"));
        Assert.Empty(await b.ListAsync().ToListAsync());
        var again = await a.SaveAsync(List(1, JourneyStatus.Draft, "c9"), null);
        var read = await b.GetVersionAsync("list", 1);
        Assert.Equal(again.ETag, read!.ETag);
        Assert.Equal(["c9"], ((CustomerListEntry)read.Journey.Entry!).CustomerIds);
        var latestAgain = await b.GetAsync("list");
        Assert.Equal(again.ETag, latestAgain!.ETag);
        Assert.Same(latestAgain, await b.GetAsync("list"));
    }

    [Fact]
    public async Task Saves_deletes_and_erasures_on_two_hosts_at_once_meet_in_one_order_and_leave_no_erased_customer()
    {
        // Every journey-writing transaction takes the change count first, then its journeys' advisory locks: an erasure
        // (which locks every list journey in turn) and saves of those journeys on another host never wait on each other
        // in a cycle. A deadlock would show as a retried transient failure (PostgreSQL aborts one of the two), logged with
        // its SQL state 40P01. (Taking the count after the advisory locks made this fail with 40P01 in 3 runs of 6 here.)
        var retries = new System.Collections.Concurrent.ConcurrentQueue<string>();
        PostgreSqlJourneyStore Store()
        {
            var dataSource = PostgreSqlTestServer.CreateDataSource();
            var database = new PostgreSqlDatabase(
                dataSource,
                ownsDataSource: false,
                new PostgreSqlStoreOptions { SchemaName = _schema, RetryDelay = TimeSpan.FromMilliseconds(50), MaxRetryDelay = TimeSpan.FromMilliseconds(200) },
                new RetryLog(retries));
            _disposables.Add(dataSource);
            _disposables.Add(database);
            return new PostgreSqlJourneyStore(database, TimeProvider.System);
        }

        static JourneyDefinition List(string id, params string[] ids) =>
            JourneyBuilder.Create(id, id).EnterFromList(ids).Steps(p => p.Exit("done")).Build();

        var a = Store();
        var b = Store();
        string[] customers = [.. Enumerable.Range(0, 12).Select(i => $"c{i:D2}")];
        string[] journeys = [.. Enumerable.Range(1, 5).Select(i => $"list{i}")];
        foreach (var id in journeys)
        {
            await a.SaveAsync(List(id, customers), null);
        }

        var erasures = Task.Run(async () =>
        {
            foreach (var customer in customers[..6])
            {
                await a.EraseCustomerAsync(customer);
            }
        });
        var saves = Task.Run(async () =>
        {
            for (var round = 0; round < 6; round++)
            {
                foreach (var id in Enumerable.Reverse(journeys))
                {
                    while (true)
                    {
                        var latest = (await b.GetAsync(id))!;
                        try
                        {
                            await b.SaveAsync(latest.Journey with { Version = latest.Journey.Version + 1 }, latest.ETag);
                            break;
                        }
                        catch (JourneyConcurrencyException)
                        {
                            // An erasure rewrote it since it was read: read it again.
                        }
                    }
                }
            }
        });
        var churn = Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                await b.SaveAsync(List($"other{i}", "x"), null);
                Assert.True(await b.DeleteAsync($"other{i}"));
            }
        });
        await Task.WhenAll(erasures, saves, churn);

        Assert.DoesNotContain(PostgresErrorCodes.DeadlockDetected, retries);
        foreach (var store in new[] { a, b })
        {
            var listed = await store.ListAsync().ToListAsync();
            Assert.Equal(journeys, listed.Select(r => r.Journey.Id));
            Assert.All(listed, r => Assert.Equal(7, r.Journey.Version));
            foreach (var record in listed)
            {
                for (var version = 1; version <= 7; version++)
                {
                    var read = (await store.GetVersionAsync(record.Journey.Id, version))!;
                    Assert.Equal(customers[6..], ((CustomerListEntry)read.Journey.Entry!).CustomerIds);
                }
            }
        }
    }

    /// <summary>Records the SQL state (else the exception's type) of every warning the store logs: its retries of transient failures.</summary>
    private sealed class RetryLog(System.Collections.Concurrent.ConcurrentQueue<string> retries) : Microsoft.Extensions.Logging.ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= Microsoft.Extensions.Logging.LogLevel.Warning;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            retries.Enqueue((exception as PostgresException)?.SqlState ?? exception?.GetType().Name ?? formatter(state, exception));
    }

    [Fact]
    public async Task Hosts_starting_together_migrate_once()
    {
        var hosts = Enumerable.Range(0, 4).Select(_ => Host()).ToArray();
        await Task.WhenAll(hosts.Select(h => h.Database.EnsureInitializedAsync(default).AsTask()));
        Assert.Equal((long)PostgreSqlSchema.CurrentVersion, await ScalarAsync<int>($"SELECT version FROM {_schema}.schema_version"));
    }

    [Fact]
    public async Task Without_migration_a_missing_schema_is_a_clear_error()
    {
        var host = Host(o => o.MigrateSchema = false);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.Database.EnsureInitializedAsync(default).AsTask());
        Assert.Contains("MigrateSchema is false", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_lease_is_taken_over_by_another_host_and_the_first_host_s_commit_is_refused()
    {
        var a = Host();
        var b = Host();
        var request = Request("c1");
        await a.Store.EnrollAsync([request]);
        var claimedByA = Assert.Single(await a.Store.ClaimAsync("host-a", T0, 10, TimeSpan.FromMinutes(1)));

        // Before expiry nobody else gets it; after expiry host B does.
        Assert.Empty(await b.Store.ClaimAsync("host-b", T0.AddSeconds(59), 10, TimeSpan.FromMinutes(1)));
        var claimedByB = Assert.Single(await b.Store.ClaimAsync("host-b", T0.AddMinutes(1), 10, TimeSpan.FromMinutes(1)));
        Assert.Equal(claimedByA.Enrollment.ConcurrencyToken, claimedByB.Enrollment.ConcurrencyToken);

        // The stale owner's commit is refused; the new owner's applies once.
        var stale = await a.Store.CommitAsync("host-a", [Checkpoint(claimedByA.Enrollment with { CurrentNodeId = "a-node", UpdatedAt = T0.AddMinutes(1) }, claimedByA.Enrollment.ConcurrencyToken)]);
        Assert.False(Assert.Single(stale));
        var fresh = await b.Store.CommitAsync("host-b", [Checkpoint(claimedByB.Enrollment with { CurrentNodeId = "b-node", UpdatedAt = T0.AddMinutes(1) }, claimedByB.Enrollment.ConcurrencyToken)]);
        Assert.True(Assert.Single(fresh));
        var again = await b.Store.CommitAsync("host-b", [Checkpoint(claimedByB.Enrollment with { CurrentNodeId = "twice" }, claimedByB.Enrollment.ConcurrencyToken)]);
        Assert.False(Assert.Single(again));

        var stored = Assert.Single(await a.Store.GetByCustomerAsync("c1"));
        Assert.Equal("b-node", stored.CurrentNodeId);
        Assert.Equal(claimedByA.Enrollment.ConcurrencyToken + 1, stored.ConcurrencyToken);
    }

    [Fact]
    public async Task A_cancel_that_fails_in_the_database_leaves_the_enrollments_and_their_messages_whole()
    {
        var (database, store) = Host();
        await database.EnsureInitializedAsync(default);
        var request = Request("a");
        await store.EnrollAsync([request]);
        var claimed = Assert.Single(await store.ClaimAsync("engine", T0, 10, TimeSpan.FromMinutes(1)));
        var waiting = claimed.Enrollment with { Status = EnrollmentStatus.Waiting, CurrentNodeId = "delay", WakeAt = T0.AddDays(1) };
        var held = new OutboxMessage(new OutboundMessage("held", "key:held", Channel.Email, "campaign", "a", "body", "j", 1, "send"), request.EnrollmentId, T0.AddHours(8));
        Assert.True(Assert.Single(await store.CommitAsync("engine", [new EnrollmentCheckpoint(waiting, claimed.Enrollment.ConcurrencyToken, [held], [], [])])));

        // The cancel's last statement (the outbox delete) fails: the enrollment update before it must not stay.
        await ExecuteAsync($"""
            CREATE FUNCTION {_schema}.simulated_fault() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'simulated outbox fault'; END $$;
            CREATE TRIGGER simulated_fault BEFORE DELETE ON {_schema}.outbox FOR EACH ROW EXECUTE FUNCTION {_schema}.simulated_fault();
            """);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => store.CancelAsync("j", null, null, "journey stopped", T0).AsTask());

        Assert.Contains("simulated outbox fault", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(EnrollmentStatus.Waiting, Assert.Single(await store.GetByCustomerAsync("a")).Status);
        Assert.Equal(T0.AddHours(8), await ((IOutboxStore)store).GetNextDueAsync());
        Assert.Equal(0, (await store.GetAsync("j", null)).Get(StatisticCounter.Cancelled));

        await ExecuteAsync($"DROP TRIGGER simulated_fault ON {_schema}.outbox");
        Assert.Equal(1, await store.CancelAsync("j", null, null, "journey stopped", T0));
        Assert.Null(await ((IOutboxStore)store).GetNextDueAsync());
        Assert.Equal(1, (await store.GetAsync("j", null)).Get("send", StatisticCounter.Cancelled));
    }

    [Fact]
    public async Task An_event_purge_that_fails_in_the_database_deletes_neither_events_nor_event_ids()
    {
        var (database, store) = Host();
        await database.EnsureInitializedAsync(default);
        await store.AppendNewEventsAsync([new CustomerEvent("a", "click", [], T0) { Id = "evt-1" }], T0, T0.AddDays(-1));

        // The purge's delete of the recorded event ids fails: the events it deleted must not stay deleted.
        await ExecuteAsync($"""
            CREATE FUNCTION {_schema}.simulated_fault() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'simulated event_ids fault'; END $$;
            CREATE TRIGGER simulated_fault BEFORE DELETE ON {_schema}.event_ids FOR EACH ROW EXECUTE FUNCTION {_schema}.simulated_fault();
            """);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => store.PurgeEventsAsync(T0.AddDays(1)).AsTask());

        Assert.Contains("simulated event_ids fault", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(1L, await ScalarAsync<long>($"SELECT count(*) FROM {_schema}.events"));
        Assert.Equal(1L, await ScalarAsync<long>($"SELECT count(*) FROM {_schema}.event_ids"));

        await ExecuteAsync($"DROP TRIGGER simulated_fault ON {_schema}.event_ids");
        Assert.Equal(1, await store.PurgeEventsAsync(T0.AddDays(1)));
        Assert.Equal(0L, await ScalarAsync<long>($"SELECT count(*) FROM {_schema}.events"));
        Assert.Equal(0L, await ScalarAsync<long>($"SELECT count(*) FROM {_schema}.event_ids"));
    }

    [Fact]
    public async Task Hosts_claiming_at_once_never_share_an_enrollment()
    {
        var hosts = Enumerable.Range(0, 4).Select(_ => Host()).ToArray();
        await hosts[0].Store.EnrollAsync([.. Enumerable.Range(0, 400).Select(i => Request($"c{i}"))]);
        var claims = await Task.WhenAll(hosts.Select((h, i) => Task.Run(async () =>
        {
            var mine = new List<Guid>();
            while (true)
            {
                var batch = await h.Store.ClaimAsync($"host-{i}", T0, 25, TimeSpan.FromMinutes(1));
                if (batch.Count == 0)
                {
                    return mine;
                }

                mine.AddRange(batch.Select(w => w.Enrollment.Id));
            }
        })));
        var all = claims.SelectMany(c => c).ToList();
        Assert.Equal(400, all.Count);
        Assert.Equal(400, all.Distinct().Count());
    }

    [Fact]
    public async Task A_claim_is_planned_once_per_connection_with_its_size_in_the_text_and_leaves_the_plan_mode_as_it_was()
    {
        // One connection, so every claim and the checks below run on the same server backend.
        await using var dataSource = new NpgsqlDataSourceBuilder(PostgreSqlTestServer.RequireConnectionString() + ";Maximum Pool Size=1").Build();
        await using var database = PostgreSqlTestServer.CreateDatabase(dataSource, _schema);
        var store = new PostgreSqlEngineStore(database);
        await store.EnrollAsync([.. Enumerable.Range(0, 5).Select(i => Request($"c{i}"))]);

        Assert.Equal(2, (await store.ClaimAsync("host", T0, 2, TimeSpan.FromMinutes(1))).Count);
        Assert.Equal(2, (await store.ClaimAsync("host", T0, 2, TimeSpan.FromMinutes(1))).Count);
        Assert.Single(await store.ClaimAsync("host", T0, 3, TimeSpan.FromMinutes(1)));
        Assert.Empty(await store.ClaimAsync("host", T0, 2, TimeSpan.FromMinutes(1)));

        await using var connection = await dataSource.OpenConnectionAsync();
        await using (var mode = new NpgsqlCommand("SHOW plan_cache_mode", connection))
        {
            Assert.Equal("auto", (string)(await mode.ExecuteScalarAsync())!);
        }

        // One prepared statement per claim size (a literal LIMIT), each run with its one generic plan, never a custom one.
        var plans = new List<(string Statement, long Generic, long Custom)>();
        await using (var read = new NpgsqlCommand(
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE '%FOR UPDATE SKIP LOCKED%' AND statement LIKE '%\"' || $1 || '\".enrollments%' ORDER BY statement",
            connection))
        {
            read.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _schema });
            await using var reader = await read.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                plans.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
            }
        }

        Assert.Equal(2, plans.Count);
        Assert.All(plans, p => Assert.Equal(0, p.Custom));
        Assert.Contains(plans, p => p.Statement.Contains("LIMIT 2 ", StringComparison.Ordinal) && p.Generic == 3);
        Assert.Contains(plans, p => p.Statement.Contains("LIMIT 3 ", StringComparison.Ordinal) && p.Generic == 1);
    }

    [Fact]
    public async Task The_outbox_claim_and_results_are_planned_once_per_connection_and_leave_the_plan_mode_as_it_was()
    {
        // One connection, so every call and the checks below run on the same server backend.
        await using var dataSource = new NpgsqlDataSourceBuilder(PostgreSqlTestServer.RequireConnectionString() + ";Maximum Pool Size=1").Build();
        await using var database = PostgreSqlTestServer.CreateDatabase(dataSource, _schema);
        var store = new PostgreSqlEngineStore(database);
        IOutboxStore outbox = store;
        await store.EnrollAsync([Request("c1")]);
        var claimed = Assert.Single(await store.ClaimAsync("host", T0, 10, TimeSpan.FromMinutes(1)));
        await store.CommitAsync("host", [new EnrollmentCheckpoint(
            claimed.Enrollment with { Status = EnrollmentStatus.Completed, CurrentNodeId = null },
            claimed.Enrollment.ConcurrencyToken,
            [.. Enumerable.Range(0, 5).Select(i => new OutboxMessage(new Messaging.OutboundMessage($"m{i}", $"k{i}", Channel.Email, "campaign", "c1", "body", "j", 1, "send"), claimed.Enrollment.Id, T0.AddSeconds(i)))],
            [],
            [])]);

        var first = await outbox.ClaimAsync("dispatcher", T0.AddMinutes(1), 2, TimeSpan.FromMinutes(1));
        Assert.Equal(["m0", "m1"], first.Select(m => m.Message.MessageId));
        await outbox.CompleteAsync("dispatcher", [
            new OutboxResult("m0", Messaging.SendResult.Sent, null, [new StatisticDelta("j", 1, "send", StatisticCounter.Sent)]),
            new OutboxResult("m1", Messaging.SendResult.Transient("busy"), T0.AddMinutes(10), [])]);
        var second = await outbox.ClaimAsync("dispatcher", T0.AddMinutes(1), 2, TimeSpan.FromMinutes(1));
        Assert.Equal(["m2", "m3"], second.Select(m => m.Message.MessageId));
        await outbox.CompleteAsync("dispatcher", [new OutboxResult("m2", Messaging.SendResult.Sent, null, []), new OutboxResult("m3", Messaging.SendResult.Sent, null, [])]);
        var third = await outbox.ClaimAsync("dispatcher", T0.AddMinutes(1), 2, TimeSpan.FromMinutes(1));
        Assert.Equal("m4", Assert.Single(third).Message.MessageId);

        // The results were applied: m1 waits for its retry with one more attempt, the others are gone, the delta counted.
        Assert.Equal(2L, await ScalarAsync<long>($"SELECT count(*) FROM {_schema}.outbox"));
        Assert.Equal(1L, await ScalarAsync<int>($"SELECT attempts FROM {_schema}.outbox WHERE message_id = 'm1' AND lease_owner IS NULL"));
        Assert.Equal(1L, await ScalarAsync<long>($"SELECT sum(value) FROM {_schema}.statistics WHERE counter = {(int)StatisticCounter.Sent}"));

        await using var connection = await dataSource.OpenConnectionAsync();
        await using (var mode = new NpgsqlCommand("SHOW plan_cache_mode", connection))
        {
            Assert.Equal("auto", (string)(await mode.ExecuteScalarAsync())!);
        }

        // Each statement of the claim (expiry, claim with its literal size) and of the results (row locks, settlement)
        // prepared once and run with its one generic plan, never a custom one.
        var plans = new Dictionary<string, (long Generic, long Custom)>();
        await using (var read = new NpgsqlCommand(
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE '%\"' || $1 || '\".outbox%'",
            connection))
        {
            read.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _schema });
            await using var reader = await read.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                plans.Add(reader.GetString(0), (reader.GetInt64(1), reader.GetInt64(2)));
            }
        }

        (long Generic, long Custom) Plans(string part) => Assert.Single(plans, p => p.Key.Contains(part, StringComparison.Ordinal)).Value;
        Assert.Equal((3L, 0L), Plans("SET lease_expires_at = NULL WHERE o.ctid"));
        Assert.Equal((3L, 0L), Plans("LIMIT 2 FOR UPDATE SKIP LOCKED"));
        Assert.Equal((2L, 0L), Plans(".outbox WHERE message_id = ANY ($1) AND lease_owner = $2 ORDER BY customer_id, message_id FOR UPDATE"));
        Assert.Equal((2L, 0L), Plans("WITH d AS (DELETE FROM"));
    }

    [Fact]
    public async Task The_batch_customer_read_is_planned_once_per_connection()
    {
        await using var dataSource = new NpgsqlDataSourceBuilder(PostgreSqlTestServer.RequireConnectionString() + ";Maximum Pool Size=1").Build();
        await using var database = PostgreSqlTestServer.CreateDatabase(dataSource, _schema);
        var customers = new PostgreSqlCustomerStore(database);
        await customers.UpsertAsync([new Customer("c1"), new Customer("c2")]);

        for (var i = 0; i < 3; i++)
        {
            var read = await customers.GetManyAsync(["c2", "missing", "c1"]);
            Assert.Equal(["c2", null, "c1"], read.Select(c => c?.Id));
        }

        await using var connection = await dataSource.OpenConnectionAsync();
        await using var plans = new NpgsqlCommand(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE '%FROM \"' || $1 || '\".customers WHERE customer_id = ANY%'",
            connection);
        plans.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _schema });
        await using var reader = await plans.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal((3L, 0L), (reader.GetInt64(0), reader.GetInt64(1)));
        Assert.False(await reader.ReadAsync());
    }

    [Fact]
    public async Task Concurrent_enrollments_from_several_hosts_never_create_two_active_enrollments()
    {
        var hosts = Enumerable.Range(0, 6).Select(_ => Host()).ToArray();
        await hosts[0].Database.EnsureInitializedAsync(default);
        var customers = Enumerable.Range(0, 50).Select(i => $"c{i}").ToArray();
        var outcomes = await Task.WhenAll(hosts.Select(h => Task.Run(async () =>
        {
            var all = new List<EnrollmentOutcome>();
            foreach (var chunk in customers.Chunk(10))
            {
                all.AddRange(await h.Store.EnrollAsync([.. chunk.Select(c => Request(c))]));
            }

            return all;
        })));

        Assert.Equal(customers.Length, outcomes.Sum(o => o.Count(x => x.Kind == EnrollmentOutcomeKind.Created)));
        Assert.Equal(customers.Length * (hosts.Length - 1), outcomes.Sum(o => o.Count(x => x.Kind == EnrollmentOutcomeKind.DuplicateActive)));
        Assert.Equal((long)customers.Length, await ScalarAsync<long>($"SELECT count(*) FROM {_schema}.enrollments WHERE status IN (0, 1)"));
    }

    [Fact]
    public async Task The_unique_index_refuses_a_second_active_enrollment_written_past_the_store()
    {
        var host = Host();
        await host.Store.EnrollAsync([Request("c1")]);
        var error = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(
            $"INSERT INTO {_schema}.enrollments SELECT customer_id, gen_random_uuid(), journey_id, version + 1, current_node, 1, wake_at, awaited_event, visit, entered_at, updated_at, token, wake_events, event_cursor, node_entered_at, node_state, end_reason, created_order + 1000, NULL, NULL, NULL FROM {_schema}.enrollments"));
        Assert.Equal(PostgresErrorCodes.UniqueViolation, error.SqlState);
    }

    [Fact]
    public async Task A_notification_from_another_host_wakes_the_listening_host()
    {
        var listener = Host();
        var signal = new RecordingSignal();
        using var listening = new PostgreSqlNotificationListener(listener.Database, signal, NullLogger<PostgreSqlNotificationListener>.Instance);
        await listening.StartAsync(default);
        await listening.Listening.WaitAsync(TimeSpan.FromSeconds(30));
        signal.Reset();

        var writer = Host();
        await writer.Store.EnrollAsync([Request("c1")]);
        await signal.Work.WaitAsync(TimeSpan.FromSeconds(30));

        var claimed = Assert.Single(await writer.Store.ClaimAsync("writer", T0, 10, TimeSpan.FromMinutes(1)));
        await writer.Store.CommitAsync("writer", [new EnrollmentCheckpoint(
            claimed.Enrollment with { Status = EnrollmentStatus.Completed, CurrentNodeId = null },
            claimed.Enrollment.ConcurrencyToken,
            [new OutboxMessage(new Messaging.OutboundMessage("m1", "k1", Channel.Email, "campaign", "c1", "body", "j", 1, "send"), claimed.Enrollment.Id, T0)],
            [],
            [])]);
        await signal.Outbox.WaitAsync(TimeSpan.FromSeconds(30));
        await listening.StopAsync(default);
    }

    [Fact]
    public async Task An_unreachable_database_fails_after_the_retries_with_a_clear_error()
    {
        // A loopback port nobody listens on: every connection attempt is refused at once.
        var builder = new NpgsqlConnectionStringBuilder(PostgreSqlTestServer.RequireConnectionString()) { Host = "127.0.0.1", Port = 1, Timeout = 2 };
        var dataSource = new NpgsqlDataSourceBuilder(builder.ConnectionString).Build();
        _disposables.Add(dataSource);
        var database = PostgreSqlTestServer.CreateDatabase(dataSource, _schema, o => o.MaxRetryAttempts = 2);
        _disposables.Add(database);

        var error = await Assert.ThrowsAsync<PostgreSqlStoreUnavailableException>(() => database.EnsureInitializedAsync(default).AsTask());
        Assert.Contains("failed 3 time(s)", error.Message, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:1", error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<NpgsqlException>(error.InnerException);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task UsePostgreSql_replaces_the_in_memory_stores_before_or_after_AddJourneys(bool before)
    {
        var dataSource = PostgreSqlTestServer.CreateDataSource();
        _disposables.Add(dataSource);
        var services = new ServiceCollection();
        if (before)
        {
            services.AddJourneys(j => j.UsePostgreSql(dataSource, o => o.SchemaName = _schema));
        }
        else
        {
            services.AddJourneys().UsePostgreSql(dataSource, o => o.SchemaName = _schema);
        }

        await using var provider = services.BuildServiceProvider();
        Assert.IsType<PostgreSqlEngineStore>(provider.GetRequiredService<IEnrollmentStore>());
        Assert.IsType<PostgreSqlEngineStore>(provider.GetRequiredService<IOutboxStore>());
        Assert.IsType<PostgreSqlEngineStore>(provider.GetRequiredService<IStatisticsStore>());
        Assert.IsType<PostgreSqlJourneyStore>(provider.GetRequiredService<IJourneyStore>());
        Assert.IsType<PostgreSqlCustomerStore>(provider.GetRequiredService<ICustomerStore>());
        Assert.Same(provider.GetRequiredService<IEnrollmentStore>(), provider.GetRequiredService<IOutboxStore>());
        Assert.Contains(provider.GetServices<IHostedService>(), s => s is PostgreSqlStoreInitializer);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData(5, 5)]
    public async Task Operations_run_at_once_are_not_capped_unless_configured(int? configured, int? expected)
    {
        var dataSource = PostgreSqlTestServer.CreateDataSource();
        _disposables.Add(dataSource);
        var services = new ServiceCollection();
        services.AddJourneys(j => j
            .UsePostgreSql(dataSource, o =>
            {
                o.SchemaName = _schema;
                o.MaxConcurrentOperations = configured;
            })
            .Configure(o => o.ShardCount = 3));

        await using var provider = services.BuildServiceProvider();
        Assert.Equal(expected, provider.GetRequiredService<PostgreSqlDatabase>().MaxConcurrentOperations);
    }

    [Fact]
    public void Operations_run_at_once_must_be_at_least_one()
    {
        var problem = Assert.Single(new PostgreSqlStoreOptions { MaxConcurrentOperations = 0 }.Validate());
        Assert.Contains("MaxConcurrentOperations must be 1 or more", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_operations_of_a_host_share_as_many_connections_as_it_allows_at_once()
    {
        // The host's own application name tells its server processes from everyone else's.
        var name = "turns-" + _schema;
        var dataSource = new NpgsqlDataSourceBuilder(PostgreSqlTestServer.RequireConnectionString() + ";Application Name=" + name).Build();
        _disposables.Add(dataSource);
        var database = PostgreSqlTestServer.CreateDatabase(dataSource, _schema, o => o.MaxConcurrentOperations = 2);
        _disposables.Add(database);
        var store = new PostgreSqlEngineStore(database);
        await store.EnrollAsync([.. Enumerable.Range(0, 40).Select(i => Request($"c{i}"))]);

        // 16 callers at once, each claiming, renewing and reading: every call finds its turn and its answer.
        var claimed = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            var mine = new List<Guid>();
            for (var round = 0; round < 5; round++)
            {
                var batch = await store.ClaimAsync($"host-{i}", T0, 1, TimeSpan.FromMinutes(1));
                mine.AddRange(batch.Select(w => w.Enrollment.Id));
                Assert.All(await store.RenewLeasesAsync($"host-{i}", [.. batch.Select(w => w.Enrollment.Id)], T0, TimeSpan.FromMinutes(2)), Assert.True);
                await store.GetNextWakeAsync();
            }

            return mine;
        })));
        Assert.Equal(40, claimed.Sum(c => c.Count));
        Assert.Equal(40, claimed.SelectMany(c => c).Distinct().Count());

        // The pool opened no more server processes than turns (without the turns, one per caller waiting at once).
        var backends = await ScalarAsync<long>($"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{name}'");
        Assert.InRange(backends, 1, 2);
    }

    [Fact]
    public async Task An_invalid_schema_name_fails_at_start()
    {
        var services = new ServiceCollection();
        services.AddJourneys(j => j.UseNpgsql(PostgreSqlTestServer.RequireConnectionString(), o => o.SchemaName = "Bad-Name"));
        await using var provider = services.BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<PostgreSqlStoreOptions>>().Value);
        Assert.Contains("SchemaName 'Bad-Name'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("order")]
    [InlineData("user")]
    public async Task A_valid_schema_name_that_is_an_sql_keyword_creates_its_tables_and_serves_the_stores(string schema)
    {
        // The options accept any lower-case identifier; PostgreSQL reserves some of them (ORDER, USER, ...) unless quoted.
        await ExecuteAsync($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
        try
        {
            await using var dataSource = PostgreSqlTestServer.CreateDataSource();
            await using var database = PostgreSqlTestServer.CreateDatabase(dataSource, schema);
            var store = new PostgreSqlEngineStore(database);
            await store.EnrollAsync([new EnrollmentRequest(Guid.NewGuid(), "j", 1, "c1", "start", T0, EntryRules.Default, EquatableArray<string>.Empty)]);
            Assert.Single(await store.ClaimAsync("host", T0, 10, TimeSpan.FromMinutes(1)));
            Assert.Equal((long)PostgreSqlSchema.CurrentVersion, await ScalarAsync<int>($"SELECT version FROM \"{schema}\".schema_version"));

            // A host that does not migrate finds the schema (its check names the table the same way).
            await using var checking = PostgreSqlTestServer.CreateDatabase(dataSource, schema, o => o.MigrateSchema = false);
            await checking.EnsureInitializedAsync(default);
        }
        finally
        {
            await ExecuteAsync($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
        }
    }

    [Fact]
    public async Task A_connection_string_with_multiplexing_is_refused_at_start_with_a_clear_error()
    {
        // The store prepares its statements explicitly (NpgsqlBatch.PrepareAsync), which Npgsql refuses under
        // multiplexing: every claim failed with NotSupportedException ("Explicit preparation not supported").
        var services = new ServiceCollection();
        services.AddJourneys(j => j.UseNpgsql(PostgreSqlTestServer.RequireConnectionString() + ";Multiplexing=true", o => o.SchemaName = _schema));
        await using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<ArgumentException>(() => provider.GetRequiredService<IEnrollmentStore>());
        Assert.Contains("Multiplexing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pool_of_one_connection_fails_the_host_start_when_it_listens_for_notifications()
    {
        // The listener holds its pooled connection for the host's life: every other operation waited for the pool's timeout.
        var services = new ServiceCollection();
        services.AddJourneys(j => j.UseNpgsql(PostgreSqlTestServer.RequireConnectionString() + ";Maximum Pool Size=1", o => o.SchemaName = _schema));
        await using (var provider = services.BuildServiceProvider())
        {
            var listener = provider.GetServices<IHostedService>().OfType<PostgreSqlNotificationListener>().Single();
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => listener.StartAsync(CancellationToken.None));
            Assert.Contains("Maximum Pool Size of 2 or more", error.Message, StringComparison.Ordinal);
            Assert.Contains("ListenForNotifications", error.Message, StringComparison.Ordinal);
        }

        // Without the listener (or with the store used without a host) one connection serves every operation in turn.
        var quiet = new ServiceCollection();
        quiet.AddJourneys(j => j.UseNpgsql(PostgreSqlTestServer.RequireConnectionString() + ";Maximum Pool Size=1", o =>
        {
            o.SchemaName = _schema;
            o.ListenForNotifications = false;
        }));
        await using var working = quiet.BuildServiceProvider();
        var journeys = working.GetRequiredService<IJourneyStore>();
        await journeys.SaveAsync(JourneyBuilder.Create("pool-one", "Pool of one").EnterOnEvent("go").Steps(p => p.Exit("done", id: "done")).Build(), null);
        Assert.NotNull(await journeys.GetAsync("pool-one"));
    }

    [Fact]
    public async Task Migrating_a_version_1_schema_keeps_its_statistics_which_then_add_up_with_new_counts()
    {
        var (database, store) = Host();
        await PostgreSqlSchema.MigrateAsync(database, default, targetVersion: 1);
        Assert.Equal(1L, await ScalarAsync<int>($"SELECT version FROM {_schema}.schema_version"));
        await ExecuteAsync($"INSERT INTO {_schema}.statistics (journey_id, version, node_id, counter, value) VALUES ('j', 1, '', {(short)StatisticCounter.Completed}, 5), ('j', 1, 'send', {(short)StatisticCounter.Sent}, 7)");

        await database.EnsureInitializedAsync(default);
        await store.AddAsync([new StatisticDelta("j", 1, null, StatisticCounter.Completed, 2)]);

        Assert.Equal((long)PostgreSqlSchema.CurrentVersion, await ScalarAsync<int>($"SELECT version FROM {_schema}.schema_version"));
        var statistics = await store.GetAsync("j", 1);
        Assert.Equal(7, statistics.Get(StatisticCounter.Completed));
        Assert.Equal(7, statistics.Get("send", StatisticCounter.Sent));
    }

    [Fact]
    public async Task Migrating_a_version_2_schema_keeps_customers_and_statistics_and_leaves_room_for_updates_in_place()
    {
        var (database, store) = Host();
        await PostgreSqlSchema.MigrateAsync(database, default, targetVersion: 2);
        Assert.Equal(2L, await ScalarAsync<int>($"SELECT version FROM {_schema}.schema_version"));
        await ExecuteAsync($"INSERT INTO {_schema}.customers (customer_id, fields, time_zone) VALUES ('c1', '{{\"plan\":[\"s\",\"free\"]}}', 'Europe/Madrid')");
        await ExecuteAsync($"INSERT INTO {_schema}.statistics (journey_id, version, node_id, counter, slot, value) VALUES ('j', 1, '', {(short)StatisticCounter.Completed}, 3, 5)");

        await database.EnsureInitializedAsync(default);
        await store.AddAsync([new StatisticDelta("j", 1, null, StatisticCounter.Completed, 2)]);

        Assert.Equal((long)PostgreSqlSchema.CurrentVersion, await ScalarAsync<int>($"SELECT version FROM {_schema}.schema_version"));
        Assert.Equal(7, (await store.GetAsync("j", 1)).Get(StatisticCounter.Completed));
        var customer = await new PostgreSqlCustomerStore(database).GetAsync("c1");
        Assert.Equal(("free", "Europe/Madrid"), (customer!.GetField("plan").AsString(), customer.TimeZoneId));
        // 80 since version 3, 50 since version 6.
        Assert.Equal("{fillfactor=50}", await TextAsync($"SELECT reloptions::text FROM pg_class WHERE oid = '{_schema}.customers'::regclass"));
        Assert.Equal("{fillfactor=50}", await TextAsync($"SELECT reloptions::text FROM pg_class WHERE oid = '{_schema}.statistics'::regclass"));
    }

    [Fact]
    public async Task Migrating_a_version_3_schema_keeps_enrollments_and_gives_rows_a_version_3_claim_leased_their_queue_place_back()
    {
        var (database, store) = Host();
        await PostgreSqlSchema.MigrateAsync(database, default, targetVersion: 3);
        Assert.Equal(3L, await ScalarAsync<int>($"SELECT version FROM {_schema}.schema_version"));

        // As version 3 left them: "ready" in the ready queue; "leased" claimed by a host that then died (lease set,
        // ready_seq cleared by its claim); "timer" waiting on a timer an hour away.
        var ready = Guid.NewGuid();
        var leased = Guid.NewGuid();
        var timer = Guid.NewGuid();
        await ExecuteAsync($"""
            INSERT INTO {_schema}.enrollments (customer_id, enrollment_id, journey_id, version, current_node, status, wake_at, awaited_event, visit,
                entered_at, updated_at, token, wake_events, event_cursor, node_entered_at, node_state, end_reason, created_order, ready_seq, lease_owner, lease_expires_at)
            VALUES ('ready', '{ready}', 'j', 1, 'start', 0, NULL, NULL, 0, '{T0:O}', '{T0:O}', 1, ARRAY[]::text[], 0, '{T0:O}', 0, NULL, 1, nextval('{_schema}.ready_seq'), NULL, NULL),
                ('leased', '{leased}', 'j', 1, 'start', 0, NULL, NULL, 0, '{T0:O}', '{T0:O}', 1, ARRAY[]::text[], 0, '{T0:O}', 0, NULL, 2, NULL, 'dead-host', '{T0.AddMinutes(1):O}'),
                ('timer', '{timer}', 'j', 1, 'wait', 1, '{T0.AddHours(1):O}', NULL, 1, '{T0:O}', '{T0:O}', 2, ARRAY[]::text[], 0, '{T0:O}', 0, NULL, 3, NULL, NULL, NULL)
            """);

        await database.EnsureInitializedAsync(default);

        Assert.Equal((long)PostgreSqlSchema.CurrentVersion, await ScalarAsync<int>($"SELECT version FROM {_schema}.schema_version"));
        Assert.Equal(3L, await ScalarAsync<long>($"SELECT count(*) FROM {_schema}.enrollments"));
        Assert.Equal("{fillfactor=40}", await TextAsync($"SELECT reloptions::text FROM pg_class WHERE oid = '{_schema}.enrollments'::regclass"));
        // No index holds a lease column, so a claim (which writes only those) can be a HOT update.
        // The table's own indexes first (materialized): pg_indexes with the definition in its WHERE may ask for the
        // definition of an index another test's schema is dropping meanwhile ("could not open relation with OID").
        Assert.Equal(0L, await ScalarAsync<long>($"WITH own AS MATERIALIZED (SELECT indexrelid FROM pg_index WHERE indrelid = '{_schema}.enrollments'::regclass) SELECT count(*) FROM own WHERE pg_get_indexdef(indexrelid) LIKE '%lease%'"));
        Assert.Equal(6L, await ScalarAsync<long>($"SELECT count(*) FROM pg_indexes WHERE schemaname = '{_schema}' AND tablename = 'enrollments'"));
        Assert.Equal("dead-host", await TextAsync($"SELECT lease_owner FROM {_schema}.enrollments WHERE enrollment_id = '{leased}'"));

        // Before the lease expires only the ready row is claimable; once it has, the leased row is; an hour on, the timer
        // first, then the two unfinished claims whose leases expired meanwhile, where they stand in the ready queue.
        Assert.Equal(["ready"], (await store.ClaimAsync("host", T0.AddSeconds(30), 10, TimeSpan.FromMinutes(1))).Select(w => w.Enrollment.CustomerId));
        var taken = Assert.Single(await store.ClaimAsync("host", T0.AddMinutes(1), 10, TimeSpan.FromMinutes(1)));
        Assert.Equal((leased, 1L), (taken.Enrollment.Id, taken.Enrollment.ConcurrencyToken));
        Assert.Equal(T0.AddHours(1), await store.GetNextWakeAsync());
        var later = await store.ClaimAsync("host", T0.AddHours(1), 10, TimeSpan.FromMinutes(1));
        Assert.Equal([timer, ready, leased], later.Select(w => w.Enrollment.Id));
        Assert.Equal((EnrollmentStatus.Waiting, 2L), (later[0].Enrollment.Status, later[0].Enrollment.ConcurrencyToken));
    }

    [Fact]
    public async Task Statistic_writes_spread_over_counter_rows_and_reads_sum_them()
    {
        var hosts = Enumerable.Range(0, 4).Select(_ => Host()).ToArray();
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => hosts[i % hosts.Length].Store.AddAsync([new StatisticDelta("j", 1, null, StatisticCounter.Entered)]).AsTask()));

        Assert.Equal(40, (await hosts[0].Store.GetAsync("j", null)).Get(StatisticCounter.Entered));
        var rows = await ScalarAsync<long>($"SELECT count(*) FROM {_schema}.statistics WHERE journey_id = 'j'");
        Assert.InRange(rows, 2L, PostgreSqlSchema.StatisticSlots);
    }

    [Fact]
    public async Task Customer_updates_are_appended_on_the_server_even_to_a_document_its_json_functions_refuse()
    {
        var (database, store) = Host();
        var customers = new PostgreSqlCustomerStore(database);
        await customers.UpsertAsync([new Customer("plain", [new("plan", "free"), new("city", "Madrid")]), new Customer("nul", [new("note", "x\0y"), new("plan", "free")])]);
        await store.EnrollAsync([Request("plain"), Request("nul")]);
        var claimed = await store.ClaimAsync("host", T0, 10, TimeSpan.FromMinutes(1));

        var applied = await store.CommitAsync("host", [.. claimed.Select(item => new EnrollmentCheckpoint(
            item.Enrollment with { Status = EnrollmentStatus.Completed, CurrentNodeId = null },
            item.Enrollment.ConcurrencyToken,
            [],
            [new CustomerFieldUpdate(item.Enrollment.CustomerId, "plan", "pro")],
            []))]);

        Assert.Equal([true, true], applied);
        Assert.Equal(("pro", "Madrid"), ((await customers.GetAsync("plain"))!.GetField("plan").AsString(), (await customers.GetAsync("plain"))!.GetField("city").AsString()));
        Assert.Equal(("pro", "x\0y"), ((await customers.GetAsync("nul"))!.GetField("plan").AsString(), (await customers.GetAsync("nul"))!.GetField("note").AsString()));

        // Both documents were appended to as text (no JSON function read them): the stored field stays, the update follows it.
        foreach (var id in new[] { "plain", "nul" })
        {
            var stored = await TextAsync($"SELECT fields FROM {_schema}.customers WHERE customer_id = '{id}'");
            Assert.EndsWith(""","plan":["s","pro"]}""", stored, StringComparison.Ordinal);
            Assert.Contains("""["s","free"]""", stored, StringComparison.Ordinal);
        }

        Assert.Contains("""["s","x\u0000y"]""", await TextAsync($"SELECT fields FROM {_schema}.customers WHERE customer_id = 'nul'"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Appended_customer_updates_read_back_as_the_last_value_per_name_and_a_long_document_is_merged_back_to_one_entry_per_field()
    {
        var (database, store) = Host();
        var customers = new PostgreSqlCustomerStore(database);
        var padding = new string('p', 600);
        await customers.UpsertAsync([new Customer("c", [new("Plan", "free"), new("city", "Madrid"), new("pad", padding)], "Europe/Madrid")]);

        // Each round: the plan again (differently spelt), the city removed or set, and a counter.
        var lengths = new List<long>();
        for (var round = 1; round <= 40; round++)
        {
            await UpdateAsync(store, "c", round,
                new CustomerFieldUpdate("c", round % 2 == 0 ? "PLAN" : "plan", $"plan-{round}"),
                new CustomerFieldUpdate("c", "City", round % 3 == 0 ? FieldValue.Null : $"city-{round}"),
                new CustomerFieldUpdate("c", "count", round));
            lengths.Add(await ScalarAsync<long>($"SELECT octet_length(fields) FROM {_schema}.customers WHERE customer_id = 'c'"));

            var customer = (await customers.GetAsync("c"))!;
            Assert.Equal(round % 2 == 0 ? "PLAN" : "plan", customer.Fields.Keys.Single(k => string.Equals(k, "plan", StringComparison.OrdinalIgnoreCase)));
            Assert.Equal($"plan-{round}", customer.GetField("plan").AsString());
            Assert.Equal(round % 3 == 0 ? null : $"city-{round}", customer.Fields.TryGetValue("city", out var city) ? city.AsString() : null);
            Assert.Equal((double)round, customer.GetField("count").AsNumber());
            Assert.Equal((padding, "Europe/Madrid"), (customer.GetField("pad").AsString(), customer.TimeZoneId));
            Assert.Equal(round % 3 == 0 ? 3 : 4, customer.Fields.Count);
        }

        // The document grew by appends, was merged back to one entry per field when an append would have passed the
        // limit, and grew again: never past the limit, and shorter after a merge than before it.
        Assert.All(lengths, length => Assert.InRange(length, 600L, PostgreSqlEngineStore.AppendLimit));
        Assert.Contains(lengths.Zip(lengths.Skip(1)), pair => pair.Second < pair.First);

        // A whole-document upsert replaces what the appends left, and later appends go on from it.
        await customers.UpsertAsync([new Customer("c", [new("plan", "reset")])]);
        await UpdateAsync(store, "c", 41, new CustomerFieldUpdate("c", "count", 41));
        var reset = (await customers.GetAsync("c"))!;
        Assert.Equal(["count", "plan"], reset.Fields.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(("reset", 41d, (string?)null), (reset.GetField("plan").AsString(), reset.GetField("count").AsNumber(), reset.TimeZoneId));
    }

    [Fact]
    public async Task Concurrent_commits_of_several_hosts_appending_to_one_customer_lose_no_update()
    {
        var hosts = Enumerable.Range(0, 4).Select(_ => Host()).ToArray();
        var customers = new PostgreSqlCustomerStore(hosts[0].Database);
        await customers.UpsertAsync([new Customer("c", [new("plan", "free")])]);
        const int Enrollments = 24;
        await hosts[0].Store.EnrollAsync([.. Enumerable.Range(0, Enrollments).Select(i =>
            new EnrollmentRequest(Guid.NewGuid(), $"j{i}", 1, "c", "start", T0, EntryRules.Default, EquatableArray<string>.Empty))]);

        // Each host claims a share and commits one checkpoint at a time, all at once: every commit appends to the same row.
        var applied = await Task.WhenAll(hosts.Select(async (host, h) =>
        {
            var owner = $"host-{h}";
            var claimed = await host.Store.ClaimAsync(owner, T0, Enrollments / hosts.Length, TimeSpan.FromMinutes(1));
            var count = 0;
            foreach (var item in claimed)
            {
                var result = await host.Store.CommitAsync(owner, [new EnrollmentCheckpoint(
                    item.Enrollment with { Status = EnrollmentStatus.Completed, CurrentNodeId = null },
                    item.Enrollment.ConcurrencyToken,
                    [],
                    [new CustomerFieldUpdate("c", item.Enrollment.JourneyId, h), new CustomerFieldUpdate("c", "last", item.Enrollment.JourneyId)],
                    [])]);
                count += result.Count(a => a);
            }

            return count;
        }));

        Assert.Equal(Enrollments, applied.Sum());
        var customer = (await customers.GetAsync("c"))!;
        Assert.Equal(Enrollments + 2, customer.Fields.Count);
        Assert.All(Enumerable.Range(0, Enrollments), i => Assert.True(customer.Fields.ContainsKey($"j{i}"), $"the update of j{i} was lost"));
        Assert.Equal("free", customer.GetField("plan").AsString());
    }

    [Fact]
    public async Task A_long_document_the_server_cannot_merge_is_merged_by_the_store()
    {
        var (database, store) = Host();
        var customers = new PostgreSqlCustomerStore(database);
        await customers.UpsertAsync([new Customer("c", [new("note", "x\0y"), new("pad", new string('p', PostgreSqlEngineStore.AppendLimit))])]);

        await UpdateAsync(store, "c", 1, new CustomerFieldUpdate("c", "plan", "pro"), new CustomerFieldUpdate("c", "note", FieldValue.Null));

        var customer = (await customers.GetAsync("c"))!;
        Assert.Equal(["pad", "plan"], customer.Fields.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("pro", customer.GetField("plan").AsString());
        // Written back whole by the store (one entry per field), not appended to.
        Assert.DoesNotContain("\"x\"", await TextAsync($"SELECT fields FROM {_schema}.customers WHERE customer_id = 'c'"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrating_a_version_4_schema_keeps_customers_and_appends_updates_to_their_documents()
    {
        var (database, store) = Host();
        await PostgreSqlSchema.MigrateAsync(database, default, targetVersion: 4);
        Assert.Equal(4L, await ScalarAsync<int>($"SELECT version FROM {_schema}.schema_version"));
        await ExecuteAsync($"INSERT INTO {_schema}.customers (customer_id, fields, time_zone) VALUES ('c1', '{{\"plan\" : [\"s\",\"free\"], \"city\":[\"s\",\"Madrid\"]}}', 'Europe/Madrid')");

        await database.EnsureInitializedAsync(default);
        Assert.Equal((long)PostgreSqlSchema.CurrentVersion, await ScalarAsync<int>($"SELECT version FROM {_schema}.schema_version"));
        var customers = new PostgreSqlCustomerStore(database);
        Assert.Equal(("free", "Madrid"), ((await customers.GetAsync("c1"))!.GetField("plan").AsString(), (await customers.GetAsync("c1"))!.GetField("city").AsString()));

        await UpdateAsync(store, "c1", 1, new CustomerFieldUpdate("c1", "plan", "pro"));
        var customer = (await customers.GetAsync("c1"))!;
        Assert.Equal(("pro", "Madrid", "Europe/Madrid"), (customer.GetField("plan").AsString(), customer.GetField("city").AsString(), customer.TimeZoneId));
        Assert.EndsWith(""","plan":["s","pro"]}""", await TextAsync($"SELECT fields FROM {_schema}.customers WHERE customer_id = 'c1'"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrating_a_version_5_schema_keeps_pending_messages_and_finds_them_by_message_id_through_the_new_key()
    {
        var (database, store) = Host();
        IOutboxStore outbox = store;
        await PostgreSqlSchema.MigrateAsync(database, default, targetVersion: 5);
        Assert.Equal(5L, await ScalarAsync<int>($"SELECT version FROM {_schema}.schema_version"));
        await ExecuteAsync($"""
            INSERT INTO {_schema}.outbox (customer_id, message_id, idempotency_key, channel, campaign_id, body, journey_id, journey_version, node_id, enrollment_id,
                due_at, attempts, created_order, lease_owner, lease_expires_at)
            VALUES ('c1', 'due', 'k1', 'email', 'campaign', 'body', 'j', 1, 'send', NULL, '{T0:O}', 0, 1, NULL, NULL),
                ('c2', 'leased', 'k2', 'email', 'campaign', 'body', 'j', 1, 'send', NULL, '{T0:O}', 0, 2, 'dead-host', '{T0.AddMinutes(1):O}')
            """);

        await database.EnsureInitializedAsync(default);

        Assert.Equal((long)PostgreSqlSchema.CurrentVersion, await ScalarAsync<int>($"SELECT version FROM {_schema}.schema_version"));
        Assert.Equal("{fillfactor=50}", await TextAsync($"SELECT reloptions::text FROM pg_class WHERE oid = '{_schema}.customers'::regclass"));
        // Two index entries per message: the key (message id first) and the due-time or lease-expiry index.
        Assert.Equal(
            $"CREATE UNIQUE INDEX outbox_pkey ON {_schema}.outbox USING btree (message_id, customer_id)|CREATE INDEX outbox_due ON {_schema}.outbox USING btree (due_at, created_order) WHERE (lease_expires_at IS NULL)|CREATE INDEX outbox_leases ON {_schema}.outbox USING btree (lease_expires_at) WHERE (lease_expires_at IS NOT NULL)",
            await TextAsync($"SELECT string_agg(indexdef, '|' ORDER BY indexname <> 'outbox_pkey', indexname) FROM pg_indexes WHERE schemaname = '{_schema}' AND tablename = 'outbox'"));

        // Both rows kept: the due one is claimed, completed by its id and gone; the dead host's lease expires into a claim.
        Assert.Equal("due", Assert.Single(await outbox.ClaimAsync("host", T0, 10, TimeSpan.FromMinutes(1))).Message.MessageId);
        Assert.Equal([true], await outbox.RenewLeasesAsync("host", ["due"], T0, TimeSpan.FromMinutes(5)));
        await outbox.CompleteAsync("host", [new OutboxResult("due", Messaging.SendResult.Sent, null, [new StatisticDelta("j", 1, "send", StatisticCounter.Sent)])]);
        Assert.Equal("leased", Assert.Single(await outbox.ClaimAsync("host", T0.AddMinutes(2), 10, TimeSpan.FromMinutes(1))).Message.MessageId);
        Assert.Equal(0L, await ScalarAsync<long>($"SELECT count(*) FROM {_schema}.outbox WHERE message_id = 'due'"));
        Assert.Equal(1, (await store.GetAsync("j", 1)).Get("send", StatisticCounter.Sent));
    }

    [Fact]
    public async Task Migrating_a_version_6_schema_keeps_events_and_then_finds_retried_event_ids()
    {
        var (database, store) = Host();
        IEnrollmentStore enrollments = store;
        await PostgreSqlSchema.MigrateAsync(database, default, targetVersion: 6);
        Assert.Equal(6L, await ScalarAsync<int>($"SELECT version FROM {_schema}.schema_version"));
        await ExecuteAsync($"INSERT INTO {_schema}.events (customer_id, sequence, name, properties, time, message_id) VALUES ('c1', nextval('{_schema}.event_seq'), 'click', '{{}}', '{T0:O}', NULL)");

        await database.EnsureInitializedAsync(default);

        Assert.Equal((long)PostgreSqlSchema.CurrentVersion, await ScalarAsync<int>($"SELECT version FROM {_schema}.schema_version"));
        Assert.Equal(0L, await ScalarAsync<long>($"SELECT count(*) FROM {_schema}.journey_intakes"));
        Assert.Equal(0L, await ScalarAsync<long>($"SELECT count(*) FROM {_schema}.frequency_sends"));
        Assert.Equal(1L, await ScalarAsync<long>($"SELECT count(*) FROM {_schema}.events WHERE customer_id = 'c1' AND event_id IS NULL"));
        var since = T0.AddDays(-1);
        var first = await enrollments.AppendNewEventsAsync([new CustomerEvent("c1", "click", [], T0) { Id = "e1" }], T0, since);
        var retry = await enrollments.AppendNewEventsAsync([new CustomerEvent("c1", "click", [], T0) { Id = "e1" }], T0, since);
        Assert.True(Assert.Single(first) > 1);
        Assert.Equal([0L], retry);
        Assert.Equal(2L, await ScalarAsync<long>($"SELECT count(*) FROM {_schema}.events WHERE customer_id = 'c1'"));
    }

    [Fact]
    public async Task A_commit_updating_every_customer_of_a_page_leaves_each_row_on_its_page()
    {
        // 24 customers of ~600 bytes (as the benchmark's 20-field customers), written together: they share pages.
        var (database, store) = Host();
        var customers = new PostgreSqlCustomerStore(database);
        var ids = Enumerable.Range(0, 24).Select(i => $"customer-{i:D2}").ToArray();
        await customers.UpsertAsync([.. ids.Select(id => new Customer(id, [.. Enumerable.Range(0, 20).Select(f => KeyValuePair.Create($"field{f:D2}", (FieldValue)$"value {f} of {id}"))]))]);
        var before = await PagesAsync();
        Assert.True(before.Values.Distinct().Count() < ids.Length / 2, "the customers should share pages");

        // One commit updates a field of each (a new version of every row of those pages, none prunable yet).
        await store.EnrollAsync([.. ids.Select(Request)]);
        var claimed = await store.ClaimAsync("host", T0, 100, TimeSpan.FromMinutes(1));
        var applied = await store.CommitAsync("host", [.. claimed.Select(item => new EnrollmentCheckpoint(
            item.Enrollment with { Status = EnrollmentStatus.Completed, CurrentNodeId = null },
            item.Enrollment.ConcurrencyToken,
            [],
            [new CustomerFieldUpdate(item.Enrollment.CustomerId, "field07", "updated")],
            []))]);
        Assert.Equal(ids.Length, applied.Count(a => a));

        // Every new version found room on its row's page (a HOT update: no new key entry, no lock record of its own);
        // at fillfactor 80 (versions 3-5) about half of them moved to another page.
        Assert.Equal(before, await PagesAsync());
        foreach (var id in ids)
        {
            Assert.Equal("updated", (await customers.GetAsync(id))!.GetField("field07").AsString());
        }

        async Task<Dictionary<string, string>> PagesAsync()
        {
            await using var dataSource = PostgreSqlTestServer.CreateDataSource();
            await using var command = dataSource.CreateCommand($"SELECT customer_id, split_part(btrim(ctid::text, '()'), ',', 1) FROM {_schema}.customers");
            await using var reader = await command.ExecuteReaderAsync();
            var pages = new Dictionary<string, string>(StringComparer.Ordinal);
            while (await reader.ReadAsync())
            {
                pages.Add(reader.GetString(0), reader.GetString(1));
            }

            return pages;
        }
    }

    [Fact]
    public async Task Customer_updates_on_the_server_replace_names_case_insensitively_remove_null_values_and_create_missing_customers()
    {
        var (database, store) = Host();
        var customers = new PostgreSqlCustomerStore(database);
        await customers.UpsertAsync([new Customer("known", [new("Plan", "free"), new("city", "Madrid"), new("score", 3)])]);
        await store.EnrollAsync([Request("known"), Request("missing")]);
        var claimed = await store.ClaimAsync("host", T0, 10, TimeSpan.FromMinutes(1));

        var applied = await store.CommitAsync("host", [.. claimed.Select(item => new EnrollmentCheckpoint(
            item.Enrollment with { Status = EnrollmentStatus.Completed, CurrentNodeId = null },
            item.Enrollment.ConcurrencyToken,
            [],
            [
                new CustomerFieldUpdate(item.Enrollment.CustomerId, "plan", "pro"),
                new CustomerFieldUpdate(item.Enrollment.CustomerId, "CITY", FieldValue.Null),
                new CustomerFieldUpdate(item.Enrollment.CustomerId, "PLAN", "gold"),
            ],
            []))]);

        Assert.Equal([true, true], applied);
        var known = (await customers.GetAsync("known"))!;
        Assert.Equal(["PLAN", "score"], known.Fields.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(("gold", 3d), (known.GetField("plan").AsString(), known.GetField("score").AsNumber()));
        var missing = (await customers.GetAsync("missing"))!;
        Assert.Equal("gold", Assert.Single(missing.Fields).Value.AsString());
    }

    private (PostgreSqlDatabase Database, PostgreSqlEngineStore Store) Host(Action<PostgreSqlStoreOptions>? configure = null)
    {
        var dataSource = PostgreSqlTestServer.CreateDataSource();
        var database = PostgreSqlTestServer.CreateDatabase(dataSource, _schema, configure);
        _disposables.Add(dataSource);
        _disposables.Add(database);
        return (database, new PostgreSqlEngineStore(database));
    }

    // One enrollment of the customer in a journey of its own (so rounds never collide), claimed and completed with the updates.
    private static async Task UpdateAsync(PostgreSqlEngineStore store, string customerId, int round, params CustomerFieldUpdate[] updates)
    {
        await store.EnrollAsync([new EnrollmentRequest(Guid.NewGuid(), $"j{round}", 1, customerId, "start", T0, EntryRules.Default, EquatableArray<string>.Empty)]);
        var item = Assert.Single(await store.ClaimAsync("host", T0, 10, TimeSpan.FromMinutes(1)));
        var applied = await store.CommitAsync("host", [new EnrollmentCheckpoint(
            item.Enrollment with { Status = EnrollmentStatus.Completed, CurrentNodeId = null }, item.Enrollment.ConcurrencyToken, [], updates, [])]);
        Assert.Equal([true], applied);
    }

    private static EnrollmentRequest Request(string customerId) =>
        new(Guid.NewGuid(), "j", 1, customerId, "start", T0, EntryRules.Default, EquatableArray<string>.Empty);

    private static EnrollmentCheckpoint Checkpoint(Enrollment state, long expectedToken) => new(state, expectedToken, [], [], []);

    private static async Task ExecuteAsync(string sql)
    {
        await using var dataSource = PostgreSqlTestServer.CreateDataSource();
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string> TextAsync(string sql)
    {
        await using var dataSource = PostgreSqlTestServer.CreateDataSource();
        await using var command = dataSource.CreateCommand(sql);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<long> ScalarAsync<T>(string sql)
    {
        await using var dataSource = PostgreSqlTestServer.CreateDataSource();
        await using var command = dataSource.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private sealed class RecordingSignal : IJourneyEngineSignal
    {
        private TaskCompletionSource _work = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private TaskCompletionSource _outbox = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Work => Volatile.Read(ref _work).Task;

        public Task Outbox => Volatile.Read(ref _outbox).Task;

        public void Reset()
        {
            Volatile.Write(ref _work, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            Volatile.Write(ref _outbox, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }

        public void NotifyWork() => Volatile.Read(ref _work).TrySetResult();

        public void NotifyOutbox() => Volatile.Read(ref _outbox).TrySetResult();
    }
}
