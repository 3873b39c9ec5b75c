using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using Journeys.Messaging;
using Journeys.Model;
using Journeys.Runtime;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using NpgsqlTypes;

namespace Journeys.Benchmarks;

/// <summary>
/// The PostgreSQL store over loopback (the server named by <c>JOURNEYS_TEST_POSTGRES</c>; without it the class is not
/// run and <see cref="Program"/> says so), with <see cref="Hosts"/> 1, 2 and 4 side by side:
/// <list type="bullet">
/// <item><see cref="RawUpsertBaseline"/>: <see cref="Hosts"/> connections at once, each upserting 1,000 random-key
/// enrollment rows (half existing keys, half new) in one transaction with one prepared <c>unnest</c> statement, into
/// the store's own <c>enrollments</c> table (created by the store: same columns and indexes) already holding
/// 1,000,000 rows, loaded with COPY once per benchmark process.</item>
/// <item><see cref="EngineCheckpoints"/>: <see cref="Hosts"/> engine hosts on one fresh schema run
/// <see cref="Customers"/> customers through filter → random split → send → update customer → send. The journey is
/// activated (every customer enrolled) in the untimed setup, before any engine runs; the timed part starts the engines
/// and ends when every enrollment completed; applied checkpoints are counted on every host.</item>
/// <item><see cref="TimerLateness"/>: 1,000 customers through the same journey with a 1-second delay after the first
/// send; lateness = commit of the resumed step − due time, on every host.</item>
/// </list>
/// Every schema is fresh and dropped afterwards.
/// </summary>
[MemoryDiagnoser]
[ShortMode(warmups: 1)]
[BenchmarkDotNet.Attributes.Config(typeof(PostgreSqlStoreBenchmarkConfig))]
public class PostgreSqlStoreBenchmarks
{
    /// <summary>The environment variable naming the server.</summary>
    public const string ServerVariable = "JOURNEYS_TEST_POSTGRES";

    /// <summary>Customers of the lateness runs.</summary>
    public const int LatenessCustomers = 1_000;

    private const int ExistingRows = 1_000_000;
    private const int BatchRows = 1_000;
    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(1);

    private readonly CheckpointCounter.Tally _checkpoints = new();
    private readonly LatencySamples _lateness = new();
    private readonly LatencySamples _invocationLateness = new();
    private readonly List<double> _activations = [];
    private RawTable? _raw;
    private HostGroup? _hosts;
    private int _invocations;

    /// <summary>Engine hosts sharing the database (raw baseline: connections writing at once).</summary>
    [Params(1, 2, 4)]
    public int Hosts { get; set; }

    /// <summary>Customers per <see cref="EngineCheckpoints"/> invocation: 2,000, or <c>JOURNEYS_STORE_PG_CUSTOMERS</c>.</summary>
    [ParamsSource(nameof(CustomerCounts))]
    public int Customers { get; set; }

    /// <summary>2,000, or the value of the environment variable <c>JOURNEYS_STORE_PG_CUSTOMERS</c>.</summary>
    public static IEnumerable<int> CustomerCounts =>
        [int.TryParse(Environment.GetEnvironmentVariable("JOURNEYS_STORE_PG_CUSTOMERS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 2_000];

    /// <summary>Whether the server variable is set; <see cref="Program"/> leaves this class out when it is not.</summary>
    public static bool IsConfigured => !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(ServerVariable));

    /// <summary>The message printed when the class is left out.</summary>
    public static string SkipMessage =>
        $"// PostgreSqlStoreBenchmarks skipped: the environment variable {ServerVariable} is not set (an Npgsql connection string; see .ci/postgres-setup).";

    private static string ConnectionString => Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } value
        ? value
        : throw new InvalidOperationException(SkipMessage);

    /// <summary>Creates the store's schema and loads 1,000,000 enrollment rows with COPY (once per process).</summary>
    [GlobalSetup(Target = nameof(RawUpsertBaseline))]
    public void SetupRaw() => _raw = RawTable.CreateAsync(ConnectionString, Hosts).GetAwaiter().GetResult();

    /// <summary>Records the rows per invocation and drops the schema.</summary>
    [GlobalCleanup(Target = nameof(RawUpsertBaseline))]
    public void CleanupRaw()
    {
        _raw?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _raw = null;
        Record(nameof(RawUpsertBaseline), BatchRows * Hosts);
    }

    /// <summary><see cref="Hosts"/> transactions at once, each of 1,000 upserts through one prepared <c>unnest</c> statement.</summary>
    [Benchmark(Baseline = true)]
    public Task RawUpsertBaseline() => _raw!.UpsertBatchesAsync();

    /// <summary>Fresh hosts on a fresh schema: customers stored, the journey activated (every customer enrolled), the engines not started yet.</summary>
    [IterationSetup(Target = nameof(EngineCheckpoints))]
    public void StartEngine() => _hosts = HostGroup.StartAsync(ConnectionString, Hosts, Customers, null, _checkpoints, null).GetAwaiter().GetResult();

    /// <summary>Fresh hosts with the delay journey.</summary>
    [IterationSetup(Target = nameof(TimerLateness))]
    public void StartLateness()
    {
        _invocationLateness.Clear();
        _hosts = HostGroup.StartAsync(ConnectionString, Hosts, LatenessCustomers, Delay, _checkpoints, _invocationLateness).GetAwaiter().GetResult();
    }

    /// <summary>Stops the hosts and drops the schema.</summary>
    [IterationCleanup(Targets = [nameof(EngineCheckpoints), nameof(TimerLateness)])]
    public void StopEngine()
    {
        if (_hosts is not null)
        {
            _activations.Add(_hosts.Activation.TotalMilliseconds);
        }

        _hosts?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _hosts = null;
        _invocations++;
        if (_invocations > 1)
        {
            _lateness.AddRange(_invocationLateness.Snapshot());
        }
    }

    /// <summary>Records the checkpoints per invocation, or the lateness percentiles.</summary>
    [GlobalCleanup(Targets = [nameof(EngineCheckpoints), nameof(TimerLateness)])]
    public void CleanupEngine()
    {
        if (_activations.Count > 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// Activation (untimed setup), PostgreSQL, {Hosts} host(s): mean {_activations.Average():N0} ms, max {_activations.Max():N0} ms over {_activations.Count} invocations"));
        }

        if (_lateness.Count > 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// Timer lateness, PostgreSQL, {Hosts} host(s), {LatenessCustomers:N0} customers, 1 s delay: {_lateness.Describe()}"));
            ReportedValues.Write(
                MeasuredValueColumn.CaseKey(nameof(PostgreSqlStoreBenchmarks), nameof(TimerLateness), Parameters()),
                new Dictionary<string, double> { ["p50"] = _lateness.Percentile(50), ["p99"] = _lateness.Percentile(99), ["n"] = _lateness.Count });
        }
        else if (_invocations > 0)
        {
            Record(nameof(EngineCheckpoints), _checkpoints.Count / (double)_invocations);
        }
    }

    /// <summary>Starts the engines on the enrolled customers (the five-step journey) and waits until every enrollment completed.</summary>
    [Benchmark]
    public Task EngineCheckpoints() => _hosts!.RunAsync();

    /// <summary>Starts the engines on the enrolled customers (the delay journey) and waits until every enrollment completed (after its 1-second delay).</summary>
    [Benchmark]
    public Task TimerLateness() => _hosts!.RunAsync();

    /// <summary>
    /// <see cref="EngineCheckpoints"/> outside BenchmarkDotNet, one invocation at a time (<c>-- pg-probe [hosts] [customers] [runs]</c>):
    /// per run the untimed setup's activation, the timed part's wall time, checkpoints/s, this process's CPU time and
    /// allocations, and the CPU time of the PostgreSQL server's processes (from <c>/proc</c>, when the server runs on
    /// this machine), so a change can be judged by where the time went without a ten-minute BenchmarkDotNet run.
    /// </summary>
    /// <remarks>
    /// With <paramref name="intake"/> (<c>-- pg-probe [hosts] [customers] [runs] intake</c>) the engines start first and the
    /// activation is inside the timed part, so the enrolling engine's work created already leased to it
    /// (<c>IEnrollmentStore.EnrollLeasedAsync</c>) is measured with the rest; without it the run is exactly
    /// <see cref="EngineCheckpoints"/>.
    /// </remarks>
    internal static async Task ProbeAsync(int hosts, int customers, int runs, bool intake = false)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PostgreSQL engine probe{(intake ? " (intake: activation timed, engines running)" : string.Empty)}: {hosts} host(s), {customers:N0} customers, {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC, load {LoadAverage()}"));
        var tally = new CheckpointCounter.Tally();
        await using var monitor = new NpgsqlDataSourceBuilder(ConnectionString).Build();
        var statements = await StatementTotals.AvailableAsync(monitor);
        if (!statements)
        {
            Console.WriteLine("// pg_stat_statements is not installed in this database (shared_preload_libraries, CREATE EXTENSION): no plan, buffer and WAL counts");
        }

        using var sampler = AllocationSampler.Enabled ? new AllocationSampler() : null;
        for (var run = 1; run <= runs; run++)
        {
            var group = await HostGroup.StartAsync(ConnectionString, hosts, customers, null, tally, null, activate: !intake);
            try
            {
                // As BenchmarkDotNet does between iterations: the previous run's garbage and finalizers (the disposed
                // hosts' service providers) are dealt with before the timed part, not during it.
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
                using var work = PostgreSqlWorkCounts.Enabled ? await PostgreSqlWorkCounts.StartAsync(monitor, group.Schema) : null;
                var before = tally.Count;
                var server = ServerCpu();
                var totals = statements ? await StatementTotals.ReadAsync(monitor) : default;
                var process = Process.GetCurrentProcess();
                var cpu = process.TotalProcessorTime;
                var allocated = GC.GetTotalAllocatedBytes(precise: true);
                sampler?.Start();
                var watch = Stopwatch.StartNew();
                await group.RunAsync(activate: intake);
                var wall = watch.Elapsed;
                process.Refresh();
                var clientCpu = process.TotalProcessorTime - cpu;
                var serverAfter = ServerCpu();
                var serverCpu = serverAfter.Cpu - server.Cpu;
                var serverFaults = serverAfter.MinorFaults - server.MinorFaults;
                var backends = await StatementTotals.BackendsAsync(monitor);
                var statementLine = statements ? (await StatementTotals.ReadAsync(monitor)).Since(totals) : string.Empty;
                var allocatedMb = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1e6;
                var checkpoints = tally.Count - before;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"run {run}: activation (untimed) {group.Activation.TotalMilliseconds:N0} ms; timed {wall.TotalMilliseconds:N0} ms, {checkpoints:N0} checkpoints, {checkpoints / wall.TotalSeconds:N0}/s; "
                    + $"client CPU {clientCpu.TotalMilliseconds:N0} ms, server CPU {serverCpu.TotalMilliseconds:N0} ms ({(clientCpu + serverCpu) / wall / Environment.ProcessorCount:P0} of {Environment.ProcessorCount} cores), server minor page faults {serverFaults:N0}, {backends} client backends at the end; allocated {allocatedMb:N1} MB{statementLine}"));
                sampler?.StopAndPrint((long)(allocatedMb * 1e6), (int)Math.Max(1, checkpoints), top: 25);
                if (work is not null)
                {
                    await work.StopAndPrintAsync(checkpoints);
                }
            }
            finally
            {
                await group.DisposeAsync();
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"load {LoadAverage()}"));
    }

    /// <summary>
    /// Sums of <c>pg_stat_statements</c> over every statement of the database (when the extension is installed there):
    /// load-independent counts of the server's work in a run (statements, plans made, buffers hit, WAL records) and the
    /// planning time, which grows with every new connection (each plans its prepared statements once).
    /// </summary>
    private readonly record struct StatementTotals(long Calls, long Plans, double PlanMs, long Hits, long WalRecords)
    {
        private const string Filter = "dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE '%pg_stat_%'";

        // Installed in this database and loaded: a view left behind by a library no longer in shared_preload_libraries
        // fails when read (SQLSTATE 55000), and the setting itself is readable only with pg_read_all_settings.
        public static async Task<bool> AvailableAsync(NpgsqlDataSource dataSource)
        {
            await using var command = dataSource.CreateCommand("SELECT to_regclass('pg_stat_statements') IS NOT NULL");
            if (!(bool)(await command.ExecuteScalarAsync())!)
            {
                return false;
            }

            try
            {
                await ReadAsync(dataSource);
                return true;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ObjectNotInPrerequisiteState)
            {
                Console.WriteLine($"// pg_stat_statements is installed but not loaded: {e.MessageText}");
                return false;
            }
        }

        public static async Task<StatementTotals> ReadAsync(NpgsqlDataSource dataSource)
        {
            await using var command = dataSource.CreateCommand(
                $"SELECT COALESCE(sum(calls), 0)::bigint, COALESCE(sum(plans), 0)::bigint, COALESCE(sum(total_plan_time), 0)::float8, COALESCE(sum(shared_blks_hit), 0)::bigint, COALESCE(sum(wal_records), 0)::bigint FROM pg_stat_statements WHERE {Filter}");
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            return new StatementTotals(reader.GetInt64(0), reader.GetInt64(1), reader.GetDouble(2), reader.GetInt64(3), reader.GetInt64(4));
        }

        // Client backends of this database other than the asking one: the hosts' pooled connections.
        public static async Task<long> BackendsAsync(NpgsqlDataSource dataSource)
        {
            await using var command = dataSource.CreateCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()");
            return (long)(await command.ExecuteScalarAsync())!;
        }

        public string Since(StatementTotals before) => string.Create(CultureInfo.InvariantCulture,
            $"; pg_stat_statements: {Calls - before.Calls:N0} statements, {Plans - before.Plans:N0} plans ({PlanMs - before.PlanMs:N0} ms; planning counted only with pg_stat_statements.track_planning), {Hits - before.Hits:N0} buffer hits, {WalRecords - before.WalRecords:N0} WAL records");
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "unknown";

    // User + system time of every process named postgres (the server's backends), in clock ticks of 10 ms, and their
    // minor page faults. Each also counts its reaped children (cutime, cstime, cminflt): the postmaster's hold the
    // backends and autovacuum workers that ended, so a connection closed during the timed part keeps its time (summing
    // only live processes lost it, and a backend that lived across the start and ended before the end even subtracted
    // its whole life).
    private static (TimeSpan Cpu, long MinorFaults) ServerCpu()
    {
        long ticks = 0, faults = 0;
        foreach (var directory in Directory.Exists("/proc") ? Directory.EnumerateDirectories("/proc") : [])
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var close = stat.LastIndexOf(')');
                if (close < 0 || !stat.AsSpan(0, close).EndsWith("(postgres", StringComparison.Ordinal))
                {
                    continue;
                }

                // After the name: state, ppid, pgrp, session, tty, tpgid, flags, minflt, cminflt, majflt, cmajflt, utime, stime, cutime, cstime.
                var fields = stat[(close + 2)..].Split(' ');
                ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)
                    + long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
                faults += long.Parse(fields[7], CultureInfo.InvariantCulture) + long.Parse(fields[8], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // The process ended while being read: its time is counted in its parent's (the postmaster's) children.
            }
            catch (UnauthorizedAccessException)
            {
                // Not readable by this user: not counted.
            }
        }

        return (TimeSpan.FromMilliseconds(ticks * 10), faults);
    }

    private (string Name, object Value)[] Parameters() => [(nameof(Hosts), Hosts), (nameof(Customers), Customers)];

    private void Record(string method, double writesPerInvocation)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// {method}, PostgreSQL, {Hosts} host(s): {writesPerInvocation:N0} durable writes per invocation"));
        ReportedValues.Write(
            MeasuredValueColumn.CaseKey(nameof(PostgreSqlStoreBenchmarks), method, Parameters()),
            new Dictionary<string, double> { [StoreRateColumn.WritesValue] = writesPerInvocation });
    }

    private static string NewSchema() => "bench_" + Guid.NewGuid().ToString("N");

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.CommandTimeout = 600;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Engine hosts on one fresh schema, each with its own data source, as separate processes would have.</summary>
    private sealed class HostGroup : IAsyncDisposable
    {
        // Shards per host: 2, or JOURNEYS_BENCH_PG_SHARDS for probes (e.g. one host with as many shards as four hosts have).
        private static readonly int ShardsPerHost =
            int.TryParse(Environment.GetEnvironmentVariable("JOURNEYS_BENCH_PG_SHARDS"), NumberStyles.None, CultureInfo.InvariantCulture, out var shards) && shards > 0 ? shards : 2;

        // Store calls of a host at once (PostgreSqlStoreOptions.MaxConcurrentOperations): one per shard, as docs/storage.md
        // advises for engine-only hosts, or JOURNEYS_BENCH_PG_TURNS for probes (0: no cap, the option's default).
        private static readonly int? TurnsPerHost =
            int.TryParse(Environment.GetEnvironmentVariable("JOURNEYS_BENCH_PG_TURNS"), NumberStyles.None, CultureInfo.InvariantCulture, out var turns)
                ? turns > 0 ? turns : null
                : ShardsPerHost;

        private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);
        private readonly List<(ServiceProvider Services, IHostedService[] Hosted, NpgsqlDataSource DataSource)> _hosts;
        private readonly string _connectionString;
        private readonly string _schema;
        private readonly int _customers;
        private string _journeyId = string.Empty;

        private HostGroup(List<(ServiceProvider, IHostedService[], NpgsqlDataSource)> hosts, string connectionString, string schema, int customers)
        {
            _hosts = hosts;
            _connectionString = connectionString;
            _schema = schema;
            _customers = customers;
        }

        /// <summary>The schema the hosts share.</summary>
        public string Schema => _schema;

        private IJourneyManager Manager => _hosts[0].Services.GetRequiredService<IJourneyManager>();

        public static async Task<HostGroup> StartAsync(string connectionString, int hostCount, int customers, TimeSpan? delay, CheckpointCounter.Tally checkpoints, LatencySamples? lateness, bool activate = true)
        {
            var schema = NewSchema();
            var hosts = new List<(ServiceProvider, IHostedService[], NpgsqlDataSource)>();
            for (var i = 0; i < hostCount; i++)
            {
                var dataSource = new NpgsqlDataSourceBuilder(connectionString).Build();
                var services = new ServiceCollection();
                var owner = $"bench-host-{i}";
                services.AddJourneys(j => j
                    .UsePostgreSql(dataSource, o =>
                    {
                        o.SchemaName = schema;

                        o.MaxConcurrentOperations = TurnsPerHost;
                    })
                    .AddSender(Channel.Email, NullChannelSender.Instance)
                    .AddSender(Channel.Push, NullChannelSender.Instance)
                    .AddCampaigns(BenchmarkData.Campaigns.Campaigns)
                    .Configure(o =>
                    {
                        o.OwnerId = owner;
                        o.ShardCount = ShardsPerHost;
                        o.MaxIdle = TimeSpan.FromSeconds(1);
                    }));
                CheckpointCounter.Decorate(services, checkpoints);
                if (lateness is not null)
                {
                    TimerLatenessRecorder.Decorate(services, lateness, customers);
                }

                var provider = services.BuildServiceProvider();
                hosts.Add((provider, [.. provider.GetServices<IHostedService>()], dataSource));
            }

            var group = new HostGroup(hosts, connectionString, schema, customers);
            var store = hosts[0].Item1.GetRequiredService<ICustomerStore>();
            await store.SaveSchemaAsync(BenchmarkData.Schema);
            var all = EngineScenario.Population(customers);
            for (var start = 0; start < customers; start += 5_000)
            {
                await store.UpsertAsync(new ArraySegment<Customer>(all, start, Math.Min(5_000, customers - start)));
            }

            var journey = BenchmarkData.ThroughputJourney(all.Select(c => c.Id), delay);
            group._journeyId = journey.Id;
            await group.Manager.CreateAsync(journey);

            // Everything but the engines runs from here on (schema check, notification listener); the engines start in RunAsync.
            foreach (var (_, hosted, _) in hosts)
            {
                foreach (var service in hosted.Where(static s => !IsEngine(s)))
                {
                    await service.StartAsync(CancellationToken.None);
                }
            }

            if (!activate)
            {
                return group;
            }

            // Activation (enrolling every customer: inserts, not checkpoints) before any engine runs, outside the timed part.
            var activation = Stopwatch.StartNew();
            var (_, enrolled) = await group.Manager.ActivateAsync(journey.Id);
            group.Activation = activation.Elapsed;
            if (enrolled != customers)
            {
                throw new InvalidOperationException($"Enrolled {enrolled} customers, expected {customers}.");
            }

            return group;
        }

        /// <summary>How long the untimed activation took.</summary>
        public TimeSpan Activation { get; private set; }

        /// <summary>Starts every host's engine on the enrolled customers (or, with <paramref name="activate"/>, activates the journey once they run) and waits until every enrollment completed.</summary>
        public async Task RunAsync(bool activate = false)
        {
            var manager = Manager;
            var journeyId = _journeyId;
            foreach (var (_, hosted, _) in _hosts)
            {
                foreach (var service in hosted.Where(IsEngine))
                {
                    await service.StartAsync(CancellationToken.None);
                }
            }

            if (activate)
            {
                var (_, enrolled) = await manager.ActivateAsync(journeyId);
                if (enrolled != _customers)
                {
                    throw new InvalidOperationException($"Enrolled {enrolled} customers, expected {_customers}.");
                }
            }

            var watch = Stopwatch.StartNew();
            while (true)
            {
                var statistics = await manager.GetStatisticsAsync(journeyId);
                if (statistics.Get(StatisticCounter.Completed) >= _customers)
                {
                    return;
                }

                if (statistics.Get(StatisticCounter.Failed) > 0 || watch.Elapsed > Timeout)
                {
                    throw new InvalidOperationException($"{statistics.Get(StatisticCounter.Failed)} enrollments failed, {statistics.Get(StatisticCounter.Completed)} of {_customers} completed after {watch.Elapsed}.");
                }

                // Every poll is a query: 5 ms keeps them from loading the server.
                await Task.Delay(5);
            }
        }

        // The hosted service that runs the journey engine (internal to Journeys, so known by its name).
        private static bool IsEngine(IHostedService service) => service.GetType().Name == "JourneysHostedService";

        public async ValueTask DisposeAsync()
        {
            foreach (var (services, hosted, dataSource) in _hosts)
            {
                foreach (var service in hosted.Reverse())
                {
                    await service.StopAsync(CancellationToken.None);
                }

                await services.DisposeAsync();
                await dataSource.DisposeAsync();
            }

            await using var cleanup = new NpgsqlDataSourceBuilder(_connectionString).Build();
            await ExecuteAsync(cleanup, $"DROP SCHEMA IF EXISTS {_schema} CASCADE");
        }
    }

    /// <summary>
    /// The store's <c>enrollments</c> table in a fresh schema (created by the store through its public API, so columns
    /// and indexes are the store's), 1,000,000 waiting rows loaded with COPY (indexes rebuilt afterwards), and one
    /// prepared <c>unnest</c> upsert per writer connection.
    /// </summary>
    private sealed class RawTable : IAsyncDisposable
    {
        private readonly NpgsqlDataSource _dataSource;
        private readonly string _schema;
        private readonly (string Customer, Guid Id)[] _keys;
        private readonly Writer[] _writers;
        private readonly Random _random = new(42);
        private int _batch;

        private RawTable(NpgsqlDataSource dataSource, string schema, (string, Guid)[] keys, Writer[] writers)
        {
            _dataSource = dataSource;
            _schema = schema;
            _keys = keys;
            _writers = writers;
        }

        public static async Task<RawTable> CreateAsync(string connectionString, int writers)
        {
            var watch = Stopwatch.StartNew();
            var schema = NewSchema();
            var dataSource = new NpgsqlDataSourceBuilder(connectionString).Build();

            // The store creates its schema on first use.
            var services = new ServiceCollection();
            services.AddJourneys(j => j.UsePostgreSql(dataSource, o =>
            {
                o.SchemaName = schema;
                o.ListenForNotifications = false;
            }));
            await using (var provider = services.BuildServiceProvider())
            {
                await provider.GetRequiredService<ICustomerStore>().GetSchemaAsync();
            }

            var indexes = new List<(string Name, string Definition)>();
            await using (var read = dataSource.CreateCommand($"SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = '{schema}' AND tablename = 'enrollments' AND indexname NOT LIKE '%_pkey'"))
            await using (var reader = await read.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    indexes.Add((reader.GetString(0), reader.GetString(1)));
                }
            }

            foreach (var (name, _) in indexes)
            {
                await ExecuteAsync(dataSource, $"DROP INDEX {schema}.{name}");
            }

            // Packed full, as before schema version 4: the store leaves 60 % of each page free for its claims' HOT
            // updates, which the baseline's upserts (they change the indexed wake_at) cannot use; spreading the million
            // rows over 2.5 times the pages would slow the baseline for a reason that is not the upsert's.
            await ExecuteAsync(dataSource, $"ALTER TABLE {schema}.enrollments SET (fillfactor = 100)");
            var keys = new (string, Guid)[ExistingRows];
            var random = new Random(7);
            var now = DateTime.UtcNow;
            await using (var connection = await dataSource.OpenConnectionAsync())
            await using (var import = await connection.BeginBinaryImportAsync(
                $"COPY {schema}.enrollments (customer_id, enrollment_id, journey_id, version, current_node, status, wake_at, visit, entered_at, updated_at, token, wake_events, event_cursor, node_state, created_order) FROM STDIN (FORMAT BINARY)"))
            {
                for (var i = 0; i < ExistingRows; i++)
                {
                    keys[i] = (string.Create(CultureInfo.InvariantCulture, $"customer-{i:D7}@example.com"), Guid.NewGuid());
                    await import.StartRowAsync();
                    await import.WriteAsync(keys[i].Item1, NpgsqlDbType.Text);
                    await import.WriteAsync(keys[i].Item2, NpgsqlDbType.Uuid);
                    await import.WriteAsync("journey", NpgsqlDbType.Text);
                    await import.WriteAsync(1, NpgsqlDbType.Integer);
                    await import.WriteAsync("pause", NpgsqlDbType.Text);
                    await import.WriteAsync((short)1, NpgsqlDbType.Smallint);
                    await import.WriteAsync(now.AddSeconds(random.Next(86_400)), NpgsqlDbType.TimestampTz);
                    await import.WriteAsync(0, NpgsqlDbType.Integer);
                    await import.WriteAsync(now, NpgsqlDbType.TimestampTz);
                    await import.WriteAsync(now, NpgsqlDbType.TimestampTz);
                    await import.WriteAsync(2L, NpgsqlDbType.Bigint);
                    await import.WriteAsync(Array.Empty<string>(), NpgsqlDbType.Array | NpgsqlDbType.Text);
                    await import.WriteAsync(0L, NpgsqlDbType.Bigint);
                    await import.WriteAsync(0, NpgsqlDbType.Integer);
                    await import.WriteAsync((long)i, NpgsqlDbType.Bigint);
                }

                await import.CompleteAsync();
            }

            foreach (var (_, definition) in indexes)
            {
                await ExecuteAsync(dataSource, definition);
            }

            await ExecuteAsync(dataSource, $"ANALYZE {schema}.enrollments");
            var prepared = new Writer[writers];
            for (var w = 0; w < writers; w++)
            {
                prepared[w] = await Writer.OpenAsync(dataSource, schema);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// PostgreSQL raw table: {ExistingRows:N0} enrollment rows (COPY) and {indexes.Count} indexes rebuilt in {watch.Elapsed.TotalSeconds:N1} s"));
            return new RawTable(dataSource, schema, keys, prepared);
        }

        public Task UpsertBatchesAsync()
        {
            var tasks = new Task[_writers.Length];
            var taken = new HashSet<int>();
            for (var w = 0; w < _writers.Length; w++)
            {
                // Existing keys distinct across the invocation's writers (a statement may not upsert one row twice).
                var customers = new string[BatchRows];
                var ids = new Guid[BatchRows];
                var wakes = new DateTime[BatchRows];
                var now = DateTime.UtcNow;
                for (var i = 0; i < BatchRows; i++)
                {
                    if (i % 2 == 0)
                    {
                        int pick;
                        do
                        {
                            pick = _random.Next(ExistingRows);
                        }
                        while (!taken.Add(pick));
                        (customers[i], ids[i]) = _keys[pick];
                    }
                    else
                    {
                        (customers[i], ids[i]) = (string.Create(CultureInfo.InvariantCulture, $"new-{_batch}-{w}-{i}-{_random.Next():x8}"), Guid.NewGuid());
                    }

                    wakes[i] = now.AddSeconds(_random.Next(86_400));
                }

                tasks[w] = _writers[w].UpsertAsync(customers, ids, wakes);
            }

            _batch++;
            return Task.WhenAll(tasks);
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var writer in _writers)
            {
                await writer.DisposeAsync();
            }

            await ExecuteAsync(_dataSource, $"DROP SCHEMA IF EXISTS {_schema} CASCADE");
            await _dataSource.DisposeAsync();
        }

        private sealed class Writer : IAsyncDisposable
        {
            private readonly NpgsqlConnection _connection;
            private readonly NpgsqlCommand _upsert;
            private readonly NpgsqlParameter<string[]> _customers = new();
            private readonly NpgsqlParameter<Guid[]> _ids = new();
            private readonly NpgsqlParameter<DateTime[]> _wakes = new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz };

            private Writer(NpgsqlConnection connection, string schema)
            {
                _connection = connection;
                _upsert = new NpgsqlCommand($"""
                    INSERT INTO {schema}.enrollments (customer_id, enrollment_id, journey_id, version, current_node, status, wake_at, visit, entered_at, updated_at, token, wake_events, event_cursor, node_state, created_order)
                    SELECT c, id, 'journey', 1, 'pause', 1, w, 0, now(), now(), 1, ARRAY[]::text[], 0, 0, 0 FROM unnest($1::text[], $2::uuid[], $3::timestamptz[]) AS u(c, id, w)
                    ON CONFLICT (customer_id, enrollment_id) DO UPDATE SET current_node = excluded.current_node, wake_at = excluded.wake_at,
                        token = {schema}.enrollments.token + 1, updated_at = excluded.updated_at
                    """, connection);
                _upsert.Parameters.Add(_customers);
                _upsert.Parameters.Add(_ids);
                _upsert.Parameters.Add(_wakes);
            }

            public static async Task<Writer> OpenAsync(NpgsqlDataSource dataSource, string schema)
            {
                var writer = new Writer(await dataSource.OpenConnectionAsync(), schema);
                await writer._upsert.PrepareAsync();
                return writer;
            }

            public async Task UpsertAsync(string[] customers, Guid[] ids, DateTime[] wakes)
            {
                _customers.TypedValue = customers;
                _ids.TypedValue = ids;
                _wakes.TypedValue = wakes;
                await using var transaction = await _connection.BeginTransactionAsync();
                _upsert.Transaction = transaction;
                await _upsert.ExecuteNonQueryAsync();
                await transaction.CommitAsync();
            }

            public async ValueTask DisposeAsync()
            {
                await _upsert.DisposeAsync();
                await _connection.DisposeAsync();
            }
        }
    }
}
