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
/// <see cref="Import"/> is <see cref="IAudienceManager.ImportCsvAsync"/> into the in-memory store of a fresh host (all or
/// nothing: the check pass, then the write pass in batches of 1,000). <see cref="ParseOnlyBaseline"/> (the limit) reads the
/// same file once with CsvHelper 34 and parses every cell to its type, writing nothing. Targets: import ≥ 50% of the
/// baseline's rows/s; peak working set &lt; 200 MB (printed by the global cleanup: look for "peak working set" in the log).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(RowsConfig))]
public class CsvImportBenchmarks
{
    private static readonly CustomerFieldSchema Schema = CustomerFieldSchema.Create(
        new FieldDefinition("firstName", FieldType.String),
        new FieldDefinition("age", FieldType.Number),
        new FieldDefinition("vip", FieldType.Boolean),
        new FieldDefinition("birthDate", FieldType.DateTime));

    private string _path = "";
    private ServiceProvider? _services;

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
        _path = Path.Combine(Path.GetTempPath(), FormattableString.Invariant($"journeys-bench-{Rows}.csv"));
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

    /// <summary>Prints the process's peak working set and deletes the file.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        using var process = Process.GetCurrentProcess();
        Console.WriteLine(FormattableString.Invariant($"// CsvImportBenchmarks: peak working set {process.PeakWorkingSet64 / (1024 * 1024)} MB"));
        File.Delete(_path);
    }

    /// <summary>A fresh host with the schema and no customers (not timed).</summary>
    [IterationSetup(Target = nameof(Import))]
    public void NewHost()
    {
        _services?.Dispose();
        var services = new ServiceCollection();
        services.AddJourneys();
        _services = services.BuildServiceProvider();
        _services.GetRequiredService<ICustomerStore>().SaveSchemaAsync(Schema).AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Frees the iteration's host (so the store of one iteration does not add to the next one's memory).</summary>
    [IterationCleanup(Target = nameof(Import))]
    public void DropHost()
    {
        _services?.Dispose();
        _services = null;
    }

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

    private sealed class RowsConfig : ManualConfig
    {
        public RowsConfig() => AddColumn(new RowsPerSecondColumn());
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
