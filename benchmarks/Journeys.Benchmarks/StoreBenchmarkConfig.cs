using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;

namespace Journeys.Benchmarks;

/// <summary>
/// The columns of the store benchmarks: durable writes/s, × raw, node steps/s, timer lateness p50/p99. In short mode
/// (<see cref="ShortModeAttribute.Variable"/>) <c>TimerLateness</c> runs for the first value of the class's parameter
/// only (1 host; synchronous NORMAL): one lateness figure per store, as the issue asks, and the short suite stays under
/// 10 minutes. The full mode runs every case.
/// </summary>
internal class StoreBenchmarkConfig : ManualConfig
{
    /// <summary>The method measured once per store in short mode.</summary>
    private const string LatenessMethod = "TimerLateness";

    public StoreBenchmarkConfig()
    {
        if (Environment.GetEnvironmentVariable(ShortModeAttribute.Variable) == "1")
        {
            AddFilter(new SimpleFilter(IsKeptInShortMode));
        }

        AddColumn(
            StoreRateColumn.Writes,
            StoreRateColumn.OfRaw,
            StoreRateColumn.NodeSteps,
            new MeasuredValueColumn("lateness p50 (ms)", "p50", "N1", "lateness p50 (ms): commit of the step resumed by a timer − its due time, 50th percentile over every invocation but the first (TimerLateness)"),
            new MeasuredValueColumn("lateness p99 (ms)", "p99", "N1", "lateness p99 (ms): the same, 99th percentile"));
    }

    /// <summary>Every case but <c>TimerLateness</c> with a parameter other than its first value (1 host; NORMAL).</summary>
    private static bool IsKeptInShortMode(BenchmarkDotNet.Running.BenchmarkCase benchmarkCase)
    {
        if (benchmarkCase.Descriptor.WorkloadMethod.Name != LatenessMethod)
        {
            return true;
        }

        foreach (var parameter in benchmarkCase.Parameters.Items)
        {
            var value = parameter.Value;
            if (value is int hosts && parameter.Name == nameof(PostgreSqlStoreBenchmarks.Hosts) && hosts != 1)
            {
                return false;
            }

            if (value is Journeys.Sqlite.SqliteSynchronousMode mode && mode != Journeys.Sqlite.SqliteSynchronousMode.Normal)
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>
/// <see cref="StoreBenchmarkConfig"/> for <see cref="PostgreSqlStoreBenchmarks"/>, whose processes run with tiered
/// compilation off (<c>DOTNET_TieredCompilation=0</c>) unless <c>JOURNEYS_BENCH_TIERED=1</c>. Its engine invocation is
/// 2,000 checkpoints after one warm-up (a tenth of the SQLite class's 20,000), and with tiering on about half of the
/// client's CPU in it was the runtime's background JIT still promoting Npgsql's, Polly's and the engine's methods
/// (a <c>perf</c> profile of <c>pg-probe</c>, RESULTS.md, helper wt-pg3), which a long-running host pays once at
/// start. Off, every method is compiled optimised at its first call (in the untimed setup or the warm-up), for the raw
/// baseline and the engine alike; dynamic PGO, which a long-running host would have, is off too, so the engine's figure
/// errs low. The SQLite class keeps the default: its 20,000-checkpoint invocations tier up within the warm-up, and
/// there tiering off measured 14 % fewer node steps with synchronous NORMAL and the same with FULL (one run each, 2026-11-29).
/// </summary>
internal sealed class PostgreSqlStoreBenchmarkConfig : StoreBenchmarkConfig
{
    /// <summary>Set to <c>1</c> to run the class with the runtime's default tiered compilation.</summary>
    public const string TieredVariable = "JOURNEYS_BENCH_TIERED";

    public PostgreSqlStoreBenchmarkConfig()
    {
        if (Environment.GetEnvironmentVariable(TieredVariable) != "1")
        {
            AddJob(new Job().WithEnvironmentVariable("DOTNET_TieredCompilation", "0").AsMutator());
        }
    }
}
