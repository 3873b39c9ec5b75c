using BenchmarkDotNet.Configs;

namespace Journeys.Benchmarks;

/// <summary>The columns of the store benchmarks: durable writes/s, × raw, node steps/s, timer lateness p50/p99.</summary>
internal sealed class StoreBenchmarkConfig : ManualConfig
{
    public StoreBenchmarkConfig()
    {
        AddColumn(
            StoreRateColumn.Writes,
            StoreRateColumn.OfRaw,
            StoreRateColumn.NodeSteps,
            new MeasuredValueColumn("lateness p50 (ms)", "p50", "N1", "lateness p50 (ms): commit of the step resumed by a timer − its due time, 50th percentile over every invocation but the first (TimerLateness)"),
            new MeasuredValueColumn("lateness p99 (ms)", "p99", "N1", "lateness p99 (ms): the same, 99th percentile"));
    }
}
