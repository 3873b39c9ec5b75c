using System.Diagnostics;
using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using CsvHelper;
using Journeys.Audiences;
using Journeys.Model;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Benchmarks;

/// <summary>
/// CSV import of <see cref="Rows"/> customers (1,000,000 unless <c>JOURNEYS_BENCH_CSV_ROWS</c> says otherwise) with 5
/// columns (<c>customerId,firstName,age,vip,birthDate</c>: string, string, number, boolean, date) from a file on disk.
/// <see cref="Import"/> is <see cref="IAudienceManager.ImportCsvAsync"/> (all or nothing, default options) into the
/// in-memory store of a fresh host. <see cref="ParseOnlyBaseline"/> (the limit) reads the same file once with CsvHelper
/// 34 and parses every cell to its type, writing nothing. Targets: import ≥ 50% of the baseline's rows/s; peak memory
/// &lt; 200 MB.
/// </summary>
/// <remarks>
/// Memory, sampled every 2 ms on a separate thread from the iteration's setup to its cleanup (<see cref="MemorySampler"/>),
/// after an aggressive full collection that returns the previous iteration's freed memory to the OS, reported per case
/// as the largest value over the process's iterations (warm-ups included):
/// <list type="bullet">
/// <item><c>peak process MB</c>: the whole process's working set (<see cref="Environment.WorkingSet"/>): runtime,
/// BenchmarkDotNet, the host, the import's buffers and the store with the customers it ends up holding.</item>
/// <item><c>peak heap MB</c>: <see cref="GC.GetTotalMemory(bool)"/> without collecting: managed bytes in use, garbage
/// not yet collected included.</item>
/// <item><c>store MB</c>: what the store keeps after the import: <see cref="GC.GetTotalMemory(bool)"/> with a full
/// collection after the import, minus the same before it (the host with its schema and no customers).</item>
/// <item><c>import MB</c>: the import's own working memory beside the store: peak heap − heap before − store.</item>
/// </list>
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(RowsConfig))]
public class CsvImportBenchmarks
{
    private static readonly CustomerFieldSchema Schema = CustomerFieldSchema.Create(
        new FieldDefinition("firstName", FieldType.String),
        new FieldDefinition("age", FieldType.Number),
        new FieldDefinition("vip", FieldType.Boolean),
        new FieldDefinition("birthDate", FieldType.DateTime));

    private readonly Dictionary<string, double> _peaks = [];
    private string _path = "";
    private ServiceProvider? _services;
    private MemorySampler? _sampler;
    private long _heapBefore;

    /// <summary>Data rows of the file.</summary>
    [ParamsSource(nameof(RowCounts))]
    public int Rows { get; set; }

    /// <summary>1,000,000, or the value of the environment variable <c>JOURNEYS_BENCH_CSV_ROWS</c>.</summary>
    public static IEnumerable<int> RowCounts =>
        [int.TryParse(Environment.GetEnvironmentVariable("JOURNEYS_BENCH_CSV_ROWS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 1_000_000];

    /// <summary>Writes the file once.</summary>
    [GlobalSetup]
    public void WriteFile()
    {
        _path = Path.Combine(Path.GetTempPath(), FormattableString.Invariant($"journeys-bench-{Rows}-{Environment.ProcessId}.csv"));
        using var writer = new StreamWriter(_path, false, new UTF8Encoding(false), 1 << 16);
        writer.Write("customerId,firstName,age,vip,birthDate\r\n");
        var day0 = new DateTime(1960, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        for (var i = 0; i < Rows; i++)
        {
            writer.Write(string.Create(
                CultureInfo.InvariantCulture,
                $"c{i:D8}@example.com,\"Name, {i}\",{20 + (i % 60)},{(i % 4 == 0 ? "true" : "false")},{day0.AddDays(i % 15000):yyyy-MM-dd}\r\n"));
        }
    }

    /// <summary>Records the memory figures for the summary's columns, prints them and deletes the file.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        var method = _peaks.ContainsKey("store") ? nameof(Import) : nameof(ParseOnlyBaseline);
        ReportedValues.Write(MeasuredValueColumn.CaseKey(nameof(CsvImportBenchmarks), method, [(nameof(Rows), Rows)]), _peaks);
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"// CsvImportBenchmarks.{method}: {string.Join(", ", _peaks.Select(p => $"{p.Key} {p.Value:N1} MB"))}"));
        File.Delete(_path);
    }

    /// <summary>A fresh host with the schema and no customers (not timed), then memory sampling starts.</summary>
    [IterationSetup(Target = nameof(Import))]
    public void NewHost()
    {
        _services?.Dispose();
        var services = new ServiceCollection();
        services.AddJourneys();
        _services = services.BuildServiceProvider();
        _services.GetRequiredService<ICustomerStore>().SaveSchemaAsync(Schema).AsTask().GetAwaiter().GetResult();
        _ = _services.GetRequiredService<IAudienceManager>();
        StartSampling();
    }

    /// <summary>Stops sampling, measures what the store kept, and frees the iteration's host.</summary>
    [IterationCleanup(Target = nameof(Import))]
    public void DropHost()
    {
        var sampler = StopSampling();
        var store = Math.Max(0, GC.GetTotalMemory(forceFullCollection: true) - _heapBefore);
        Peak("store", store);
        Peak("import", sampler.PeakHeap - _heapBefore - store);
        _services?.Dispose();
        _services = null;
    }

    /// <summary>Memory sampling around the baseline too.</summary>
    [IterationSetup(Target = nameof(ParseOnlyBaseline))]
    public void StartBaseline() => StartSampling();

    /// <summary>Stops the baseline's sampling.</summary>
    [IterationCleanup(Target = nameof(ParseOnlyBaseline))]
    public void StopBaseline() => StopSampling();

    /// <summary>ImportCsvAsync of the file into the in-memory store.</summary>
    [Benchmark]
    public async Task<long> Import()
    {
        await using var file = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);
        var report = await _services!.GetRequiredService<IAudienceManager>().ImportCsvAsync(file);
        return report.Created != Rows ? throw new InvalidOperationException($"Imported {report.Created} of {Rows}.") : report.RowsRead;
    }

    /// <summary>The limit: CsvHelper 34 reads the file once and parses every cell to its type.</summary>
    [Benchmark(Baseline = true)]
    public long ParseOnlyBaseline()
    {
        using var csv = CsvReader.FromFile(_path, new CsvReaderOptions { Separator = ',' });
        long rows = 0, check = 0;
        while (csv.Read())
        {
            var id = csv.GetString(0);
            var name = csv.GetString(1);
            var age = csv.Parse<double>(2);
            var vip = csv.Parse<bool>(3);
            var birth = csv.Parse<DateTimeOffset>(4);
            check += id.Length + name.Length + (long)age + (vip ? 1 : 0) + birth.Day;
            rows++;
        }

        return rows == Rows && check > 0 ? rows : throw new InvalidOperationException($"Parsed {rows} of {Rows}.");
    }

    private void StartSampling()
    {
        // Aggressive: memory the GC kept committed from an earlier iteration goes back to the OS, so the process peak
        // is this iteration's (BenchmarkDotNet's own collection between iterations does not decommit).
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        _heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        _sampler = MemorySampler.Start();
    }

    private MemorySampler StopSampling()
    {
        var sampler = _sampler!;
        sampler.Stop();
        Peak("process", sampler.PeakWorkingSet);
        Peak("heap", sampler.PeakHeap);
        return sampler;
    }

    private void Peak(string name, long bytes) =>
        _peaks[name] = Math.Max(_peaks.GetValueOrDefault(name), bytes / (1024d * 1024d));

    private sealed class RowsConfig : ManualConfig
    {
        public RowsConfig() => AddColumn(
            new RowsPerSecondColumn(),
            new MeasuredValueColumn("peak process MB", "process", "N0", "peak process MB: largest Environment.WorkingSet sampled every 2 ms during an iteration (whole process, the store's resulting customers included), max over iterations"),
            new MeasuredValueColumn("peak heap MB", "heap", "N0", "peak heap MB: largest GC.GetTotalMemory(false) sampled every 2 ms (managed bytes in use, uncollected garbage included)"),
            new MeasuredValueColumn("store MB", "store", "N0", "store MB: GC.GetTotalMemory(true) after the import − before it (the customers the store keeps)"),
            new MeasuredValueColumn("import MB", "import", "N0", "import MB: peak heap − heap before − store MB (the import's own working memory beside the store)"));
    }

    /// <summary>Samples the working set and the managed heap every 2 ms on its own thread, keeping the largest values.</summary>
    private sealed class MemorySampler
    {
        private readonly Thread _thread;
        private volatile bool _stop;

        private MemorySampler()
        {
            _thread = new Thread(Run) { IsBackground = true, Name = "memory sampler" };
        }

        public long PeakWorkingSet { get; private set; }

        public long PeakHeap { get; private set; }

        public static MemorySampler Start()
        {
            var sampler = new MemorySampler();
            sampler.Sample();
            sampler._thread.Start();
            return sampler;
        }

        public void Stop()
        {
            _stop = true;
            _thread.Join();
            Sample();
        }

        private void Run()
        {
            while (!_stop)
            {
                Sample();
                Thread.Sleep(2);
            }
        }

        private void Sample()
        {
            PeakWorkingSet = Math.Max(PeakWorkingSet, Environment.WorkingSet);
            PeakHeap = Math.Max(PeakHeap, GC.GetTotalMemory(forceFullCollection: false));
        }
    }

    /// <summary>Rows / mean time of one invocation.</summary>
    private sealed class RowsPerSecondColumn : IColumn
    {
        public string Id => nameof(RowsPerSecondColumn);

        public string ColumnName => "rows/s";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "rows/s: Rows divided by the mean time of one invocation";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
            return mean is > 0 && benchmarkCase.Parameters["Rows"] is int rows
                ? (rows / (mean.Value / 1e9)).ToString("N0", CultureInfo.InvariantCulture)
                : "NA";
        }

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}
