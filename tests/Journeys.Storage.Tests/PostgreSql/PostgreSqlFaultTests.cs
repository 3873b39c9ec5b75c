using System.Collections.Concurrent;
using Journeys.Building;
using Journeys.Messaging;
using Journeys.PostgreSql;
using Journeys.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Xunit.Abstractions;

namespace Journeys.Storage.Tests.PostgreSql;

/// <summary>
/// The database lost under a running store, through a loopback proxy (and <c>pg_terminate_backend</c>): a reply lost
/// after the server committed, connections killed mid-run, an outage longer than the retry budget. Bounded: every
/// wait has a deadline, and nothing leaves the machine.
/// </summary>
[RequiresPostgreSql]
public sealed class PostgreSqlFaultTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);
    private readonly string _schema = PostgreSqlTestServer.NewSchema();
    private readonly string _application = "journeys-fault-" + Guid.NewGuid().ToString("N")[..12];
    private readonly List<IAsyncDisposable> _disposables = [];
    private LoopbackProxy _proxy = null!;

    public Task InitializeAsync()
    {
        var server = new NpgsqlConnectionStringBuilder(PostgreSqlTestServer.RequireConnectionString());
        _proxy = new LoopbackProxy(server.Host ?? "127.0.0.1", server.Port);
        _disposables.Add(_proxy);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        for (var i = _disposables.Count - 1; i >= 0; i--)
        {
            await _disposables[i].DisposeAsync();
        }

        await PostgreSqlTestServer.DropSchemaAsync(_schema);
    }

    [Fact]
    public async Task An_enrollment_retried_after_its_commit_reply_was_lost_recognises_its_own_insert()
    {
        var database = Database(o => o.MaxRetryAttempts = 3);
        var store = new PostgreSqlEngineStore(database);
        await database.EnsureInitializedAsync(default);
        var rules = EntryRules.Default with { EntryCap = 2 };
        EnrollmentRequest[] requests = [Request("c1", rules), Request("c1", rules), Request("c2", rules), Request("c3", rules)];

        _proxy.DropNextCommitReply();
        var outcomes = await store.EnrollAsync(requests);

        Assert.Equal(1, _proxy.DroppedCommitReplies);
        Assert.Equal(
            [EnrollmentOutcomeKind.Created, EnrollmentOutcomeKind.DuplicateActive, EnrollmentOutcomeKind.Created, EnrollmentOutcomeKind.CapReached],
            outcomes.Select(o => o.Kind));
        Assert.Equal(requests[0].EnrollmentId, outcomes[1].EnrollmentId);
        Assert.Equal(2L, await ScalarAsync($"SELECT count(*) FROM {_schema}.enrollments"));
        Assert.Equal(2L, await ScalarAsync($"SELECT created FROM {_schema}.journey_entries WHERE journey_id = 'j'"));

        // Outside a retry, a used id is still the caller's mistake.
        var error = await Assert.ThrowsAsync<ArgumentException>(() => store.EnrollAsync([requests[0]]).AsTask());
        Assert.Contains("already exists", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Entries_leased_by_an_attempt_whose_commit_reply_was_lost_are_claimable_at_once_not_after_the_lease()
    {
        // The retry reports them created but cannot hand them over (the attempt's reply, with them, was lost): nobody
        // would run them until the lease expired (never, on a clock that is not advanced).
        var database = Database(o => o.MaxRetryAttempts = 3);
        var store = new PostgreSqlEngineStore(database);
        await database.EnsureInitializedAsync(default);
        EnrollmentRequest[] requests = [Request("c1", EntryRules.Default), Request("c2", EntryRules.Default)];

        _proxy.DropNextCommitReply();
        var result = await store.EnrollLeasedAsync(requests, new EnrollmentLease("host", T0, TimeSpan.FromMinutes(5), 2));

        Assert.Equal(1, _proxy.DroppedCommitReplies);
        Assert.Equal([EnrollmentOutcomeKind.Created, EnrollmentOutcomeKind.Created], result.Outcomes.Select(o => o.Kind));
        Assert.Empty(result.Leased);
        var claimed = await store.ClaimAsync("host", T0, 10, TimeSpan.FromMinutes(5));
        Assert.Equal(["c1", "c2"], claimed.Select(c => c.Enrollment.CustomerId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_commit_retried_after_its_reply_was_lost_is_applied_once()
    {
        var database = Database(o => o.MaxRetryAttempts = 3);
        var store = new PostgreSqlEngineStore(database);
        var request = Request("c1", EntryRules.Default);
        await store.EnrollAsync([request]);
        var claimed = Assert.Single(await store.ClaimAsync("host", T0, 10, TimeSpan.FromMinutes(1)));

        _proxy.DropNextCommitReply();
        var applied = await store.CommitAsync("host", [new EnrollmentCheckpoint(
            claimed.Enrollment with { Status = EnrollmentStatus.Completed, CurrentNodeId = null },
            claimed.Enrollment.ConcurrencyToken,
            [],
            [],
            [new StatisticDelta("j", 1, null, StatisticCounter.Completed)])]);

        // The retry finds the step applied (the token moved on) and reports it refused: never applied twice.
        Assert.Equal(1, _proxy.DroppedCommitReplies);
        Assert.Equal([false], applied);
        Assert.Equal(1, (await store.GetAsync("j", 1)).Get(StatisticCounter.Completed));
        Assert.Equal(EnrollmentStatus.Completed, Assert.Single(await store.GetByCustomerAsync("c1")).Status);
    }

    [Fact]
    public async Task Statistics_added_by_an_attempt_whose_commit_reply_was_lost_are_counted_once()
    {
        // An increment has no token or id to recognise itself by: the retry asks the server whether the lost attempt committed.
        var database = Database(o => o.MaxRetryAttempts = 3);
        var store = new PostgreSqlEngineStore(database);
        await database.EnsureInitializedAsync(default);

        _proxy.DropNextCommitReply();
        await store.AddAsync([new StatisticDelta("j", 1, "send", StatisticCounter.Sent, 5), new StatisticDelta("j", 1, null, StatisticCounter.Entered, 2)]);

        Assert.Equal(1, _proxy.DroppedCommitReplies);
        var counted = await store.GetAsync("j", 1);
        Assert.Equal((5, 2), (counted.Get("send", StatisticCounter.Sent), counted.Get(StatisticCounter.Entered)));

        // An attempt that failed before its COMMIT is run again, and counts once too.
        await store.AddAsync([new StatisticDelta("j", 1, "send", StatisticCounter.Sent, 1)]);
        Assert.Equal(6, (await store.GetAsync("j", 1)).Get("send", StatisticCounter.Sent));
    }

    [Fact]
    public async Task Clicks_counted_by_an_attempt_whose_commit_reply_was_lost_are_counted_once()
    {
        var database = Database(o => o.MaxRetryAttempts = 3);
        var store = new PostgreSqlEngineStore(database);
        var request = Request("c1", EntryRules.Default);
        await store.EnrollAsync([request]);

        _proxy.DropNextCommitReply();
        var counted = await store.AddClicksAsync([new EnrollmentClick("c1", request.EnrollmentId), new EnrollmentClick("c1", request.EnrollmentId)]);

        Assert.Equal(1, _proxy.DroppedCommitReplies);
        Assert.Equal([true, true], counted);
        Assert.Equal(2, Assert.Single(await store.GetByCustomerAsync("c1")).Clicks);
    }

    [Fact]
    public async Task Events_without_ids_published_by_an_attempt_whose_commit_reply_was_lost_are_appended_and_counted_once()
    {
        // Ids make a retried publish append nothing again; an event without one, its click and its feedback statistic used to
        // be appended and counted a second time.
        var database = Database(o => o.MaxRetryAttempts = 3);
        var store = new PostgreSqlEngineStore(database);
        var request = Request("c1", EntryRules.Default);
        await store.EnrollAsync([request]);
        CustomerEvent[] events = [new("c1", "clicked", [], T0), new("c1", "purchase", [], T0.AddSeconds(1))];
        EventConsequence[] consequences =
        [
            new(0) { Feedback = new StatisticDelta("j", 1, "send", StatisticCounter.Clicked), Click = new EnrollmentClick("c1", request.EnrollmentId) },
        ];

        _proxy.DropNextCommitReply();
        var published = await store.PublishEventsAsync(events, T0, T0.AddDays(-1), consequences, null);

        Assert.Equal(1, _proxy.DroppedCommitReplies);
        Assert.NotNull(published);
        Assert.Equal(2, published.Sequences.Count);
        Assert.Equal(2L, await ScalarAsync($"SELECT count(*) FROM {_schema}.events"));
        Assert.Equal(1, Assert.Single(await store.GetByCustomerAsync("c1")).Clicks);
        Assert.Equal(1, (await store.GetAsync("j", 1)).Get("send", StatisticCounter.Clicked));

        // AppendNewEventsAsync alike.
        _proxy.DropNextCommitReply();
        Assert.Single(await store.AppendNewEventsAsync([new CustomerEvent("c1", "viewed", [], T0.AddSeconds(2))], T0, T0.AddDays(-1)));
        Assert.Equal(2, _proxy.DroppedCommitReplies);
        Assert.Equal(3L, await ScalarAsync($"SELECT count(*) FROM {_schema}.events"));
    }

    [Fact]
    public async Task A_journey_save_retried_after_its_commit_reply_was_lost_returns_the_saved_record_not_a_conflict()
    {
        // The first attempt committed the version; its retry found it stored and refused its own write as a concurrent
        // change ("already exists" for a create, "changed since it was read" for an update), though the save succeeded.
        var database = Database(o => o.MaxRetryAttempts = 3);
        var journeys = new PostgreSqlJourneyStore(database, TimeProvider.System);
        await database.EnsureInitializedAsync(default);
        var draft = new JourneyDefinition("lost", "Lost reply", 1, JourneyStatus.Draft, new AllCustomersEntry(), EntryRules.Default, ExitRules.None, [], "start");

        _proxy.DropNextCommitReply();
        var created = await journeys.SaveAsync(draft, expectedETag: null);

        Assert.Equal(1, _proxy.DroppedCommitReplies);
        var stored = await journeys.GetAsync("lost");
        Assert.NotNull(stored);
        Assert.Equal(stored.ETag, created.ETag);

        _proxy.DropNextCommitReply();
        var updated = await journeys.SaveAsync(draft with { Name = "Renamed" }, created.ETag);

        Assert.Equal(2, _proxy.DroppedCommitReplies);
        stored = await journeys.GetAsync("lost");
        Assert.NotNull(stored);
        Assert.Equal("Renamed", stored.Journey.Name);
        Assert.Equal(stored.ETag, updated.ETag);

        // Outside a retry, a stale ETag is still a conflict.
        await Assert.ThrowsAsync<JourneyConcurrencyException>(() => journeys.SaveAsync(draft with { Name = "Again" }, created.ETag).AsTask());
    }

    [Fact]
    public async Task A_journey_saved_with_its_intake_and_retried_after_its_commit_reply_was_lost_returns_the_saved_record_with_its_intake_pending()
    {
        // The retry recognises the earlier attempt by its document and by its intake being the pending one.
        var database = Database(o => o.MaxRetryAttempts = 3);
        var journeys = new PostgreSqlJourneyStore(database, TimeProvider.System);
        await database.EnsureInitializedAsync(default);
        var draft = await journeys.SaveAsync(new JourneyDefinition("lost", "Lost reply", 1, JourneyStatus.Validated, new AllCustomersEntry(), EntryRules.Default, ExitRules.None, [], "start"), null);
        var intake = new JourneyIntake(Guid.NewGuid(), "lost", 1, T0) { Owner = "host-a", LeaseExpiresAt = T0.AddMinutes(1) };

        _proxy.DropNextCommitReply();
        var active = await journeys.SaveWithIntakeAsync(draft.Journey with { Status = JourneyStatus.Active }, draft.ETag, intake);

        Assert.Equal(1, _proxy.DroppedCommitReplies);
        var stored = await journeys.GetAsync("lost");
        Assert.Equal((JourneyStatus.Active, active.ETag), (stored!.Journey.Status, stored.ETag));
        Assert.Equal(intake, Assert.Single(await journeys.ListIntakesAsync().ToListAsync()));

        // Outside a retry, the same activation from the draft's ETag is a conflict, and its intake is not saved.
        await Assert.ThrowsAsync<JourneyConcurrencyException>(() =>
            journeys.SaveWithIntakeAsync(draft.Journey with { Status = JourneyStatus.Active }, draft.ETag, intake with { Id = Guid.NewGuid() }).AsTask());
        Assert.Equal(intake, Assert.Single(await journeys.ListIntakesAsync().ToListAsync()));
    }

    [Fact]
    public async Task A_database_that_does_not_come_back_fails_the_call_with_a_clear_error_after_the_retries()
    {
        var database = Database(o => o.MaxRetryAttempts = 2);
        var store = new PostgreSqlEngineStore(database);
        await store.EnrollAsync([Request("c1", EntryRules.Default)]);

        _proxy.Refuse = true;
        _proxy.DropAll();
        var error = await Assert.ThrowsAsync<PostgreSqlStoreUnavailableException>(() => store.ClaimAsync("host", T0, 10, TimeSpan.FromMinutes(1)).AsTask());

        Assert.Contains("claim enrollments failed 3 time(s)", error.Message, StringComparison.Ordinal);
        Assert.Contains($"schema {_schema}", error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<NpgsqlException>(error.InnerException);

        // Nothing was lost: once the database is back, the enrollment is claimed as usual.
        _proxy.Refuse = false;
        Assert.Single(await store.ClaimAsync("host", T0, 10, TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task An_engine_that_loses_its_database_mid_run_finishes_with_nothing_lost_or_applied_twice()
    {
        const int customers = 400;
        const int sends = customers * 2;
        var delivered = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var sender = new CountingSender(delivered);
        var logs = new CapturingLoggerProvider();
        var dataSource = DataSource();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(logs));
        services.AddJourneys(j => j
            .UsePostgreSql(dataSource, o =>
            {
                o.SchemaName = _schema;
                o.MaxRetryAttempts = 2;
                o.RetryDelay = TimeSpan.FromMilliseconds(50);
                o.MaxRetryDelay = TimeSpan.FromMilliseconds(100);
            })
            .AddSender(Channel.Email, sender)
            .AddCampaigns(new Campaign("first", Channel.Email, "Hello"), new Campaign("second", Channel.Email, "Hello again"))
            .Configure(o =>
            {
                o.OwnerId = "fault-host";
                o.ShardCount = 2;
                o.BatchSize = 20;
                o.LeaseDuration = TimeSpan.FromSeconds(2);
                o.MaxIdle = TimeSpan.FromMilliseconds(500);
            }));
        var provider = services.BuildServiceProvider();
        _disposables.Add(provider);
        await provider.GetRequiredService<ICustomerStore>().UpsertAsync([.. Enumerable.Range(0, customers).Select(i => new Customer($"customer-{i:D4}"))]);
        var hosted = provider.GetServices<IHostedService>().ToArray();
        foreach (var service in hosted)
        {
            await service.StartAsync(default);
        }

        try
        {
            var manager = provider.GetRequiredService<IJourneyManager>();
            await manager.CreateAsync(JourneyBuilder.Create("two-sends", "Two sends")
                .EnterAllCustomers()
                .Steps(p => p.Send(Channel.Email, "first", id: "first").Delay(TimeSpan.FromSeconds(1), id: "pause").Send(Channel.Email, "second", id: "second"))
                .Build());
            var (_, enrolled) = await manager.ActivateAsync("two-sends");
            Assert.Equal(customers, enrolled);

            // First loss: the server kills every connection of the engine.
            await WaitAsync(() => delivered.Count >= sends / 4, "a quarter of the sends");
            var terminated = await ScalarAsync($"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '{_application}'");

            // Second loss: the database is unreachable for longer than the retry budget, then comes back.
            await WaitAsync(() => delivered.Count >= sends / 2, "half of the sends");
            _proxy.Refuse = true;
            _proxy.DropAll();
            await WaitAsync(() => logs.Errors.Any(GaveUp), "a store call to give up after its retries");
            _proxy.Refuse = false;

            await WaitAsync(() => delivered.Count >= sends, "every send");
            await WaitAsync(() => ScalarAsync($"SELECT count(*) FROM {_schema}.outbox").GetAwaiter().GetResult() == 0, "the outbox to drain");
            var statistics = await provider.GetRequiredService<IStatisticsStore>().GetAsync("two-sends", null);
            var completed = 0;
            await foreach (var enrollment in provider.GetRequiredService<IEnrollmentStore>().ListByJourneyAsync("two-sends", null))
            {
                completed += enrollment.Status == EnrollmentStatus.Completed ? 1 : 0;
            }

            output.WriteLine($"terminated {terminated} backends; distinct keys {delivered.Count}; sends repeated with the same key {delivered.Values.Sum(v => v - 1)}; store calls that gave up {logs.Errors.Count(GaveUp)}");
            Assert.True(terminated > 0, "the engine had connections to terminate");
            Assert.Equal(sends, delivered.Count);
            Assert.Equal(customers, completed);
            Assert.Equal(customers, statistics.Get("first", StatisticCounter.Entered));
            Assert.Equal(customers, statistics.Get("second", StatisticCounter.Entered));
            Assert.Equal(customers, statistics.Get("first", StatisticCounter.Sent));
            Assert.Equal(customers, statistics.Get("second", StatisticCounter.Sent));
            Assert.Equal(customers, statistics.Get(StatisticCounter.Completed));
        }
        finally
        {
            foreach (var service in hosted.Reverse())
            {
                await service.StopAsync(default);
            }
        }
    }

    private NpgsqlDataSource DataSource()
    {
        var builder = new NpgsqlConnectionStringBuilder(PostgreSqlTestServer.RequireConnectionString())
        {
            Host = "127.0.0.1",
            Port = _proxy.Port,
            SslMode = SslMode.Disable,
            ApplicationName = _application,
            Timeout = 3,
        };
        var dataSource = new NpgsqlDataSourceBuilder(builder.ConnectionString).Build();
        _disposables.Add(dataSource);
        return dataSource;
    }

    private PostgreSqlDatabase Database(Action<PostgreSqlStoreOptions> configure)
    {
        var database = PostgreSqlTestServer.CreateDatabase(DataSource(), _schema, configure);
        _disposables.Add(database);
        return database;
    }

    private static EnrollmentRequest Request(string customerId, EntryRules rules) =>
        new(Guid.NewGuid(), "j", 1, customerId, "start", T0, rules, EquatableArray<string>.Empty);

    private static async Task<long> ScalarAsync(string sql)
    {
        await using var dataSource = PostgreSqlTestServer.CreateDataSource();
        await using var command = dataSource.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task WaitAsync(Func<bool> condition, string what)
    {
        using var deadline = new CancellationTokenSource(Patience);
        while (!condition())
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), deadline.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Timed out waiting for {what}.");
            }
        }
    }

    private sealed class CountingSender(ConcurrentDictionary<string, int> delivered) : IChannelSender
    {
        public ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            delivered.AddOrUpdate(message.IdempotencyKey, 1, static (_, n) => n + 1);
            return ValueTask.FromResult(SendResult.Sent);
        }
    }

    /// <summary>
    /// A store call that gave up after its retries, as the engine logs it at Error: the exception's type and stack trace
    /// without its message (<see cref="RedactedException"/>; the whole exception goes to Debug only).
    /// </summary>
    private static bool GaveUp(Exception logged) =>
        logged is RedactedException { OriginalType: var type } && type == typeof(PostgreSqlStoreUnavailableException);

    /// <summary>Keeps the exceptions logged at Error or above.</summary>
    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        private readonly ConcurrentQueue<Exception> _errors = new();

        public IReadOnlyCollection<Exception> Errors => _errors;

        public ILogger CreateLogger(string categoryName) => new Logger(_errors);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<Exception> errors) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (logLevel >= LogLevel.Error && exception is not null)
                {
                    errors.Enqueue(exception);
                }
            }
        }
    }
}
