using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Journeys.Messaging;
using Journeys.Model;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Benchmarks;

/// <summary>
/// Journeys and WorkflowCore 3.22 side by side in one run on the same journey (filter → random split → send → update
/// customer → send; with <see cref="OneSecondDelay"/>, a 1-second delay between the first send and the update), the
/// same customers, the same compiled conditions, split and templates, the same no-op <c>NullChannelSender</c>, both
/// on in-memory persistence and the system clock, both with as many workers as cores. Each invocation runs
/// <see cref="Customers"/> customers on a fresh host (iteration setup, not timed) and is timed until the last customer
/// ended (Journeys: every enrollment completed and both messages of every customer sent; WorkflowCore: every instance
/// persisted as complete, its sends having happened inside its steps). After each invocation (not timed) every
/// customer is checked to have ended where the journey puts it, else the benchmark throws. The delay variant also
/// reports timer lateness p50/p99 over every invocation of the process but the first: the follow-up message (the send
/// after the delay) handed to the channel sender − the delay's due time, the same observable for both engines (Journeys:
/// <see cref="TimerLatenessRecorder"/> as the engine's sender, after the resumed run's commit and the dispatcher's hop;
/// WorkflowCore: its follow-up step calling the sender). Each engine's own resume (Journeys: the resumed run's commit;
/// WorkflowCore: the delay step running again) is printed beside it in the log.
/// </summary>
[MemoryDiagnoser]
[ShortMode(warmups: 1)]
[GcModes(BothInShortMode = false)]
[Config(typeof(PeerConfig))]
public class PeerComparisonBenchmarks
{
    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(1);

    private readonly LatencySamples _lateness = new();
    private readonly LatencySamples _resumeLateness = new();
    private readonly LatencySamples _invocationLateness = new();
    private readonly LatencySamples _invocationResumeLateness = new();
    private ResumedStreamGc? _streamGc;
    private EngineScenario? _journeys;
    private WorkflowCoreScenario? _workflowCore;
    private int _invocations;
    private string? _method;

    /// <summary>Customers per invocation: 2,000 (WorkflowCore's in-memory persistence slows down past 10,000), or <c>JOURNEYS_PEER_CUSTOMERS</c>.</summary>
    [ParamsSource(nameof(CustomerCounts))]
    public int Customers { get; set; }

    /// <summary>Whether the journey has the 1-second delay node.</summary>
    [Params(false, true)]
    public bool OneSecondDelay { get; set; }

    /// <summary>2,000, or the value of the environment variable <c>JOURNEYS_PEER_CUSTOMERS</c>.</summary>
    public static IEnumerable<int> CustomerCounts =>
        [int.TryParse(Environment.GetEnvironmentVariable("JOURNEYS_PEER_CUSTOMERS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 2_000];

    /// <summary>
    /// Runs that warm each engine up before BenchmarkDotNet's own warm-up, the same number for both: the measured
    /// process starts cold, and at 2,000 customers a run is short enough that the first few dozen thousand customers
    /// still run partly on the JIT's first-tier code (a per-process cost a long-running host pays once; measured here it
    /// made the first ~15 runs of 2,000 customers 2–6× slower than the later ones). Each run is verified like a
    /// measured one but its timer lateness is not kept.
    /// </summary>
    public const int WarmUpRuns = 15;

    /// <summary>
    /// Idle time after each warm-up run, the same for both engines. The runtime promotes hot code to its optimised tier
    /// in the background, after a quiet spell without new first-tier compilations; back-to-back runs on fresh hosts never
    /// give it one, and then the measured runs still execute first-tier code (measured with <c>lateness-probe 2000 20
    /// no-delay</c>: Journeys' hot methods still "Instrumented Tier0" after 12 back-to-back runs, each run ~4× the CPU;
    /// 300 ms after each of the first 6 runs and the later back-to-back runs took a quarter of it). A long-running host
    /// is past this; the pause is not timed.
    /// </summary>
    public static readonly TimeSpan WarmUpPause = TimeSpan.FromMilliseconds(300);

    /// <summary>
    /// Customers per warm-up run: <see cref="Customers"/>, at most 2,000. The warm-up is for the JIT, which 2,000 customers
    /// a run already exercise; larger sizes (<c>JOURNEYS_PEER_CUSTOMERS</c>) would make it long for WorkflowCore, whose
    /// in-memory persistence took ~40 s a run at 20,000 customers (RESULTS.md, <c>peer-sizes</c>).
    /// </summary>
    public int WarmUpCustomers => Math.Min(Customers, 2_000);

    /// <summary>Warms the Journeys engine up with <see cref="WarmUpRuns"/> whole runs of <see cref="WarmUpCustomers"/>, each followed by <see cref="WarmUpPause"/>.</summary>
    [GlobalSetup(Target = nameof(Journeys))]
    public void WarmUpJourneys()
    {
        GcModesAttribute.Check(MeasuredValueColumn.CaseKey(nameof(PeerComparisonBenchmarks), nameof(Journeys), [(nameof(Customers), Customers), (nameof(OneSecondDelay), OneSecondDelay)]));
        for (var run = 0; run < WarmUpRuns; run++)
        {
            var recorder = OneSecondDelay ? TimerLatenessRecorder.WithSends(WarmUpCustomers, new LatencySamples(), new LatencySamples()) : null;
            var scenario = EngineScenario.StartAsync(
                WarmUpCustomers,
                Environment.ProcessorCount,
                delayAfterWelcome: OneSecondDelay ? Delay : null,
                configureServices: recorder is null ? null : recorder.DecorateStore,
                sender: recorder,
                signalSends: true).GetAwaiter().GetResult();
            try
            {
                scenario.RunAsync(waitForSends: true).GetAwaiter().GetResult();
                VerifyJourneysAsync(scenario).GetAwaiter().GetResult();
            }
            finally
            {
                scenario.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            Thread.Sleep(WarmUpPause);
        }
    }

    /// <summary>Warms WorkflowCore up with <see cref="WarmUpRuns"/> whole runs of <see cref="WarmUpCustomers"/>, each followed by <see cref="WarmUpPause"/>.</summary>
    [GlobalSetup(Target = nameof(WorkflowCore))]
    public void WarmUpWorkflowCore()
    {
        GcModesAttribute.Check(MeasuredValueColumn.CaseKey(nameof(PeerComparisonBenchmarks), nameof(WorkflowCore), [(nameof(Customers), Customers), (nameof(OneSecondDelay), OneSecondDelay)]));
        for (var run = 0; run < WarmUpRuns; run++)
        {
            var scenario = WorkflowCoreScenario.Start(EngineScenario.Population(WarmUpCustomers), OneSecondDelay ? Delay : null);
            try
            {
                scenario.RunAsync().GetAwaiter().GetResult();
                scenario.VerifyAsync().GetAwaiter().GetResult();
            }
            finally
            {
                scenario.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            Thread.Sleep(WarmUpPause);
        }
    }

    /// <summary>A fresh Journeys host: customers stored, the journey a draft, the engine started and idle.</summary>
    [IterationSetup(Target = nameof(Journeys))]
    public void StartJourneys()
    {
        _invocationLateness.Clear();
        _invocationResumeLateness.Clear();
        var recorder = OneSecondDelay ? TimerLatenessRecorder.WithSends(Customers, _invocationResumeLateness, _invocationLateness) : null;
        _streamGc = null;
        if (recorder is not null)
        {
            // Which invocations had a collection inside their resumed stream (printed per invocation by KeepLateness).
            _streamGc = new ResumedStreamGc();
            recorder.StreamGc = _streamGc;
        }

        _journeys = EngineScenario.StartAsync(
            Customers,
            Environment.ProcessorCount,
            delayAfterWelcome: OneSecondDelay ? Delay : null,
            configureServices: recorder is null ? null : recorder.DecorateStore,
            sender: recorder,
            signalSends: true).GetAwaiter().GetResult();
    }

    /// <summary>Checks every customer's end, keeps the lateness samples, and disposes the host.</summary>
    [IterationCleanup(Target = nameof(Journeys))]
    public void StopJourneys()
    {
        try
        {
            VerifyJourneysAsync(_journeys!).GetAwaiter().GetResult();
            KeepLateness(nameof(Journeys), _invocationLateness.Snapshot(), _invocationResumeLateness.Snapshot());
        }
        finally
        {
            _journeys?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            _journeys = null;
        }
    }

    /// <summary>A fresh WorkflowCore host with the workflow registered.</summary>
    [IterationSetup(Target = nameof(WorkflowCore))]
    public void StartWorkflowCore() => _workflowCore = WorkflowCoreScenario.Start(EngineScenario.Population(Customers), OneSecondDelay ? Delay : null);

    /// <summary>Checks every instance's end, keeps the lateness samples, and disposes the host.</summary>
    [IterationCleanup(Target = nameof(WorkflowCore))]
    public void StopWorkflowCore()
    {
        try
        {
            var (sent, resumed) = _workflowCore!.VerifyAsync().GetAwaiter().GetResult();
            KeepLateness(nameof(WorkflowCore), sent, resumed);
        }
        finally
        {
            _workflowCore?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            _workflowCore = null;
        }
    }

    /// <summary>Activate (enrolling the list) and wait until every enrollment completed and every message was sent.</summary>
    [Benchmark]
    public Task Journeys() => _journeys!.RunAsync(waitForSends: true);

    /// <summary>Start one instance per customer and wait until every instance is persisted as complete.</summary>
    [Benchmark(Baseline = true)]
    public Task WorkflowCore() => _workflowCore!.RunAsync();

    /// <summary>Records and prints the lateness percentiles of the delay variant.</summary>
    [GlobalCleanup]
    public void Report()
    {
        if (!OneSecondDelay || _method is not { } method)
        {
            return;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// Timer lateness, {method}, {Customers:N0} customers, 1 s delay, invocations after the first, due → follow-up sent: {_lateness.Describe()}"));
        var resume = method == nameof(Journeys) ? "due → the resumed run's commit" : "due → the delay step running again";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// Timer lateness, {method}, {Customers:N0} customers, 1 s delay, invocations after the first, {resume}: {_resumeLateness.Describe()}"));
        ReportedValues.Write(
            MeasuredValueColumn.CaseKey(nameof(PeerComparisonBenchmarks), method, [(nameof(Customers), Customers), (nameof(OneSecondDelay), OneSecondDelay)]),
            new Dictionary<string, double> { ["p50"] = _lateness.Percentile(50), ["p99"] = _lateness.Percentile(99), ["n"] = _lateness.Count, ["resume p99"] = _resumeLateness.Percentile(99) });
    }

    /// <summary>
    /// Checks every customer's end (one completed enrollment, segment 'welcomed', every message sent once); throws otherwise.
    /// Runs after the timed part: the statistics are read here, once, not polled during the run.
    /// </summary>
    internal static async Task VerifyJourneysAsync(EngineScenario scenario)
    {
        var services = scenario.Services;
        await scenario.VerifyCompletedAsync();
        var n = scenario.Customers;

        var enrollments = services.GetRequiredService<IEnrollmentStore>();
        var customers = services.GetRequiredService<ICustomerStore>();
        var welcomed = FieldValue.FromString("welcomed");
        for (var i = 0; i < n; i++)
        {
            var id = BenchmarkData.CustomerId(i);
            var ofCustomer = await enrollments.GetByCustomerAsync(id);
            var customer = await customers.GetAsync(id);
            if (ofCustomer.Count != 1 || ofCustomer[0].JourneyId != scenario.JourneyId || ofCustomer[0].Status != EnrollmentStatus.Completed
                || customer?.GetField("segment") != welcomed)
            {
                throw new InvalidOperationException(string.Create(
                    CultureInfo.InvariantCulture,
                    $"Journeys customer #{i}: {ofCustomer.Count} enrollments (first: {(ofCustomer.Count > 0 ? ofCustomer[0].Status : null)}), segment {customer?.GetField("segment")}; expected one completed enrollment and segment 'welcomed'."));
            }
        }
    }

    private void KeepLateness(string method, IReadOnlyList<TimeSpan> invocation, IReadOnlyList<TimeSpan> resumed)
    {
        // One benchmark process runs one method.
        _method = method;
        if (OneSecondDelay)
        {
            if (invocation.Count != Customers || resumed.Count != Customers)
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"{method}: {invocation.Count} follow-up and {resumed.Count} resume lateness samples for {Customers} customers; every customer should resume and get the follow-up once."));
            }

            if (method == nameof(Journeys) && _streamGc is { } gc)
            {
                // Per invocation: a gen0 collection inside the resumed stream stops every thread of the burst, so its pause
                // lands on every timer still in flight; whether one falls there depends on the allocation before the stream.
                var sorted = invocation.Order().ToArray();
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"// Invocation {_invocations + 1}{(_invocations == 0 ? " (left out)" : string.Empty)}: lateness p50 {sorted[sorted.Length / 2].TotalMilliseconds:N1} ms, p99 {sorted[(int)(sorted.Length * 0.99)].TotalMilliseconds:N1} ms; resumed stream: gen0 {gc.Gen0}, gen1 {gc.Gen1}, pause {gc.Pause.TotalMilliseconds:N1} ms"));
            }

            // The first invocation pays for JIT and cold caches in both engines; it is left out.
            if (_invocations > 0)
            {
                _lateness.AddRange(invocation);
                _resumeLateness.AddRange(resumed);
            }
        }

        _invocations++;
    }

    private sealed class PeerConfig : ManualConfig
    {
        public PeerConfig()
        {
            AddColumn(
                new CustomersPerSecondColumn("customers/s"),
                new CustomersPerSecondColumn(
                    "× WorkflowCore",
                    "WorkflowCore with the same parameters",
                    static (c, row) => c.Descriptor.WorkloadMethod.Name == nameof(WorkflowCore) && CustomersPerSecondColumn.SameParameters(c, row)),
                new MeasuredValueColumn("lateness p50 (ms)", "p50", "N1", "lateness p50 (ms): the follow-up message (the send after the delay) handed to the channel sender − the delay's due time, 50th percentile over every invocation but the first (delay variant)"),
                new MeasuredValueColumn("lateness p99 (ms)", "p99", "N1", "lateness p99 (ms): the same, 99th percentile"),
                new MeasuredValueColumn("resume p99 (ms)", "resume p99", "N1", "resume p99 (ms): each engine's own resume − due time (Journeys: the resumed run's commit; WorkflowCore: the delay step running again), 99th percentile"));
        }
    }
}
