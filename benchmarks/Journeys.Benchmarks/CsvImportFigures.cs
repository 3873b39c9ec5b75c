using System.Diagnostics;
using System.Globalization;
using System.Text;
using CsvHelper;
using Journeys.Audiences;
using Journeys.Model;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Benchmarks;

/// <summary>
/// The CSV import in a fresh process, not BenchmarkDotNet (<c>-- csv-import [rows] [runs]</c>): the file of
/// <see cref="CsvImportBenchmarks"/>, then per run the CsvHelper parse baseline, the stages of the import one by one
/// (the reader's checks alone; the import's one-pass check and encoding of each row; with the spool written; the whole import), each timed with a
/// Stopwatch, and the whole process's working set sampled every 2 ms around the import: before it, its peak, and the
/// managed heap the store keeps after it. The first run of a fresh process is the honest whole-process peak (no earlier
/// iteration's freed memory still committed).
/// </summary>
internal static class CsvImportFigures
{
    private static readonly CustomerFieldSchema Schema = CustomerFieldSchema.Create(
        new FieldDefinition("firstName", FieldType.String),
        new FieldDefinition("age", FieldType.Number),
        new FieldDefinition("vip", FieldType.Boolean),
        new FieldDefinition("birthDate", FieldType.DateTime));

    public static async Task RunAsync(int rows, int runs)
    {
        var path = Path.Combine(Path.GetTempPath(), FormattableString.Invariant($"journeys-figures-{rows}-{Environment.ProcessId}.csv"));
        try
        {
            WriteFile(path, rows);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"CSV import figures, {rows:N0} rows, file {new FileInfo(path).Length / 1e6:N1} MB, GC server={System.Runtime.GCSettings.IsServerGC}"));
            for (var run = 1; run <= runs; run++)
            {
                // Aggressive: the memory the GC kept committed from writing the file (or an earlier run) goes back to the OS,
                // so "before" is the runtime's floor and the peak is what the import adds to it.
                GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                GC.WaitForPendingFinalizers();
                var wsBefore = Environment.WorkingSet;
                var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                var faults0 = MinorFaults();
                var (import, peakWs, peakHeap, heapBefore, store) = await ImportAsync(path, rows);
                var faults1 = MinorFaults();
                var cpu1 = Process.GetCurrentProcess().TotalProcessorTime;
                var parse = Time(() => Parse(path));
                var cpu2 = Process.GetCurrentProcess().TotalProcessorTime;
                var faults2 = MinorFaults();
                var check = await TimeAsync(() => ReadAsync(path, encode: false));
                var encode = await TimeAsync(() => ReadAsync(path, encode: true));
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"  run {run}: parse baseline {parse,7:N0} ms ({rows / parse * 1000:N0} rows/s) | reader checks {check,7:N0} ms | check+encode {encode,7:N0} ms | import {import,7:N0} ms ({rows / import * 1000:N0} rows/s, {parse / import:P0} of baseline)"));
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"         process CPU time (all threads, less sensitive to a loaded machine than the wall clock): parse baseline {(cpu2 - cpu1).TotalMilliseconds,7:N0} ms | import {(cpu1 - cpu0).TotalMilliseconds,7:N0} ms ({(cpu2 - cpu1) / (cpu1 - cpu0):P0} of baseline)"));
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"         process working set: before import {wsBefore / 1048576d:N0} MB, peak during import {peakWs / 1048576d:N0} MB | heap before {heapBefore / 1048576d:N0} MB, peak {peakHeap / 1048576d:N0} MB, store keeps {store / 1048576d:N0} MB, import's own {(peakHeap - heapBefore - store) / 1048576d:N0} MB"));
                if (faults0 >= 0)
                {
                    // Each minor fault is a page of memory the process touched for the first time (fresh from the OS).
                    var touch = FirstTouchMicroseconds();
                    Console.WriteLine(string.Create(
                        CultureInfo.InvariantCulture,
                        $"         minor page faults (first touch of a 4 KB page): import {faults1 - faults0:N0} ({(faults1 - faults0) * 4096 / 1048576d:N0} MB), parse baseline {faults2 - faults1:N0}; a first touch costs {touch:N1} µs here (a fresh 64 MB array written once per page), so the import's faults come to about {(faults1 - faults0) * touch / 1000:N0} ms of its {import:N0} ms"));
                }
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The process's minor page faults so far (<c>/proc/self/stat</c>, field 10), or -1 where there is no such file.</summary>
    private static long MinorFaults()
    {
        if (!File.Exists("/proc/self/stat"))
        {
            return -1;
        }

        // The command name (field 2) is in parentheses and may hold spaces: count the fields after its closing one.
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7], CultureInfo.InvariantCulture);
    }

    /// <summary>Microseconds per first touch of a page: a fresh 64 MB array (not zeroed by the runtime) written once per 4 KB page.</summary>
    private static double FirstTouchMicroseconds()
    {
        const int Bytes = 64 << 20;
        var before = MinorFaults();
        var watch = Stopwatch.StartNew();
        var array = GC.AllocateUninitializedArray<byte>(Bytes);
        for (var i = 0; i < Bytes; i += 4096)
        {
            array[i] = 1;
        }

        var elapsed = watch.Elapsed.TotalMicroseconds;
        var faults = MinorFaults() - before;
        GC.KeepAlive(array);
        return faults > 0 ? elapsed / faults : double.NaN;
    }

    private static void WriteFile(string path, int rows)
    {
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16);
        writer.Write("customerId,firstName,age,vip,birthDate\r\n");
        var day0 = new DateTime(1960, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        for (var i = 0; i < rows; i++)
        {
            writer.Write(string.Create(
                CultureInfo.InvariantCulture,
                $"c{i:D8}@example.com,\"Name, {i}\",{20 + (i % 60)},{(i % 4 == 0 ? "true" : "false")},{day0.AddDays(i % 15000):yyyy-MM-dd}\r\n"));
        }
    }

    private static async Task<(double Ms, long PeakWs, long PeakHeap, long HeapBefore, long Store)> ImportAsync(string path, int rows)
    {
        var services = new ServiceCollection();
        services.AddJourneys();
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<ICustomerStore>().SaveSchemaAsync(Schema);
        var audiences = provider.GetRequiredService<IAudienceManager>();
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        long peakWs = Environment.WorkingSet, peakHeap = GC.GetTotalMemory(false);
        var stop = false;
        var sampler = new Thread(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                peakWs = Math.Max(peakWs, Environment.WorkingSet);
                peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(false));
                Thread.Sleep(2);
            }
        }) { IsBackground = true };
        sampler.Start();
        var watch = Stopwatch.StartNew();
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous))
        {
            var report = await audiences.ImportCsvAsync(file);
            if (report.Created != rows)
            {
                throw new InvalidOperationException($"Imported {report.Created} of {rows}.");
            }
        }

        var ms = watch.Elapsed.TotalMilliseconds;
        Volatile.Write(ref stop, true);
        sampler.Join();
        var store = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;
        GC.KeepAlive(provider.GetRequiredService<InMemoryCustomerStore>());
        return (ms, peakWs, peakHeap, heapBefore, store);
    }

    private static long Parse(string path)
    {
        using var csv = CsvReader.FromFile(path, new CsvReaderOptions { Separator = ',' });
        long check = 0;
        while (csv.Read())
        {
            check += csv.GetString(0).Length + csv.GetString(1).Length + (long)csv.Parse<double>(2) + (csv.Parse<bool>(3) ? 1 : 0) + csv.Parse<DateTimeOffset>(4).Day;
        }

        return check;
    }

    private static async Task<long> ReadAsync(string path, bool encode)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);
        var reader = CustomerCsvReader.Create(file, Schema);
        await using var _ = reader.ConfigureAwait(false);
        var buffer = new RecordBuffer(1 << 16);
        long check = 0;
        if (!encode)
        {
            while (await reader.ReadRowAsync(false, default))
            {
                check += reader.RowProblems.Count;
            }

            return check;
        }

        // As the import reads: each row checked and encoded in one pass.
        while (await reader.NextRowAsync(default))
        {
            buffer.Clear();
            check ^= reader.TryEncodeRow(buffer, out var hash) ? (long)hash : -1;
        }

        return check;
    }

    private static double Time(Func<long> action)
    {
        var watch = Stopwatch.StartNew();
        GC.KeepAlive(action());
        return watch.Elapsed.TotalMilliseconds;
    }

    private static async Task<double> TimeAsync(Func<Task<long>> action)
    {
        var watch = Stopwatch.StartNew();
        GC.KeepAlive(await action());
        return watch.Elapsed.TotalMilliseconds;
    }
}
