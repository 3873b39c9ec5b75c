using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Reflection;
using Journeys.Building;
using Journeys.Messaging;
using Journeys.Model;
using Journeys.Serialization;
using Journeys.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Storage.Tests.Sqlite;

/// <summary>What only a durable SQLite store can get wrong: schema versions, durability, faults, locks, registration.</summary>
public sealed class SqliteStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);
    private readonly SqliteTestFile _file = new();
    private readonly FakeTimeProvider _time = new(T0);

    public void Dispose() => _file.Dispose();

    [Fact]
    public void A_new_database_gets_the_current_schema_version_wal_and_the_unique_live_index()
    {
        using (_file.Open(_time))
        {
        }

        using var connection = _file.Connect();
        Assert.Equal((long)SqliteSchema.CurrentVersion, Scalar(connection, "SELECT MAX(version) FROM journeys_schema_version"));
        Assert.Equal("wal", Scalar(connection, "PRAGMA journal_mode"));
        var indexes = Scalar(connection, "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'enrollments' AND sql IS NOT NULL ORDER BY name)");
        Assert.Equal("ix_enrollments_id,ix_enrollments_journey,ix_enrollments_schedule,ix_enrollments_timers,ix_enrollments_waiting,ux_enrollments_live", indexes);
    }

    [Fact]
    public void A_database_of_a_newer_schema_version_is_refused_naming_both_versions_and_left_unchanged()
    {
        using (_file.Open(_time))
        {
        }

        using (var connection = _file.Connect())
        {
            Execute(connection, "INSERT INTO journeys_schema_version (version, applied_at, library) VALUES (99, 0, 'Journeys.Sqlite 9.0.0')");
        }

        var error = Assert.Throws<InvalidOperationException>(() => _file.Open(_time));

        Assert.Contains("schema version 99", error.Message, StringComparison.Ordinal);
        Assert.Contains($"schema version {SqliteSchema.CurrentVersion} ", error.Message, StringComparison.Ordinal);
        Assert.Contains("Journeys.Sqlite 9.0.0", error.Message, StringComparison.Ordinal);
        Assert.Contains(_file.Path, error.Message, StringComparison.Ordinal);
        using var check = _file.Connect();
        Assert.Equal(SqliteSchema.CurrentVersion + 1L, Scalar(check, "SELECT COUNT(*) FROM journeys_schema_version"));
    }

    [Fact]
    public async Task Parsed_journey_records_are_kept_for_the_versions_read_since_the_latest_moved_not_for_every_version()
    {
        static JourneyDefinition List(int version, JourneyStatus status, params string[] ids) =>
            JourneyBuilder.Create("list", "List").EnterFromList(ids).Steps(p => p.Exit("done")).Build() with { Version = version, Status = status };

        using var database = _file.Open(_time);
        var store = new SqliteJourneyStore(database);
        var saved = await store.SaveAsync(List(1, JourneyStatus.Active, "c1"), null);
        var first = await store.GetAsync("list");
        for (var version = 2; version <= 5; version++)
        {
            saved = await store.SaveAsync(List(version, JourneyStatus.Active, $"c{version}"), saved.ETag);
            Assert.Equal(version, (await store.GetAsync("list"))!.Journey.Version);
        }

        Assert.Equal(1, store.ParsedCount);

        // An older version read is parsed (again) and kept beside the latest, until a newer version is parsed.
        var older = await store.GetVersionAsync("list", 1);
        Assert.NotSame(first, older);
        Assert.Equal((first!.ETag, ["c1"]), (older!.ETag, ((CustomerListEntry)older.Journey.Entry!).CustomerIds));
        Assert.Same(older, await store.GetVersionAsync("list", 1));
        var latest = await store.GetAsync("list");
        Assert.Same(latest, await store.GetAsync("list"));
        Assert.Equal(2, store.ParsedCount);

        saved = await store.SaveAsync(List(6, JourneyStatus.Draft, "c6"), saved.ETag);
        Assert.Equal(6, (await store.ListAsync().SingleAsync()).Journey.Version);
        Assert.Equal(1, store.ParsedCount);
    }

    [Fact]
    public async Task A_version_2_database_is_migrated_to_the_current_version_keeping_its_events_and_then_finds_retried_event_ids()
    {
        using (var connection = _file.Connect())
        {
            Execute(connection, SqliteSchema.VersionTable);
            Execute(connection, SqliteSchema.Migrations[0]);
            Execute(connection, SqliteSchema.Migrations[1]);
            Execute(connection, "INSERT INTO journeys_schema_version (version, applied_at, library) VALUES (1, 0, 'Journeys.Sqlite 0.1.0'), (2, 0, 'Journeys.Sqlite 0.2.0')");
            Execute(connection, $"INSERT INTO events (customer_id, seq, name, time, message_id, properties) VALUES ('c1', 1, 'click', {T0.UtcTicks}, NULL, NULL)");
            Execute(connection, "INSERT INTO journeys_meta (key, value) VALUES ('event_seq', 1)");
        }

        using (var database = _file.Open(_time))
        {
            IEnrollmentStore engine = new SqliteEngineStore(database);
            var since = T0.AddDays(-1);
            var first = await engine.AppendNewEventsAsync([new CustomerEvent("c1", "click", [], T0) { Id = "e1" }], T0, since);
            var retry = await engine.AppendNewEventsAsync([new CustomerEvent("c1", "click", [], T0) { Id = "e1" }], T0, since);
            Assert.Equal([2L], first);
            Assert.Equal([0L], retry);
        }

        using var check = _file.Connect();
        Assert.Equal(string.Join(",", Enumerable.Range(1, SqliteSchema.CurrentVersion)), Scalar(check, "SELECT group_concat(version, ',') FROM (SELECT version FROM journeys_schema_version ORDER BY version)"));
        Assert.Equal(0L, Scalar(check, "SELECT COUNT(*) FROM journey_intakes"));
        Assert.Equal(0L, Scalar(check, "SELECT COUNT(*) FROM frequency_sends"));
        Assert.Equal("1:,2:e1", Scalar(check, "SELECT group_concat(seq || ':' || COALESCE(event_id, ''), ',') FROM (SELECT seq, event_id FROM events ORDER BY seq)"));
    }

    [Fact]
    public async Task A_version_5_database_is_migrated_to_the_current_version_keeping_its_journeys_and_reads_their_etags_from_the_covering_index()
    {
        // A list of 20,000 ids: a document of several hundred KB, stored before the row's ETag.
        var journey = JourneyBuilder.Create("list", "List")
            .EnterFromList(Enumerable.Range(0, 20_000).Select(i => $"customer-{i:D6}"))
            .Steps(p => p.Exit("done"))
            .Build();
        using (var connection = _file.Connect())
        {
            Execute(connection, SqliteSchema.VersionTable);
            for (var version = 1; version <= 5; version++)
            {
                Execute(connection, SqliteSchema.Migrations[version - 1]);
                Execute(connection, $"INSERT INTO journeys_schema_version (version, applied_at, library) VALUES ({version}, 0, 'Journeys.Sqlite 0.{version}.0')");
            }

            using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO journey_versions (journey_id, version, document, etag, updated_at) VALUES ('list', 1, $document, 'e1', $at)";
            insert.Parameters.AddWithValue("$document", JourneyJson.SerializeToUtf8Bytes(journey));
            insert.Parameters.AddWithValue("$at", T0.UtcTicks);
            insert.ExecuteNonQuery();
        }

        using (var database = _file.Open(_time))
        {
            var store = new SqliteJourneyStore(database);
            var latest = await store.GetAsync("list");
            Assert.Equal("e1", latest!.ETag);
            Assert.Equal(20_000, ((CustomerListEntry)latest.Journey.Entry!).CustomerIds.Count);
            Assert.Same(latest, await store.GetVersionAsync("list", 1));
            Assert.Same(latest, await store.ListAsync().SingleAsync());

            // The listing is reused until journey_versions changes, however it changes: the migration's triggers count
            // a write made on another connection too.
            Assert.Same(latest, await store.ListAsync().SingleAsync());
            using (var other = _file.Connect())
            {
                Execute(other, "UPDATE journey_versions SET etag = 'e2' WHERE journey_id = 'list'");
            }

            Assert.Equal("e2", (await store.ListAsync().SingleAsync()).ETag);
        }

        using var check = _file.Connect();
        Assert.Equal(string.Join(",", Enumerable.Range(1, SqliteSchema.CurrentVersion)), Scalar(check, "SELECT group_concat(version, ',') FROM (SELECT version FROM journeys_schema_version ORDER BY version)"));

        // Each read of ETags alone is answered from the index: the document's pages are not walked.
        foreach (var sql in new[] { SqliteJourneyStore.LatestETagSql, SqliteJourneyStore.VersionETagSql, SqliteJourneyStore.ListETagsSql })
        {
            using var explain = check.CreateCommand();
            explain.CommandText = "EXPLAIN QUERY PLAN " + sql;
            explain.Parameters.AddWithValue("$id", "list");
            explain.Parameters.AddWithValue("$version", 1);
            var plan = new List<string>();
            using (var reader = explain.ExecuteReader())
            {
                while (reader.Read())
                {
                    plan.Add(reader.GetString(3));
                }
            }

            Assert.All(plan.Where(p => p.Contains("journey_versions", StringComparison.Ordinal) || p.StartsWith("SCAN", StringComparison.Ordinal) || p.StartsWith("SEARCH", StringComparison.Ordinal)), p => Assert.Contains("COVERING INDEX ix_journey_versions_etag", p, StringComparison.Ordinal));
            Assert.Contains(plan, p => p.Contains("COVERING INDEX ix_journey_versions_etag", StringComparison.Ordinal));
        }
    }

    [Theory]
    // Timers of one instant (a "wait until 09:00" of a whole audience) are taken a claim's worth at a time in (wake time,
    // id) order: read from ix_enrollments_timers in that order and stopped at the limit, never all sorted first.
    [InlineData(nameof(SqliteEngineStore.DueTimersSql), "INDEX ix_enrollments_timers")]
    [InlineData(nameof(SqliteEngineStore.LeaseDueTimersSql), "INDEX ix_enrollments_timers")]
    // An entry reads what its own (journey, customer) pairs already have, not every enrollment of its customers.
    [InlineData(nameof(SqliteEngineStore.PreviousEnrollmentsSql), "INDEX ix_enrollments_journey (journey_id=? AND customer_id=?)")]
    // An event looks at the customer's waiting enrollments, not at every enrollment the customer ever had.
    [InlineData(nameof(SqliteEngineStore.WaitingOfCustomerSql), "INDEX ix_enrollments_waiting (customer_id=?)")]
    public void Routine_statements_read_through_their_index_without_sorting_or_scanning_what_grows(string statement, string index)
    {
        using (_file.Open(_time))
        {
        }

        var sql = statement switch
        {
            nameof(SqliteEngineStore.DueTimersSql) => SqliteEngineStore.DueTimersSql,
            nameof(SqliteEngineStore.LeaseDueTimersSql) => SqliteEngineStore.LeaseDueTimersSql,
            nameof(SqliteEngineStore.WaitingOfCustomerSql) => SqliteEngineStore.WaitingOfCustomerSql,
            _ => SqliteEngineStore.PreviousEnrollmentsSql,
        };
        using var connection = _file.Connect();
        using var explain = connection.CreateCommand();
        explain.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var name in new[] { "$now", "$max", "$expires", "$owner", "$pairs", "$customer" })
        {
            explain.Parameters.AddWithValue(name, name == "$pairs" ? "[]" : 1);
        }

        var plan = new List<string>();
        using (var reader = explain.ExecuteReader())
        {
            while (reader.Read())
            {
                plan.Add(reader.GetString(3));
            }
        }

        Assert.Contains(plan, p => p.Contains(index, StringComparison.Ordinal));
        Assert.DoesNotContain(plan, p => p.Contains("TEMP B-TREE", StringComparison.Ordinal) || p.StartsWith("SCAN e", StringComparison.Ordinal) || p.StartsWith("SCAN enrollments", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, p => p.Contains("PRIMARY KEY (customer_id=?)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_version_1_database_is_migrated_to_version_2_keeping_every_row_and_listing_a_journey_through_the_new_index()
    {
        var ended = Guid.NewGuid();
        var live = Guid.NewGuid();
        using (var connection = _file.Connect())
        {
            Execute(connection, SqliteSchema.VersionTable);
            Execute(connection, SqliteSchema.Migrations[0]);
            Execute(connection, "INSERT INTO journeys_schema_version (version, applied_at, library) VALUES (1, 0, 'Journeys.Sqlite 0.1.0')");
            Execute(connection, $"""
                INSERT INTO enrollments (customer_id, id, journey_id, version, status, visit, entered_at, updated_at, token, event_cursor, node_state, created_seq)
                VALUES ('a', x'{Convert.ToHexString(ended.ToByteArray(bigEndian: true))}', 'j', 1, 3, 0, {T0.UtcTicks}, {T0.UtcTicks}, 4, 0, 0, 1),
                       ('b', x'{Convert.ToHexString(live.ToByteArray(bigEndian: true))}', 'j', 1, 1, 0, {T0.UtcTicks}, {T0.UtcTicks}, 2, 0, 0, 2),
                       ('c', x'00', 'other', 1, 3, 0, {T0.UtcTicks}, {T0.UtcTicks}, 2, 0, 0, 3);
                """);
            Execute(connection, """INSERT INTO customers (customer_id, time_zone, fields) VALUES ('a', NULL, CAST('{"plan":["s","gold"]}' AS BLOB))""");
        }

        using (var database = _file.Open(_time))
        {
            var engine = new SqliteEngineStore(database);
            var listed = new List<Enrollment>();
            await foreach (var enrollment in engine.ListByJourneyAsync("j", null))
            {
                listed.Add(enrollment);
            }

            Assert.Equal([ended, live], listed.Select(e => e.Id));
            Assert.True(listed[0].IsEnded);
            var customer = await new SqliteCustomerStore(database).GetAsync("a");
            Assert.Equal("gold", customer!.GetField("plan").AsString());
        }

        using var check = _file.Connect();
        Assert.Equal(
            string.Join(",", Enumerable.Range(1, SqliteSchema.CurrentVersion)),
            Scalar(check, "SELECT group_concat(version, ',') FROM (SELECT version FROM journeys_schema_version ORDER BY version)"));
        Assert.Equal(3L, Scalar(check, "SELECT COUNT(*) FROM enrollments"));
        using var explain = check.CreateCommand();
        explain.CommandText = "EXPLAIN QUERY PLAN SELECT id FROM enrollments WHERE journey_id = 'j' AND (NULL IS NULL OR version = NULL) ORDER BY customer_id, entered_at, created_seq";
        var plan = new List<string>();
        using (var reader = explain.ExecuteReader())
        {
            while (reader.Read())
            {
                plan.Add(reader.GetString(3));
            }
        }

        Assert.Contains(plan, step => step.Contains("ix_enrollments_journey", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, step => step.Contains("TEMP B-TREE", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unusable_path_fails_at_open_naming_the_file()
    {
        var missing = Path.Combine(_file.Directory, "no-such-folder", "journeys.db");

        var error = Assert.Throws<InvalidOperationException>(() => new SqliteDatabase(new SqliteStoreOptions { ConnectionString = $"Data Source={missing}" }, _time));

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
        Assert.IsType<SqliteException>(error.InnerException);
    }

    [Fact]
    public void A_file_that_is_not_a_database_fails_at_open_with_a_clear_message()
    {
        File.WriteAllText(_file.Path, "this is not a SQLite database, just some text long enough to fill a header page........................................");

        var error = Assert.Throws<InvalidOperationException>(() => _file.Open(_time));

        Assert.Contains(_file.Path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_openers_of_a_new_file_at_once_both_open_it_and_each_migration_is_applied_once()
    {
        // Two processes (here two databases, each with its own connections) starting together on a file nobody has
        // migrated, where the lock file does not hold (a file system without locks; with it, the second is refused):
        // one migrates, the other waits for its write lock and then finds the schema current. Several rounds, since the
        // two only collide when both read "no version" before either commits.
        for (var round = 0; round < 12; round++)
        {
            var options = new SqliteStoreOptions { ConnectionString = $"Data Source={Path.Combine(_file.Directory, $"race{round}.db")}" };
            var errors = await OpenTwoAtOnceAsync(options, exclusive: false);

            Assert.All(errors, Assert.Null);
            using var connection = new SqliteConnection(options.ConnectionString + ";Pooling=False");
            connection.Open();
            Assert.Equal(
                string.Join(",", Enumerable.Range(1, SqliteSchema.CurrentVersion)),
                Scalar(connection, "SELECT group_concat(version, ',') FROM (SELECT version FROM journeys_schema_version ORDER BY version)"));
        }
    }

    [Fact]
    public async Task A_second_opener_of_the_file_is_refused_naming_it_until_the_first_is_closed()
    {
        var first = _file.Open(_time);
        await new SqliteCustomerStore(first).UpsertAsync([new Customer("a")]);

        var error = Assert.Throws<InvalidOperationException>(() => _file.Open(_time));

        Assert.Contains($"'{_file.Path}.lock'", error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{_file.Path}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("another Journeys host", error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<IOException>(error.InnerException);
        Assert.Equal(_file.Path + ".lock", first.LockPath);

        // The lock goes with the first (its file stays, unlocked); so does a dead process's, with the process.
        first.Dispose();
        using var second = _file.Open(_time);
        Assert.NotNull(await new SqliteCustomerStore(second).GetAsync("a"));
    }

    [Fact]
    public async Task Two_openers_of_a_file_at_once_one_opens_it_and_the_other_is_refused()
    {
        for (var round = 0; round < 6; round++)
        {
            var options = new SqliteStoreOptions { ConnectionString = $"Data Source={Path.Combine(_file.Directory, $"both{round}.db")}" };
            var errors = await OpenTwoAtOnceAsync(options, exclusive: true);

            Assert.Single(errors, e => e is null);
            Assert.Contains(".lock", Assert.Single(errors, e => e is not null)!.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>Opens the file from two threads released together, then closes what opened: each opener's refusal, or null.</summary>
    private async Task<Exception?[]> OpenTwoAtOnceAsync(SqliteStoreOptions options, bool exclusive)
    {
        using var barrier = new Barrier(2);
        var opened = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            barrier.SignalAndWait();
            try
            {
                return (Database: (SqliteDatabase?)new SqliteDatabase(options, _time, exclusive: exclusive), Error: (Exception?)null);
            }
            catch (InvalidOperationException ex)
            {
                return (null, ex);
            }
        })));
        foreach (var (database, _) in opened)
        {
            database?.Dispose();
        }

        return [.. opened.Select(o => o.Error)];
    }

    [Fact]
    public async Task A_second_process_on_the_file_numbers_a_customer_s_events_after_those_already_stored()
    {
        // Not the intended setup (one process per file; a second is refused by the lock file), but possible where the
        // lock does not hold: the second numbered events from its own counter, read at open, so its first event of c1
        // collided with c1's first (or, numbered below the enrollment's cursor, would never have been seen).
        using var first = _file.Open(_time, exclusive: false);
        using var second = _file.Open(_time, exclusive: false);
        var a = new SqliteEngineStore(first);
        var b = new SqliteEngineStore(second);
        await a.EnrollAsync([Request("c1")]);
        var item = Assert.Single(await a.ClaimAsync("engine", T0, 10, Lease));
        var waiting = item.Enrollment with { Status = EnrollmentStatus.Waiting, CurrentNodeId = "wait", AwaitedEvent = "purchase", WakeEvents = ["purchase"], Visit = 1 };
        Assert.Equal([true], await a.CommitAsync("engine", [new EnrollmentCheckpoint(waiting, 1, [], [], [])]));
        await a.AppendEventsAsync([Event("c1", "open"), Event("c1", "click")]);

        await b.AppendEventsAsync([Event("c1", "purchase")]);

        var woken = Assert.Single(await a.ClaimAsync("engine", T0.AddMinutes(1), 10, Lease));
        Assert.Equal(["open", "click", "purchase"], woken.Events.Select(e => e.Event.Name));
        Assert.True(woken.Events.Select(e => e.Sequence).SequenceEqual(woken.Events.Select(e => e.Sequence).Order()));
    }

    [Fact]
    public async Task Reopening_the_file_keeps_every_stored_thing()
    {
        var request = new EnrollmentRequest(Guid.NewGuid(), "j", 2, "a", "start", T0, EntryRules.Default, new[] { "purchase" });
        Enrollment committed;
        var schema = CustomerFieldSchema.Create(new FieldDefinition("plan", FieldType.String), new FieldDefinition("tags", FieldType.StringList));
        var journey = new JourneyDefinition("j", "Journey", 1, JourneyStatus.Draft, new AllCustomersEntry(), EntryRules.Default, ExitRules.None, [], "start");
        JourneyRecord saved;
        await using (var stores = _file.Stores(_time))
        {
            saved = await stores.Journeys.SaveAsync(journey, null);
            await stores.Customers.SaveSchemaAsync(schema);
            await stores.Customers.UpsertAsync([new Customer("a", [new("plan", "pro"), new("tags", FieldValue.FromStringList(["x", "y"])), new("score", 2.5), new("vip", true), new("since", T0)], "Europe/Madrid")]);
            await stores.Enrollments.EnrollAsync([request]);
            var item = Assert.Single(await stores.Enrollments.ClaimAsync("engine", T0, 10, Lease));
            var state = item.Enrollment with
            {
                Status = EnrollmentStatus.Waiting,
                CurrentNodeId = "wait",
                WakeAt = T0.AddHours(3),
                AwaitedEvent = "click",
                Visit = 4,
                UpdatedAt = T0.AddMinutes(1),
                WakeEvents = ["click", "purchase"],
                EventCursor = 0,
                NodeEnteredAt = T0.AddMinutes(1),
                NodeState = 2,
                EndReason = "not yet",
            };
            var message = new OutboxMessage(new OutboundMessage("m1", "j:2:x:send:1", Channel.Sms, "camp", "a", "Hello", "j", 2, "send"), request.EnrollmentId, T0.AddMinutes(5), 1);
            Assert.True(Assert.Single(await stores.Enrollments.CommitAsync("engine", [new EnrollmentCheckpoint(state, 1, [message], [], [new StatisticDelta("j", 2, "send", StatisticCounter.Sent, 3)])])));
            await stores.Enrollments.AppendEventsAsync([new CustomerEvent("b", "page_view", ImmutableDictionary<string, FieldValue>.Empty.Add("url", "/cart"), T0, "m0")]);
            committed = Assert.Single(await stores.Enrollments.GetByCustomerAsync("a"));
        }

        await using var reopened = _file.Stores(_time);

        Assert.Equal(saved, await reopened.Journeys.GetAsync("j"));
        Assert.Equal(schema, await reopened.Customers.GetSchemaAsync());
        var customer = (await reopened.Customers.GetAsync("a"))!;
        Assert.Equal("pro", customer.GetField("PLAN").AsString());
        Assert.Equal(["x", "y"], customer.GetField("tags").AsStringList());
        Assert.Equal(2.5, customer.GetField("score").AsNumber());
        Assert.True(customer.GetField("vip").AsBoolean());
        Assert.Equal(T0, customer.GetField("since").AsDateTime());
        Assert.Equal("Europe/Madrid", customer.TimeZoneId);
        var enrollment = Assert.Single(await reopened.Enrollments.GetByCustomerAsync("a"));
        Assert.Equal(committed, enrollment);
        Assert.Equal(2, enrollment.ConcurrencyToken);
        Assert.Equal(T0.AddHours(3), await reopened.Enrollments.GetNextWakeAsync());
        var outbox = Assert.Single(await reopened.Outbox.ClaimAsync("d", T0.AddMinutes(5), 10, Lease));
        Assert.Equal(new OutboundMessage("m1", "j:2:x:send:1", Channel.Sms, "camp", "a", "Hello", "j", 2, "send"), outbox.Message);
        Assert.Equal((request.EnrollmentId, T0.AddMinutes(5), 1), (outbox.EnrollmentId!.Value, outbox.DueAt, outbox.Attempts));
        Assert.Equal(3, (await reopened.Statistics.GetAsync("j", 2)).Get("send", StatisticCounter.Sent));

        // Event numbers keep increasing after a restart, and retained events keep their properties.
        await reopened.Enrollments.AppendEventsAsync([new CustomerEvent("a", "click", ImmutableDictionary<string, FieldValue>.Empty, T0.AddMinutes(6))]);
        var woken = Assert.Single(await reopened.Enrollments.ClaimAsync("engine", T0.AddMinutes(6), 10, Lease));
        Assert.True(woken.Events[0].Sequence >= 2);
        var purged = await reopened.Enrollments.PurgeEventsAsync(T0.AddDays(1));
        Assert.Equal(1, purged); // b's page_view: nobody waits for it
    }

    [Fact]
    public async Task A_commit_that_fails_in_the_database_leaves_the_previous_state_whole()
    {
        await using var stores = _file.Stores(_time);
        await stores.Customers.UpsertAsync([new Customer("a", [new("plan", "free")]), new Customer("b")]);
        await stores.Enrollments.EnrollAsync([Request("a"), Request("b")]);
        var claimed = await stores.Enrollments.ClaimAsync("engine", T0, 10, Lease);
        using (var connection = _file.Connect())
        {
            // Stands in for a full disk or an I/O error: the statement fails halfway through the batch.
            Execute(connection, "CREATE TRIGGER simulated_disk_full BEFORE INSERT ON outbox WHEN NEW.message_id = 'boom' BEGIN SELECT RAISE(ABORT, 'database or disk is full (simulated)'); END;");
        }

        var checkpoints = claimed.Select(w => new EnrollmentCheckpoint(
            w.Enrollment with { Status = EnrollmentStatus.Completed, CurrentNodeId = null, UpdatedAt = T0 },
            1,
            [Message(w.Enrollment.CustomerId == "b" ? "boom" : "ok", w.Enrollment)],
            [new CustomerFieldUpdate("a", "plan", "pro")],
            [new StatisticDelta("j", 1, null, StatisticCounter.Completed)])).ToArray();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => stores.Enrollments.CommitAsync("engine", checkpoints).AsTask());

        Assert.Contains("disk is full (simulated)", error.Message, StringComparison.Ordinal);
        Assert.Contains("nothing of it was written", error.Message, StringComparison.Ordinal);
        Assert.All(await Task.WhenAll(new[] { "a", "b" }.Select(c => stores.Enrollments.GetByCustomerAsync(c).AsTask())), e => Assert.Equal(EnrollmentStatus.Active, Assert.Single(e).Status));
        Assert.Equal("free", (await stores.Customers.GetAsync("a"))!.GetField("plan").AsString());
        Assert.Null(await stores.Outbox.GetNextDueAsync());
        Assert.Equal(0, (await stores.Statistics.GetAsync("j", null)).Get(StatisticCounter.Completed));

        // The store keeps working once the fault is gone: the same checkpoints now apply.
        using (var connection = _file.Connect())
        {
            Execute(connection, "DROP TRIGGER simulated_disk_full");
        }

        Assert.Equal([true, true], await stores.Enrollments.CommitAsync("engine", checkpoints));
        Assert.Equal(2, (await stores.Statistics.GetAsync("j", null)).Get(StatisticCounter.Completed));
    }

    [Fact]
    public async Task A_cancel_that_fails_in_the_database_leaves_the_enrollments_and_their_messages_whole()
    {
        await using var stores = _file.Stores(_time);
        await stores.Enrollments.EnrollAsync([Request("a")]);
        var claimed = Assert.Single(await stores.Enrollments.ClaimAsync("engine", T0, 10, Lease));
        var waiting = claimed.Enrollment with { Status = EnrollmentStatus.Waiting, CurrentNodeId = "delay", WakeAt = T0.AddDays(1) };
        Assert.True(Assert.Single(await stores.Enrollments.CommitAsync("engine", [new EnrollmentCheckpoint(waiting, 1, [Message("held", claimed.Enrollment) with { DueAt = T0.AddHours(8) }], [], [])])));
        using (var connection = _file.Connect())
        {
            // The cancel's last statement (the outbox delete) fails: the enrollment update before it must not stay.
            Execute(connection, "CREATE TRIGGER simulated_fault BEFORE DELETE ON outbox BEGIN SELECT RAISE(ABORT, 'disk I/O error (simulated)'); END;");
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => stores.Enrollments.CancelAsync("j", null, null, "journey stopped", T0).AsTask());

        Assert.Contains("disk I/O error (simulated)", error.Message, StringComparison.Ordinal);
        Assert.Equal(EnrollmentStatus.Waiting, Assert.Single(await stores.Enrollments.GetByCustomerAsync("a")).Status);
        Assert.Equal(T0.AddHours(8), await stores.Outbox.GetNextDueAsync());
        Assert.Equal(0, (await stores.Statistics.GetAsync("j", null)).Get(StatisticCounter.Cancelled));

        using (var connection = _file.Connect())
        {
            Execute(connection, "DROP TRIGGER simulated_fault");
        }

        Assert.Equal(1, await stores.Enrollments.CancelAsync("j", null, null, "journey stopped", T0));
        Assert.Null(await stores.Outbox.GetNextDueAsync());
        Assert.Equal(1, (await stores.Statistics.GetAsync("j", null)).Get("send", StatisticCounter.Cancelled));
    }

    [Fact]
    public async Task A_broken_background_checkpointer_is_logged_once_the_writer_checkpoints_instead_and_disposing_does_not_throw()
    {
        var logs = new WarningLog();
        var database = _file.Open(_time, logger: logs);
        var customers = new SqliteCustomerStore(database);
        await customers.UpsertAsync([new Customer("a")]);

        // The background checkpointer's connection breaks (closed under it): its next checkpoint fails with the
        // driver's InvalidOperationException, not a SqliteException. Before, that ended the loop's task faulted: no
        // more background checkpoints, the writer never took over, nothing logged, and Dispose threw it.
        var checkpointer = (SqliteSession)typeof(SqliteDatabase).GetField("_checkpointer", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(database)!;
        var loop = (Task)typeof(SqliteDatabase).GetField("_checkpointLoop", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(database)!;
        checkpointer.Connection.Close();
        await customers.UpsertAsync([new Customer("b")]);
        await loop.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(loop.IsCompletedSuccessfully);
        Assert.NotNull(database.CheckpointFailure);
        var warning = Assert.Single(logs.Entries);
        Assert.Contains(_file.Path, warning, StringComparison.Ordinal);

        // Writes go on, the writer checkpoints after them (a failure of its own would be recorded, not logged again).
        for (var i = 0; i < 20; i++)
        {
            await customers.UpsertAsync([new Customer($"c{i}")]);
        }

        Assert.Single(logs.Entries);
        Assert.NotNull(await customers.GetAsync("c19"));
        database.Dispose();
        using var reopened = _file.Open(_time);
        Assert.NotNull(await new SqliteCustomerStore(reopened).GetAsync("c19"));
    }

    /// <summary>Keeps the formatted messages of Warning entries and above.</summary>
    private sealed class WarningLog : Microsoft.Extensions.Logging.ILogger
    {
        private readonly ConcurrentQueue<string> _entries = new();

        public IReadOnlyList<string> Entries => [.. _entries];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= Microsoft.Extensions.Logging.LogLevel.Warning)
            {
                _entries.Enqueue(formatter(state, exception));
            }
        }
    }

    [Fact]
    public async Task A_database_locked_by_another_connection_gives_a_clear_error_after_the_busy_timeout_and_writes_nothing()
    {
        using var database = _file.Open(_time, busyTimeout: TimeSpan.FromMilliseconds(200));
        var engine = new SqliteEngineStore(database);
        var customers = new SqliteCustomerStore(database);
        using (var locker = _file.Connect())
        {
            Execute(locker, "BEGIN EXCLUSIVE");

            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => engine.EnrollAsync([Request("a")]).AsTask());

            Assert.Contains("locked", error.Message, StringComparison.Ordinal);
            Assert.Contains("SqliteStoreOptions.BusyTimeout", error.Message, StringComparison.Ordinal);
            Assert.Contains(_file.Path, error.Message, StringComparison.Ordinal);
            Execute(locker, "ROLLBACK");
        }

        Assert.Empty(await engine.GetByCustomerAsync("a"));
        Assert.Equal(EnrollmentOutcomeKind.Created, Assert.Single(await engine.EnrollAsync([Request("a")])).Kind);
        Assert.Equal(new CustomerUpsertResult(1, 0), await customers.UpsertAsync([new Customer("a")]));
    }

    [Fact]
    public async Task The_unique_live_index_makes_a_second_active_enrollment_impossible_even_written_directly()
    {
        using (var database = _file.Open(_time))
        {
            var engine = new SqliteEngineStore(database);
            await engine.EnrollAsync([Request("a")]);
        }

        using var connection = _file.Connect();
        var error = Assert.Throws<SqliteException>(() => Execute(connection, """
            INSERT INTO enrollments (customer_id, id, journey_id, version, status, visit, entered_at, updated_at, token, event_cursor, node_state, created_seq)
            VALUES ('a', x'00', 'j', 2, 1, 0, 0, 0, 1, 0, 0, 99)
            """));
        Assert.Equal(19, error.SqliteErrorCode);
    }

    [Fact]
    public async Task UseSqlite_replaces_the_in_memory_stores_whether_AddJourneys_ran_before_or_after()
    {
        foreach (var order in new[] { "inside", "after" })
        {
            var services = new ServiceCollection();
            services.AddSingleton<TimeProvider>(_time);
            if (order == "inside")
            {
                services.AddJourneys(j => j.UseSqlite(_file.ConnectionString, o => o.Synchronous = SqliteSynchronousMode.Full));
            }
            else
            {
                services.AddJourneys();
                services.AddJourneys(j => j.UseSqlite(_file.Options()));
            }

            await using var provider = services.BuildServiceProvider();
            Assert.IsType<SqliteJourneyStore>(provider.GetRequiredService<IJourneyStore>());
            Assert.IsType<SqliteCustomerStore>(provider.GetRequiredService<ICustomerStore>());
            Assert.IsType<SqliteEngineStore>(provider.GetRequiredService<IEnrollmentStore>());
            Assert.Same(provider.GetRequiredService<IEnrollmentStore>(), provider.GetRequiredService<IOutboxStore>());
            Assert.Same(provider.GetRequiredService<IEnrollmentStore>(), provider.GetRequiredService<IStatisticsStore>());
            Assert.Single(provider.GetServices<IJourneyStore>());
            await provider.GetRequiredService<ICustomerStore>().UpsertAsync([new Customer("c-" + order)]);
        }

        using var connection = _file.Connect();
        Assert.Equal(2L, Scalar(connection, "SELECT COUNT(*) FROM customers"));
    }

    [Fact]
    public async Task A_host_with_invalid_sqlite_options_does_not_start_and_names_each_problem()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddJourneys(j => j.UseSqlite("Data Source=:memory:", o => o.BusyTimeout = TimeSpan.Zero));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(error.Failures, f => f.Contains("in-memory SQLite database", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("BusyTimeout", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_host_on_an_unusable_path_does_not_start()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        var missing = Path.Combine(_file.Directory, "missing", "x.db");
        builder.Services.AddJourneys(j => j.UseSqlite($"Data Source={missing}"));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_on_a_file_uri_data_source_starts_and_holds_that_file_against_a_host_naming_it_by_its_path()
    {
        // Microsoft.Data.Sqlite opens a Data Source starting with 'file:' as a URI filename (the file at its path).
        IHost Host(string connectionString)
        {
            var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
            builder.Services.AddSingleton<TimeProvider>(_time);
            builder.Services.AddJourneys(j => j.UseSqlite(connectionString));
            return builder.Build();
        }

        using (var first = Host($"Data Source=file:{_file.Path}"))
        {
            await first.StartAsync();
            await first.Services.GetRequiredService<ICustomerStore>().UpsertAsync([new Customer("by-uri")]);

            using var second = Host(_file.ConnectionString);
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => second.StartAsync());
            Assert.Contains("another Journeys host", error.Message, StringComparison.Ordinal);
            Assert.Contains($"'{_file.Path}.lock'", error.Message, StringComparison.Ordinal);
            await first.StopAsync();
        }

        using var connection = _file.Connect();
        Assert.Equal(1L, Scalar(connection, "SELECT COUNT(*) FROM customers"));
    }

    [Fact]
    public async Task A_host_with_invalid_journeys_options_does_not_start_and_creates_no_database_file()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddJourneys(j => j.UseSqlite(_file.ConnectionString).Configure(o => o.ShardCount = 0));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(error.Failures, f => f.Contains("ShardCount", StringComparison.Ordinal));
        Assert.False(File.Exists(_file.Path), "the database file was created by a host that did not start");
    }

    private static CustomerEvent Event(string customerId, string name) =>
        new(customerId, name, ImmutableDictionary<string, FieldValue>.Empty, T0);

    private static EnrollmentRequest Request(string customerId) =>
        new(Guid.NewGuid(), "j", 1, customerId, "start", T0, EntryRules.Default, EquatableArray<string>.Empty);

    private static OutboxMessage Message(string id, Enrollment enrollment) =>
        new(new OutboundMessage(id, "key:" + id, Channel.Email, "campaign", enrollment.CustomerId, "body", "j", 1, "send"), enrollment.Id, T0);

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
