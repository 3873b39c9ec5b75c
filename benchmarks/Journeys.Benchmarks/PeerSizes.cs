using System.Diagnostics;
using System.Globalization;

namespace Journeys.Benchmarks;

/// <summary>
/// The peer comparison's no-delay journey at larger sizes, outside BenchmarkDotNet (<c>-- peer-sizes journeys|workflowcore
/// sizes... [runs]</c>): one engine per process, warmed up exactly as <see cref="PeerComparisonBenchmarks"/> warms it
/// (<see cref="PeerComparisonBenchmarks.WarmUpRuns"/> verified runs of 2,000 customers, each followed by
/// <see cref="PeerComparisonBenchmarks.WarmUpPause"/>), then, for each size, <c>runs</c> runs (default 1) on a fresh host
/// timed as the benchmark times them (Journeys: activation until every enrollment completed and every message sent;
/// WorkflowCore: the instances started until every one is persisted as complete), each verified like a benchmark
/// invocation (a mismatch throws). Prints, per run, the timed part, customers per second, and the wall time of the whole
/// run with its untimed setup, verification and teardown, so whether a size fits a benchmark mode can be judged.
/// </summary>
internal static class PeerSizes
{
    public static async Task RunAsync(string engine, IReadOnlyList<int> sizes, int runs)
    {
        var journeys = engine switch
        {
            "journeys" => true,
            "workflowcore" => false,
            _ => throw new ArgumentException($"peer-sizes: the engine must be 'journeys' or 'workflowcore' (was '{engine}').", nameof(engine)),
        };

        var warmUp = Stopwatch.StartNew();
        for (var run = 0; run < PeerComparisonBenchmarks.WarmUpRuns; run++)
        {
            await RunOnceAsync(journeys, 2_000);
            Thread.Sleep(PeerComparisonBenchmarks.WarmUpPause);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{engine}: warm-up ({PeerComparisonBenchmarks.WarmUpRuns} × 2,000 customers, {PeerComparisonBenchmarks.WarmUpPause.TotalMilliseconds:N0} ms pauses) {warmUp.Elapsed.TotalSeconds:N1} s"));
        foreach (var size in sizes)
        {
            for (var run = 0; run < runs; run++)
            {
                var wall = Stopwatch.StartNew();
                var (timed, setup, verify) = await RunOnceAsync(journeys, size);
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{engine,-12} {size,7:N0} customers  run {run + 1}: timed {timed.TotalMilliseconds,10:N1} ms  {size / timed.TotalSeconds,10:N0} customers/s  | setup {setup.TotalSeconds:N2} s, verify {verify.TotalSeconds:N2} s, wall {wall.Elapsed.TotalSeconds:N2} s"));
            }
        }
    }

    private static async Task<(TimeSpan Timed, TimeSpan Setup, TimeSpan Verify)> RunOnceAsync(bool journeys, int customers)
    {
        var watch = Stopwatch.StartNew();
        if (journeys)
        {
            var scenario = await EngineScenario.StartAsync(customers, Environment.ProcessorCount, signalSends: true);
            try
            {
                var setup = watch.Elapsed;
                Collect();
                watch.Restart();
                await scenario.RunAsync(waitForSends: true);
                var timed = watch.Elapsed;
                watch.Restart();
                await PeerComparisonBenchmarks.VerifyJourneysAsync(scenario);
                return (timed, setup, watch.Elapsed);
            }
            finally
            {
                await scenario.DisposeAsync();
            }
        }

        var workflowCore = WorkflowCoreScenario.Start(EngineScenario.Population(customers), delay: null);
        try
        {
            var setup = watch.Elapsed;
            Collect();
            watch.Restart();
            await workflowCore.RunAsync();
            var timed = watch.Elapsed;
            watch.Restart();
            await workflowCore.VerifyAsync();
            return (timed, setup, watch.Elapsed);
        }
        finally
        {
            await workflowCore.DisposeAsync();
        }
    }

    // As BenchmarkDotNet does between an iteration's setup and its timed invocation.
    private static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
