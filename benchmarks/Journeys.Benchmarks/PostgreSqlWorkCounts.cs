using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace Journeys.Benchmarks;

/// <summary>
/// Load-independent counts of a <c>pg-probe</c> run's server work, per checkpoint (<c>JOURNEYS_BENCH_PG_WAL=1</c>):
/// round trips (Npgsql's command and batch spans; a commit's own round trip is not one), row inserts / updates / HOT
/// updates / deletes and buffer hits per table and index of the run's schema (<c>pg_stat_user_tables</c>,
/// <c>pg_statio_user_*</c>), and the WAL records, bytes and full-page images by relation and record type, read from
/// the WAL between the run's start and end LSN with <c>pg_waldump</c> (read-only; needs read access to the server's WAL
/// directory, <c>JOURNEYS_BENCH_PG_WALDIR</c>, default Debian's PostgreSQL 15 one). Only records of the run's schema
/// and of the transactions that wrote to it are counted, so other sessions on the same server do not count.
/// </summary>
/// <remarks>
/// The counts cover the timed part plus the dispatcher's trailing outbox completions (the run ends when every
/// enrollment completed; the counts wait until the outbox is empty) and the statistics of idle backends, which
/// PostgreSQL flushes within a second, or ten when a shared entry was busy (the counts wait 11 s before each read).
/// </remarks>
internal sealed partial class PostgreSqlWorkCounts : IDisposable
{
    private const string WalDumpVariable = "JOURNEYS_BENCH_PG_WALDUMP";
    private const string WalDirVariable = "JOURNEYS_BENCH_PG_WALDIR";
    // An idle backend flushes its statistics within a second, or 10 s later when a shared entry was locked (PostgreSQL 15's
    // PGSTAT_IDLE_INTERVAL).
    private static readonly TimeSpan StatisticsFlush = TimeSpan.FromSeconds(11);

    private readonly NpgsqlDataSource _monitor;
    private readonly string _schema;
    private readonly ActivityListener _listener;
    private readonly ConcurrentDictionary<string, int> _roundTrips = new(StringComparer.Ordinal);
    private Dictionary<string, long[]> _before = [];
    private string _startLsn = string.Empty;

    private PostgreSqlWorkCounts(NpgsqlDataSource monitor, string schema)
    {
        _monitor = monitor;
        _schema = schema;
        _listener = new ActivityListener
        {
            ShouldListenTo = static source => source.Name == "Npgsql",
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = a =>
            {
                // Only the hosts' round trips on this schema: the monitor's own queries name no schema.
                if (a.GetTagItem("db.query.text") is string text && text.Contains(_schema, StringComparison.Ordinal))
                {
                    _roundTrips.AddOrUpdate(Describe(text, _schema), 1, static (_, n) => n + 1);
                }
            },
        };
    }

    /// <summary>Whether <c>JOURNEYS_BENCH_PG_WAL=1</c> asks for the counts.</summary>
    public static bool Enabled => Environment.GetEnvironmentVariable("JOURNEYS_BENCH_PG_WAL") == "1";

    /// <summary>Reads the counters and the WAL position before the timed part (after the statistics of the setup were flushed).</summary>
    public static async Task<PostgreSqlWorkCounts> StartAsync(NpgsqlDataSource monitor, string schema)
    {
        await Task.Delay(StatisticsFlush);
        var counts = new PostgreSqlWorkCounts(monitor, schema);
        counts._before = await counts.ReadTablesAsync();
        counts._startLsn = await counts.ScalarAsync("SELECT pg_current_wal_lsn()::text");
        ActivitySource.AddActivityListener(counts._listener);
        return counts;
    }

    /// <summary>Waits until the outbox is empty and the statistics flushed, then prints the counts per checkpoint.</summary>
    public async Task StopAndPrintAsync(long checkpoints)
    {
        var watch = Stopwatch.StartNew();
        while (long.Parse(await ScalarAsync($"SELECT count(*)::text FROM {_schema}.outbox"), CultureInfo.InvariantCulture) > 0)
        {
            if (watch.Elapsed > TimeSpan.FromMinutes(1))
            {
                throw new InvalidOperationException("The outbox did not empty within a minute of the run's end.");
            }

            await Task.Delay(20);
        }

        _listener.Dispose();
        await Task.Delay(StatisticsFlush);
        var endLsn = await ScalarAsync("SELECT pg_current_wal_lsn()::text");
        var after = await ReadTablesAsync();
        var relations = await ReadRelationsAsync();
        var per = (double)Math.Max(1, checkpoints);
        var text = new StringBuilder();
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"// per checkpoint ({checkpoints:N0} checkpoints), schema {_schema}:"));

        var totalTrips = _roundTrips.Values.Sum();
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"//   round trips (commands and batches; commits not included): {totalTrips / per:N3}"));
        foreach (var (statement, count) in _roundTrips.OrderByDescending(static p => p.Value))
        {
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"//     {count / per,8:N3}  {count,7:N0}  {statement}"));
        }

        text.AppendLine("//   rows and buffer hits (pg_stat_user_tables, pg_statio_user_*):  ins    upd    hot   del    hits");
        foreach (var (name, values) in after.OrderBy(static p => p.Key, StringComparer.Ordinal))
        {
            var old = _before.GetValueOrDefault(name) ?? new long[values.Length];
            var d = values.Select((v, i) => (v - old[i]) / per).ToArray();
            if (d.All(static v => v == 0))
            {
                continue;
            }

            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"//     {name,-36} {d[0],6:N3} {d[1],6:N3} {d[2],6:N3} {d[3],6:N3} {d[4],7:N2}"));
        }

        AppendWal(text, relations, _startLsn, endLsn, per);
        Console.Write(text.ToString());
    }

    public void Dispose() => _listener.Dispose();

    private static string Describe(string text, string schema)
    {
        var oneLine = WhiteSpace().Replace(text.Replace(schema + ".", string.Empty, StringComparison.Ordinal), " ").Trim();
        return oneLine.Length <= 110 ? oneLine : oneLine[..110] + "…";
    }

    // Per table: n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del, heap + index buffer hits; per index: only its hits.
    private async Task<Dictionary<string, long[]>> ReadTablesAsync()
    {
        var result = new Dictionary<string, long[]>(StringComparer.Ordinal);
        await using var command = _monitor.CreateCommand("""
            SELECT t.relname, t.n_tup_ins, t.n_tup_upd, t.n_tup_hot_upd, t.n_tup_del, COALESCE(s.heap_blks_hit, 0) + COALESCE(s.idx_blks_hit, 0)
            FROM pg_stat_user_tables t JOIN pg_statio_user_tables s ON s.relid = t.relid WHERE t.schemaname = $1
            UNION ALL SELECT '  index ' || i.indexrelname, 0, 0, 0, 0, COALESCE(i.idx_blks_hit, 0) FROM pg_statio_user_indexes i WHERE i.schemaname = $1
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _schema });
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            result[reader.GetString(0)] = [reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5)];
        }

        return result;
    }

    // relfilenode → name of every table, index, sequence and TOAST relation of the schema.
    private async Task<Dictionary<long, string>> ReadRelationsAsync()
    {
        var result = new Dictionary<long, string>();
        await using var command = _monitor.CreateCommand("""
            SELECT c.relfilenode::bigint, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relfilenode <> 0
            UNION ALL SELECT t.relfilenode::bigint, c.relname || ' (toast)' FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                JOIN pg_class t ON t.oid = c.reltoastrelid WHERE n.nspname = $1
            UNION ALL SELECT ti.relfilenode::bigint, c.relname || ' (toast index)' FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                JOIN pg_index x ON x.indrelid = c.reltoastrelid JOIN pg_class ti ON ti.oid = x.indexrelid WHERE n.nspname = $1
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _schema });
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            result[reader.GetInt64(0)] = reader.GetString(1);
        }

        return result;
    }

    private async Task<string> ScalarAsync(string sql)
    {
        await using var command = _monitor.CreateCommand(sql);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    // Runs pg_waldump over [start, end) and counts the records of the schema's relations (by the first block reference)
    // and of the transactions that wrote to them (their commit records), by relation and record type.
    private static void AppendWal(StringBuilder text, Dictionary<long, string> relations, string start, string end, double per)
    {
        var waldump = Environment.GetEnvironmentVariable(WalDumpVariable) ?? "/usr/lib/postgresql/15/bin/pg_waldump";
        var directory = Environment.GetEnvironmentVariable(WalDirVariable) ?? "/var/lib/postgresql/15/main/pg_wal";
        if (!File.Exists(waldump) || !Directory.Exists(directory))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"//   WAL: {waldump} or {directory} not found (set {WalDumpVariable} / {WalDirVariable}): no WAL counts");
            return;
        }

        var info = new ProcessStartInfo(waldump, ["-p", directory, "-s", start, "-e", end])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info)!;
        var errors = process.StandardError.ReadToEndAsync();
        var records = new List<(string Rmgr, string Type, int Bytes, long Xid, string? Relation, bool Fpi)>();
        while (process.StandardOutput.ReadLine() is { } line)
        {
            var match = Record().Match(line);
            if (!match.Success)
            {
                continue;
            }

            var relation = RelationReference().Match(line) is { Success: true } r && relations.TryGetValue(long.Parse(r.Groups[1].Value, CultureInfo.InvariantCulture), out var name) ? name : null;
            records.Add((match.Groups[1].Value, match.Groups[5].Value, int.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture),
                long.Parse(match.Groups[4].Value, CultureInfo.InvariantCulture), relation, line.Contains(" FPW", StringComparison.Ordinal)));
        }

        process.WaitForExit();
        var stderr = errors.GetAwaiter().GetResult().Trim();
        if (stderr.Length > 0 && !stderr.Contains("error in WAL record", StringComparison.Ordinal))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"//   pg_waldump: {stderr}");
        }

        var ours = records.Where(static r => r.Relation is not null && r.Xid != 0).Select(static r => r.Xid).ToHashSet();
        var counted = records.Where(r => r.Relation is not null || ours.Contains(r.Xid)).ToList();
        text.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"//   WAL ({start} → {end}): {counted.Count / per:N2} records, {counted.Sum(static r => (long)r.Bytes) / per:N0} bytes, {counted.Count(static r => r.Fpi) / per:N3} full-page images per checkpoint; {ours.Count:N0} writing transactions"));
        foreach (var group in counted.GroupBy(static r => r.Relation ?? "(transaction records)").OrderByDescending(static g => g.Count()))
        {
            var types = string.Join(", ", group.GroupBy(static r => r.Rmgr + " " + r.Type).OrderByDescending(static g => g.Count())
                .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key} {g.Count() / per:N2}")));
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"//     {group.Key,-36} {group.Count() / per,6:N2} rec {group.Sum(static r => (long)r.Bytes) / per,6:N0} B {group.Count(static r => r.Fpi) / per,6:N3} FPI: {types}"));
        }
    }

    [GeneratedRegex(@"^rmgr: (\S+)\s+len \(rec/tot\):\s*(\d+)/\s*(\d+), tx:\s*(\d+), lsn: \S+, prev \S+, desc: (\S+)")]
    private static partial Regex Record();

    [GeneratedRegex(@"rel \d+/\d+/(\d+)")]
    private static partial Regex RelationReference();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
}
