using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Journeys.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Benchmarks;

/// <summary>
/// The SQLite store's raw write limit beside the engine on it, in one run, with <c>synchronous</c> NORMAL and FULL:
/// <list type="bullet">
/// <item><see cref="RawUpsertBaseline"/>: one transaction of 1,000 prepared upserts of random-key enrollment rows
/// (half existing keys, half new) into the store's own <c>enrollments</c> table (created by the store: same columns and
/// indexes) already holding 1,000,000 rows, set up in <see cref="SetupRaw"/>: built by the run's first case and
/// copied by the other (<see cref="RunCache"/>).</item>
/// <item><see cref="EngineCheckpoints"/>: the hosted engine on a fresh SQLite file runs <see cref="Customers"/>
/// customers through filter → random split → send → update customer → send, timed from activation until every
/// enrollment completed; its applied checkpoints are counted (<see cref="CheckpointCounter"/>).</item>
/// <item><see cref="TimerLateness"/>: 2,000 customers through the same journey with a 1-second delay after the first
/// send; lateness = commit of the resumed step − due time (<see cref="TimerLatenessRecorder"/>).</item>
/// </list>
/// </summary>
[MemoryDiagnoser]
[ShortMode(warmups: 3)] // the short job's 3 warm-ups: the engine's CPU per customer still fell over the first 4 invocations of 20,000 (RESULTS.md, twenty-fourth session)
[Config(typeof(StoreBenchmarkConfig))]
public class SqliteStoreBenchmarks
{
    /// <summary>Rows in the raw baseline's table before the timed upserts.</summary>
    public const int ExistingRows = 1_000_000;

    /// <summary>Upserts per transaction in the raw baseline.</summary>
    public const int BatchRows = 1_000;

    /// <summary>Customers of the lateness runs.</summary>
    public const int LatenessCustomers = 2_000;

    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(1);

    private readonly CheckpointCounter.Tally _checkpoints = new();
    private readonly LatencySamples _lateness = new();
    private readonly LatencySamples _invocationLateness = new();
    private string? _folder;
    private string? _file;
    private EngineScenario? _engine;
    private int _invocations;
    private RawTable? _raw;

    /// <summary>The <c>synchronous</c> pragma of every connection (raw and engine): <see cref="SynchronousModes"/>.</summary>
    [ParamsSource(nameof(SynchronousModes))]
    public SqliteSynchronousMode Synchronous { get; set; }

    /// <summary>
    /// <c>NORMAL</c> and <c>FULL</c>; <c>NORMAL</c> only (the store's default) in short mode, which otherwise runs over its
    /// 10-minute budget (the two <c>FULL</c> cases are about 40 % of this class's time; in the five whole runs of the
    /// class in benchmarks/RESULTS.md, <c>FULL</c>'s engine checkpoints ran at 0.86–1.16× <c>NORMAL</c>'s and at
    /// 176–260 % of <c>FULL</c>'s raw baseline, against a 70 % target).
    /// </summary>
    public static IEnumerable<SqliteSynchronousMode> SynchronousModes =>
        Environment.GetEnvironmentVariable(ShortModeAttribute.Variable) == "1"
            ? [SqliteSynchronousMode.Normal]
            : [SqliteSynchronousMode.Normal, SqliteSynchronousMode.Full];

    /// <summary>Customers per <see cref="EngineCheckpoints"/> invocation: 20,000, or <c>JOURNEYS_STORE_CUSTOMERS</c>.</summary>
    [ParamsSource(nameof(CustomerCounts))]
    public int Customers { get; set; }

    /// <summary>20,000, or the value of the environment variable <c>JOURNEYS_STORE_CUSTOMERS</c>.</summary>
    public static IEnumerable<int> CustomerCounts =>
        [int.TryParse(Environment.GetEnvironmentVariable("JOURNEYS_STORE_CUSTOMERS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 20_000];

    /// <summary>The store's schema in a temporary file with 1,000,000 enrollment rows: built once per run, copied by the later case.</summary>
    [GlobalSetup(Target = nameof(RawUpsertBaseline))]
    public void SetupRaw()
    {
        _folder = NewFolder();
        _raw = RawTable.Create(Path.Combine(_folder, "raw.db"), Synchronous);
    }

    /// <summary>Records the rows per invocation and deletes the file.</summary>
    [GlobalCleanup(Target = nameof(RawUpsertBaseline))]
    public void CleanupRaw()
    {
        _raw?.Dispose();
        _raw = null;
        Record(nameof(RawUpsertBaseline), BatchRows);
        DeleteFolder();
    }

    /// <summary>1,000 prepared upserts of random-key enrollment rows in one transaction.</summary>
    [Benchmark(Baseline = true)]
    public int RawUpsertBaseline() => _raw!.UpsertBatch();

    /// <summary>A temporary folder for the engine's files.</summary>
    [GlobalSetup(Targets = [nameof(EngineCheckpoints), nameof(TimerLateness)])]
    public void SetupEngine() => _folder = NewFolder();

    /// <summary>A fresh host on a fresh file: customers stored, the journey a draft, the engine started and idle.</summary>
    [IterationSetup(Target = nameof(EngineCheckpoints))]
    public void StartEngine() => _engine = Start(Customers, delay: null);

    /// <summary>A fresh host with the delay journey on a fresh file.</summary>
    [IterationSetup(Target = nameof(TimerLateness))]
    public void StartLateness()
    {
        _invocationLateness.Clear();
        _engine = Start(LatenessCustomers, Delay);
    }

    /// <summary>Stops the host and deletes its file.</summary>
    [IterationCleanup(Targets = [nameof(EngineCheckpoints), nameof(TimerLateness)])]
    public void StopEngine()
    {
        _engine?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _engine = null;
        _invocations++;
        if (_invocations > 1)
        {
            // The first invocation of a process pays the JIT and the file system's first touches: left out, as in PeerComparisonBenchmarks.
            _lateness.AddRange(_invocationLateness.Snapshot());
        }

        DeleteFile(_file);
    }

    /// <summary>Records the checkpoints per invocation (or the lateness percentiles) and deletes the folder.</summary>
    [GlobalCleanup(Targets = [nameof(EngineCheckpoints), nameof(TimerLateness)])]
    public void CleanupEngine()
    {
        if (_invocations > 0 && _checkpoints.Count > 0 && _lateness.Count == 0)
        {
            Record(nameof(EngineCheckpoints), _checkpoints.Count / (double)_invocations);
        }

        if (_lateness.Count > 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// Timer lateness, SQLite synchronous={Synchronous}, {LatenessCustomers:N0} customers, 1 s delay: {_lateness.Describe()}"));
            ReportedValues.Write(
                MeasuredValueColumn.CaseKey(nameof(SqliteStoreBenchmarks), nameof(TimerLateness), Parameters()),
                new Dictionary<string, double> { ["p50"] = _lateness.Percentile(50), ["p99"] = _lateness.Percentile(99), ["n"] = _lateness.Count });
        }

        DeleteFolder();
    }

    /// <summary>Activates the five-step journey on SQLite and waits until every enrollment completed.</summary>
    [Benchmark]
    public Task EngineCheckpoints() => _engine!.RunAsync();

    /// <summary>Activates the delay journey on SQLite and waits until every enrollment completed (after its 1-second delay).</summary>
    [Benchmark]
    public Task TimerLateness() => _engine!.RunAsync();

    private (string Name, object Value)[] Parameters() => [(nameof(Synchronous), Synchronous), (nameof(Customers), Customers)];

    private void Record(string method, double writesPerInvocation)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// {method}, SQLite synchronous={Synchronous}: {writesPerInvocation:N0} durable writes per invocation"));
        ReportedValues.Write(
            MeasuredValueColumn.CaseKey(nameof(SqliteStoreBenchmarks), method, Parameters()),
            new Dictionary<string, double> { [StoreRateColumn.WritesValue] = writesPerInvocation });
    }

    private EngineScenario Start(int customers, TimeSpan? delay)
    {
        _file = Path.Combine(_folder!, Guid.NewGuid().ToString("N") + ".db");
        var synchronous = Synchronous;
        var file = _file;
        return EngineScenario.StartAsync(
            customers,
            Environment.ProcessorCount,
            delayAfterWelcome: delay,
            configureJourneys: j => j.UseSqlite($"Data Source={file}", o => o.Synchronous = synchronous),
            configureServices: services =>
            {
                CheckpointCounter.Decorate(services, _checkpoints);
                if (delay is not null)
                {
                    TimerLatenessRecorder.Decorate(services, _invocationLateness, customers);
                }
            }).GetAwaiter().GetResult();
    }

    private static string NewFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "journeys-store-benchmarks", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    private void DeleteFolder()
    {
        SqliteConnection.ClearAllPools();
        if (_folder is not null && Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }

        _folder = null;
    }

    private static void DeleteFile(string? file)
    {
        if (file is null)
        {
            return;
        }

        SqliteConnection.ClearAllPools();
        foreach (var path in new[] { file, file + "-wal", file + "-shm" })
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// The store's <c>enrollments</c> table (made by <see cref="SqliteDatabase"/>, so its columns and indexes are the
    /// store's), filled with 1,000,000 waiting rows on a timer, and one prepared upsert whose parameters are set per
    /// row (no per-row allocation of commands or parameters).
    /// </summary>
    private sealed class RawTable : IDisposable
    {
        private static readonly string[] Columns =
        [
            "customer_id", "id", "journey_id", "version", "status", "node_id", "wake_at", "visit", "entered_at", "updated_at", "token",
            "event_cursor", "node_state", "sched_kind", "sched_at", "created_seq",
        ];

        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _upsert;
        private readonly SqliteParameter[] _parameters;
        private readonly Guid[] _ids;
        private readonly Random _random = new(42);
        private long _created = ExistingRows;
        private int _batch;

        private RawTable(SqliteConnection connection, Guid[] ids)
        {
            _connection = connection;
            _ids = ids;
            _upsert = connection.CreateCommand();
            _upsert.CommandText = $"""
                INSERT INTO enrollments ({string.Join(", ", Columns)}) VALUES ({string.Join(", ", Columns.Select(c => "$" + c))})
                ON CONFLICT (customer_id, id) DO UPDATE SET status = excluded.status, node_id = excluded.node_id, wake_at = excluded.wake_at,
                    visit = excluded.visit, updated_at = excluded.updated_at, token = enrollments.token + 1, event_cursor = excluded.event_cursor,
                    node_state = excluded.node_state, sched_kind = excluded.sched_kind, sched_at = excluded.sched_at
                """;
            _parameters = [.. Columns.Select(c => _upsert.Parameters.Add(new SqliteParameter("$" + c, null)))];
            _upsert.Prepare();
        }

        public static RawTable Create(string file, SqliteSynchronousMode synchronous)
        {
            var watch = Stopwatch.StartNew();

            // The store creates the file, WAL mode and its schema; then the rows go in through a connection of our own.
            using (new SqliteDatabase(new SqliteStoreOptions { ConnectionString = $"Data Source={file}", Synchronous = synchronous }, TimeProvider.System))
            {
            }

            // Every case of a run uses the same table (the synchronous pragma is per connection, not in the file): the
            // first case builds it, keeps a copy in the run's folder (RunCache), and the later cases copy that file,
            // keyed by the store's schema so a template never serves another schema.
            var template = RunCache.Folder is { } folder ? Path.Combine(folder, $"sqlite-enrollments-{SchemaKey(file)}.db") : null;
            string how;
            SqliteConnection.ClearAllPools();
            if (template is not null && File.Exists(template))
            {
                foreach (var path in new[] { file, file + "-wal", file + "-shm" })
                {
                    File.Delete(path);
                }

                File.Copy(template, file);
                how = "copied from this run's first build";
            }
            else
            {
                Load(file, synchronous);
                if (template is not null)
                {
                    File.Copy(file, template + ".tmp", overwrite: true);
                    File.Move(template + ".tmp", template, overwrite: true);
                }

                how = "built";
            }

            var connection = new SqliteConnection($"Data Source={file};Pooling=False");
            connection.Open();
            Execute(connection, $"PRAGMA synchronous = {(synchronous == SqliteSynchronousMode.Full ? "FULL" : "NORMAL")};");

            // The upserts of existing keys need each row's random id: read back in customer order (the primary key's).
            var ids = new Guid[ExistingRows];
            var count = 0;
            using (var read = connection.CreateCommand())
            {
                read.CommandText = "SELECT id FROM enrollments ORDER BY customer_id";
                using var reader = read.ExecuteReader();
                while (reader.Read())
                {
                    if (count == ExistingRows)
                    {
                        throw new InvalidOperationException($"The raw table {file} holds more than {ExistingRows:N0} enrollment rows.");
                    }

                    ids[count++] = new Guid(reader.GetFieldValue<byte[]>(0), bigEndian: true);
                }
            }

            if (count != ExistingRows)
            {
                throw new InvalidOperationException($"The raw table {file} holds {count:N0} enrollment rows, expected {ExistingRows:N0}.");
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// SQLite raw table: {ExistingRows:N0} enrollment rows with the store's indexes {how} in {watch.Elapsed.TotalSeconds:N1} s"));
            return new RawTable(connection, ids);
        }

        // The store's schema as SQLite keeps it, hashed: the run's template is reused only for the same schema.
        private static string SchemaKey(string file)
        {
            using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
            connection.Open();
            using var read = connection.CreateCommand();
            read.CommandText = "SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name)";
            var schema = read.ExecuteScalar() as string ?? string.Empty;
            return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(schema)))[..16];
        }

        // 1,000,000 waiting rows on a timer, generated by SQLite itself in customer order (one statement, no per-row
        // round trip), with the secondary indexes dropped first and rebuilt with the store's own definitions afterwards
        // (one sort each instead of row-by-row maintenance). Ids are random; wake times spread over a day.
        private static void Load(string file, SqliteSynchronousMode synchronous)
        {
            using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
            connection.Open();
            Execute(connection, $"PRAGMA synchronous = {(synchronous == SqliteSynchronousMode.Full ? "FULL" : "NORMAL")};");
            var indexes = new List<(string Name, string Sql)>();
            using (var read = connection.CreateCommand())
            {
                read.CommandText = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'enrollments' AND sql IS NOT NULL";
                using var reader = read.ExecuteReader();
                while (reader.Read())
                {
                    indexes.Add((reader.GetString(0), reader.GetString(1)));
                }
            }

            foreach (var (name, _) in indexes)
            {
                Execute(connection, $"DROP INDEX {name};");
            }

            using (var transaction = connection.BeginTransaction())
            using (var insert = connection.CreateCommand())
            {
                insert.Transaction = transaction;
                insert.CommandText = $"""
                    INSERT INTO enrollments ({string.Join(", ", Columns)})
                    WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < $rows - 1),
                        timed(i, wake) AS (SELECT i, $now + ((i * 2654435761) % 86400) * {TimeSpan.TicksPerSecond} FROM seq)
                    SELECT printf('customer-%07d@example.com', i), randomblob(16), 'journey', 1, 1, 'pause', wake, 0, $now, $now, 2, 0, 0, 1, wake, i
                    FROM timed
                    """;
                insert.Parameters.AddWithValue("$rows", ExistingRows);
                insert.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.UtcTicks);
                insert.CommandTimeout = 0;
                insert.ExecuteNonQuery();
                transaction.Commit();
            }

            foreach (var (_, sql) in indexes)
            {
                Execute(connection, sql + ";");
            }

            Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE);");
        }

        /// <summary>One transaction of <see cref="BatchRows"/> upserts: even rows update scattered existing keys, odd rows insert new ones.</summary>
        public int UpsertBatch()
        {
            var now = DateTimeOffset.UtcNow.UtcTicks;
            using var transaction = _connection.BeginTransaction();
            _upsert.Transaction = transaction;
            for (var i = 0; i < BatchRows; i++)
            {
                var wake = now + (_random.NextInt64(86_400) * TimeSpan.TicksPerSecond);
                if (i % 2 == 0)
                {
                    var existing = _random.Next(ExistingRows);
                    Fill(_parameters, ExistingCustomer(existing), _ids[existing], wake, now, existing);
                }
                else
                {
                    Fill(_parameters, string.Create(CultureInfo.InvariantCulture, $"new-{_batch}-{i}-{_random.Next():x8}"), new Guid(RandomBytes(_random)), wake, now, ++_created);
                }

                _upsert.ExecuteNonQuery();
            }

            transaction.Commit();
            _batch++;
            return BatchRows;
        }

        public void Dispose()
        {
            _upsert.Dispose();
            _connection.Dispose();
        }

        private static string ExistingCustomer(int i) => string.Create(CultureInfo.InvariantCulture, $"customer-{i:D7}@example.com");

        private static byte[] RandomBytes(Random random)
        {
            var bytes = new byte[16];
            random.NextBytes(bytes);
            return bytes;
        }

        // A waiting enrollment on a timer: the row shape the store writes at a delay.
        private static void Fill(SqliteParameter[] p, string customer, Guid id, long wake, long now, long created)
        {
            p[0].Value = customer;
            p[1].Value = id.ToByteArray(bigEndian: true);
            p[2].Value = "journey";
            p[3].Value = 1;
            p[4].Value = 1;
            p[5].Value = "pause";
            p[6].Value = wake;
            p[7].Value = 0;
            p[8].Value = now;
            p[9].Value = now;
            p[10].Value = 2;
            p[11].Value = 0;
            p[12].Value = 0;
            p[13].Value = 1;
            p[14].Value = wake;
            p[15].Value = created;
        }

        private static void Execute(SqliteConnection connection, string sql)
        {
            using var command = connection.CreateCommand();
#pragma warning disable CA2100 // The benchmark's own text and the store's own index definitions.
            command.CommandText = sql;
#pragma warning restore CA2100
            command.ExecuteNonQuery();
        }
    }
}
