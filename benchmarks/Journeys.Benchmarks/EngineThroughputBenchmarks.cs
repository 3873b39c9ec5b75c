using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Journeys.Benchmarks;

/// <summary>
/// End to end through the hosted engine: <see cref="Customers"/> customers (100,000 unless
/// <c>JOURNEYS_BENCH_CUSTOMERS</c> says otherwise) activated as a list audience and run through
/// filter → random split → send → update customer → send on the in-memory stores with <c>NullChannelSender</c>,
/// timed from <c>ActivateAsync</c> until the journey's Completed counter reaches N. <see cref="EngineBatchSender"/> is the same
/// run with the no-op sender's batch variant (<see cref="NullBatchSender"/>: one resilience pipeline run per batch of a
/// channel's messages instead of one per message). <see cref="LimitBaseline"/> runs the
/// same five compiled steps as a hand-written loop over bounded Channels shards with no store, statistics or senders.
/// The customers/s and node steps/s columns are N / mean and 5 N / mean. Target: ≥ 2,000,000 node steps/s.
/// </summary>
[MemoryDiagnoser]
[ShortMode(warmups: 3)] // the short job's 3 warm-ups: the engine's code still tiered up over the first 4–6 invocations of 100,000 customers (RESULTS.md, twenty-fourth session)
[GcModes(BothInShortMode = false)]
[Config(typeof(ThroughputConfig))]
public class EngineThroughputBenchmarks
{
    private EngineScenario? _engine;
    private LimitPipeline? _limit;

    /// <summary>The customers run per invocation.</summary>
    [ParamsSource(nameof(CustomerCounts))]
    public int Customers { get; set; }

    /// <summary>Engine shards (the baseline uses as many Channels shards: the ratio compares like with like).</summary>
    [Params(1, 2)]
    public int ShardCount { get; set; }

    /// <summary>100,000, or the value of the environment variable <c>JOURNEYS_BENCH_CUSTOMERS</c>.</summary>
    public static IEnumerable<int> CustomerCounts =>
        [int.TryParse(Environment.GetEnvironmentVariable("JOURNEYS_BENCH_CUSTOMERS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 100_000];

    /// <summary>A fresh host per iteration: customers stored, the journey a draft, the engine started and idle.</summary>
    [IterationSetup(Target = nameof(Engine))]
    public void StartEngine()
    {
        GcModesAttribute.Check(MeasuredValueColumn.CaseKey(nameof(EngineThroughputBenchmarks), nameof(Engine), [(nameof(Customers), Customers), (nameof(ShardCount), ShardCount)]));
        _engine = EngineScenario.StartAsync(Customers, ShardCount).GetAwaiter().GetResult();
        _engine.PacedPolling = EngineScenario.PacedPollingDefault;
    }

    /// <summary>As <see cref="StartEngine"/>, with the batch variant of the no-op sender on both channels.</summary>
    [IterationSetup(Target = nameof(EngineBatchSender))]
    public void StartEngineBatchSender()
    {
        GcModesAttribute.Check(MeasuredValueColumn.CaseKey(nameof(EngineThroughputBenchmarks), nameof(EngineBatchSender), [(nameof(Customers), Customers), (nameof(ShardCount), ShardCount)]));
        _engine = EngineScenario.StartAsync(Customers, ShardCount, sender: NullBatchSender.Instance).GetAwaiter().GetResult();
        _engine.PacedPolling = EngineScenario.PacedPollingDefault;
    }

    /// <summary>Stops and disposes the iteration's host.</summary>
    [IterationCleanup(Targets = [nameof(Engine), nameof(EngineBatchSender)])]
    public void StopEngine()
    {
        _engine?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _engine = null;
    }

    /// <summary>Lays out the baseline's customers once (its update step rewrites the same value, so reruns are alike).</summary>
    [IterationSetup(Target = nameof(LimitBaseline))]
    public void PrepareLimit()
    {
        GcModesAttribute.Check(MeasuredValueColumn.CaseKey(nameof(EngineThroughputBenchmarks), nameof(LimitBaseline), [(nameof(Customers), Customers), (nameof(ShardCount), ShardCount)]));
        if (_limit?.Customers != Customers)
        {
            _limit = new LimitPipeline(Customers);
        }
    }

    /// <summary>ActivateAsync (validate, compile, enroll N) and wait until every enrollment completed.</summary>
    [Benchmark]
    public Task Engine() => _engine!.RunAsync();

    /// <summary>As <see cref="Engine"/>, with the batch sender (<see cref="NullBatchSender"/>).</summary>
    [Benchmark]
    public Task EngineBatchSender() => _engine!.RunAsync();

    /// <summary>The same five steps over bounded Channels shards, nothing else.</summary>
    [Benchmark(Baseline = true)]
    public Task<long> LimitBaseline() => _limit!.RunAsync(ShardCount);

    private sealed class ThroughputConfig : ManualConfig
    {
        public ThroughputConfig()
        {
            AddColumn(new ThroughputColumn("customers/s", 1), new ThroughputColumn("node steps/s", BenchmarkData.StepsPerCustomer));

            // The short suite's 10-minute budget: with both GC modes the class has 12 cases; in short mode the batch
            // sender's rows run with 1 shard only (its 2-shard rows in every other job).
            if (Environment.GetEnvironmentVariable(ShortModeAttribute.Variable) == "1")
            {
                AddFilter(new SimpleFilter(c => c.Descriptor.WorkloadMethod.Name != nameof(EngineBatchSender)
                    || !c.Parameters.Items.Any(p => p.Name == nameof(ShardCount) && p.Value is int shards && shards != 1)));
            }
        }
    }

    /// <summary>Units per second from the mean time of one invocation: Customers × unitsPerCustomer / mean.</summary>
    private sealed class ThroughputColumn(string name, int unitsPerCustomer) : IColumn
    {
        public string Id => nameof(ThroughputColumn) + "." + name;

        public string ColumnName => name;

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => unitsPerCustomer;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => $"{name}: {(unitsPerCustomer == 1 ? "Customers" : $"{unitsPerCustomer} × Customers")} divided by the mean time of one invocation";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
            if (mean is not > 0 || benchmarkCase.Parameters["Customers"] is not int customers)
            {
                return "NA";
            }

            var perSecond = customers * (double)unitsPerCustomer / (mean.Value / 1e9);
            return perSecond.ToString("N0", CultureInfo.InvariantCulture);
        }

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}
