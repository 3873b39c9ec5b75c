using System.Diagnostics;
using System.Globalization;

namespace Journeys.Benchmarks;

/// <summary>
/// <c>growth-probe waiting [runs] [customers] [ops-per-group] [force-gc]</c>: one <see cref="CostGrowthBenchmarks"/> host in
/// this process, then <c>runs</c> invocations (with <c>force-gc</c>, a full blocking collection before every
/// <c>ops-per-group</c> of them, as BenchmarkDotNet does between iterations by default), each printed with wall time, process CPU time, GC collections per generation and GC pause
/// time (figures that do not depend on how busy the machine is, beside the wall time that does).
/// </summary>
public static class GrowthProbe
{
    /// <summary>Runs the probe.</summary>
    public static async Task RunAsync(int waiting, int runs, int customers, int opsPerGroup, bool forceGc)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(waiting);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(runs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(customers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(opsPerGroup);
        var benchmark = new CostGrowthBenchmarks { Waiting = waiting, Customers = customers };
        benchmark.Setup();
        try
        {
            var process = Process.GetCurrentProcess();
            Console.WriteLine("run  wall-ms  cpu-ms  gen0  gen1  gen2  gc-pause-ms  alloc-MB  heap-MB");
            for (var run = 1; run <= runs; run++)
            {
                if (forceGc && (run - 1) % opsPerGroup == 0)
                {
                    // What BenchmarkDotNet does between iterations by default (Gc.Force): a blocking full collection.
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    GC.Collect();
                }

                process.Refresh();
                var cpu = process.TotalProcessorTime;
                var g0 = GC.CollectionCount(0);
                var g1 = GC.CollectionCount(1);
                var g2 = GC.CollectionCount(2);
                var pause = GC.GetTotalPauseDuration();
                var alloc = GC.GetTotalAllocatedBytes(precise: false);
                var watch = Stopwatch.StartNew();
                await benchmark.NewEnrollments();
                watch.Stop();
                process.Refresh();
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{run,3}  {watch.Elapsed.TotalMilliseconds,7:N1}  {(process.TotalProcessorTime - cpu).TotalMilliseconds,6:N0}  {GC.CollectionCount(0) - g0,4}  {GC.CollectionCount(1) - g1,4}  {GC.CollectionCount(2) - g2,4}  {(GC.GetTotalPauseDuration() - pause).TotalMilliseconds,11:N1}  {(GC.GetTotalAllocatedBytes(false) - alloc) / 1048576.0,8:N1}  {GC.GetTotalMemory(false) / 1048576.0,7:N0}"));
            }
        }
        finally
        {
            benchmark.Cleanup();
        }
    }
}
