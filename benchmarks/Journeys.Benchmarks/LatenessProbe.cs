using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Journeys.Model;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Journeys.Benchmarks;

/// <summary>
/// Where the delay variant's timer lateness goes (<c>-- lateness-probe customers runs</c>): the peer comparison's
/// Journeys journey with the 1-second delay on a fresh host per run, its store decorated like
/// <see cref="TimerLatenessRecorder"/>, split into due → claim (the pump waking for the timer) and claim → commit (the
/// shard running the resumed steps and committing), the latter per resumed batch into first claim → batch start (the
/// hand-off to the shard and waiting in its inbox behind an earlier batch) and batch start → commit (the engine's
/// <c>journeys.batch.duration</c>), with the number of resumed enrollments per commit; then the same journey without the
/// delay, timed like the benchmark from activation to the last send (the per-run cost) with the process CPU time it
/// used and every phase of the run's setup and teardown. The first 3 runs of each are left out (JIT). With a third
/// argument <c>no-delay</c>, only the no-delay runs, back to back, as BenchmarkDotNet's process of that case runs them
/// (the delay runs' idle second lets the runtime's background JIT promote code, which back-to-back runs do not). With
/// <c>JOURNEYS_PROBE_TIMELINE</c> set, one line per resumed batch (due instant, then claim, start and commit after it).
/// Also due → the follow-up message sent, the benchmark's lateness figure (<see cref="TimerLatenessRecorder.WithSends"/>).
/// </summary>
internal static class LatenessProbe
{
    private static readonly ConcurrentQueue<string> Timeline = new();

    // Per batch, its time ÷ its items (journeys.batch.duration) and its store commit's time ÷ its items: the batches that
    // committed resumed enrollments and the others (the first pass: enroll → filter → split → send → delay).
    private static readonly LatencySamples ResumedPerItem = new();
    private static readonly LatencySamples FirstPassPerItem = new();
    private static readonly LatencySamples ResumedCommitPerItem = new();
    private static readonly LatencySamples FirstPassCommitPerItem = new();

    /// <param name="customers">Customers per run.</param>
    /// <param name="runs">Runs of each variant.</param>
    /// <param name="noDelayOnly">Only the no-delay runs (as a BenchmarkDotNet process of that case runs nothing else).</param>
    public static async Task RunAsync(int customers, int runs, bool noDelayOnly = false)
    {
        // Runs left out: 3 by default; JOURNEYS_PROBE_SKIP for more. The runtime keeps promoting code to its optimised tier
        // in the background for the first ~15 s of a probe (perf, 2026-11-29: the tiered-compilation thread took 20–60 %
        // of a core until then), on the same 2 cores as the resumed stream; the benchmark warms up for longer than 3 runs.
        var skip = int.TryParse(Environment.GetEnvironmentVariable("JOURNEYS_PROBE_SKIP"), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : 3;
        long jitBefore = 0, jitDuringKept = 0;
        var claimLag = new LatencySamples();
        var claimToCommit = new LatencySamples();
        var total = new LatencySamples();
        var sent = new LatencySamples();
        var hop = new LatencySamples();
        var gcPause = new LatencySamples();
        var gcCounts = new List<(int Gen0, int Gen1, int Gen2)>();
        var dueBatchSizes = new List<int>();
        var resumedBatch = new LatencySamples();
        var inboxWait = new LatencySamples();
        // JOURNEYS_PROBE_BARE=1: the delay runs with the peer benchmark's harness only (its TimerLatenessRecorder and
        // SendCompletion, plus ResumedStreamGc's notes): none of the probe's own store decorator, meter and activity
        // listeners (an Activity per batch) or hop samples, which allocate inside the run and so move its gen0 collection.
        var bare = Environment.GetEnvironmentVariable("JOURNEYS_PROBE_BARE") == "1";
        using var listener = bare ? null : ResumedBatchListener(resumedBatch, inboxWait);
        using var batchCost = bare ? null : new BatchCostListener();
        long claimCpu = 0, claimBytes = 0, claimedDue = 0, dueClaims = 0;
        var fixedCost = new LatencySamples();
        var phases = new Dictionary<string, LatencySamples>(StringComparer.Ordinal);
        var cpu = new LatencySamples();
        var delayRunCpu = new LatencySamples();
        var dispatcherRunCpu = new LatencySamples();
        var pumpRunCpu = new LatencySamples();
        var streamLines = new List<string>();
        var collectBeforeDelayRun = Environment.GetEnvironmentVariable("JOURNEYS_PROBE_GC_BEFORE_DELAY") == "1";
        using var gcEvents = Environment.GetEnvironmentVariable("JOURNEYS_PROBE_GC_EVENTS") == "1" ? new GcEventTrace() : null;
        var gcWindows = new List<(int After, int UpTo, string Label)>();

        // The kept delay runs' whole allocation (activation → last follow-up sent, all threads, the probe's bookkeeping
        // included): against the gen0 budget (~6 MB here) it says whether a run can have no collection at all; with
        // JOURNEYS_BENCH_ALLOC_TYPES=1 also sampled by type (AllocationSampler, the kept delay runs only).
        // JOURNEYS_PROBE_ALLOC_STREAM=1 samples the resumed streams alone (first claim of a due timer → last follow-up sent),
        // scaled to their measured allocation instead of the whole runs'.
        var delayRunBytes = new List<long>();
        var streamBytes = new List<long>();
        var samplesStream = Environment.GetEnvironmentVariable("JOURNEYS_PROBE_ALLOC_STREAM") == "1";
        using var sampler = AllocationSampler.Enabled ? new AllocationSampler() : null;
        sampler?.Start();
        sampler?.Pause();

        // For a heap snapshot from outside (dotnet-gcdump) before the run's activation and while its enrollments wait:
        // JOURNEYS_PROBE_HOLD_MS holds each delay run that long before activating it, JOURNEYS_PROBE_DELAY_MS sets the delay.
        var hold = int.TryParse(Environment.GetEnvironmentVariable("JOURNEYS_PROBE_HOLD_MS"), NumberStyles.None, CultureInfo.InvariantCulture, out var h) ? TimeSpan.FromMilliseconds(h) : TimeSpan.Zero;
        var delay = int.TryParse(Environment.GetEnvironmentVariable("JOURNEYS_PROBE_DELAY_MS"), NumberStyles.None, CultureInfo.InvariantCulture, out var d) ? TimeSpan.FromMilliseconds(d) : TimeSpan.FromSeconds(1);
        for (var run = 0; run < runs; run++)
        {
            var probe = new Probe();
            Probe.Recording = run >= skip;
            if (!noDelayOnly)
            {
                var runSent = new LatencySamples();
                var runHop = new LatencySamples();
                var recorder = TimerLatenessRecorder.WithSends(customers, new LatencySamples(), runSent);
                recorder.Hop = bare ? null : runHop;
                recorder.MeasuresCost = !bare;
                var streamGc = new ResumedStreamGc();
                if (samplesStream && run >= skip)
                {
                    streamGc.Opened = () => sampler?.Resume();
                }

                recorder.StreamGc = streamGc;
                var scenario = await EngineScenario.StartAsync(customers, Environment.ProcessorCount, delayAfterWelcome: delay, sender: recorder, signalSends: true, configureServices: s =>
                {
                    if (!bare)
                    {
                        probe.Decorate(s);
                    }

                    recorder.DecorateStore(s);
                    if (double.TryParse(Environment.GetEnvironmentVariable("JOURNEYS_PROBE_WAKE_LEAD_MS"), NumberStyles.Float, CultureInfo.InvariantCulture, out var lead))
                    {
                        s.Configure<Journeys.Runtime.JourneysOptions>(o => o.TimerWakeLead = TimeSpan.FromMilliseconds(lead));
                    }
                });
                try
                {
                    batchCost?.Recording = run >= skip;
                    var delayCpu = Process.GetCurrentProcess().TotalProcessorTime;
                    jitBefore = System.Runtime.JitInfo.GetCompiledMethodCount();
                    if (collectBeforeDelayRun)
                    {
                        // As BenchmarkDotNet does between invocations: the run starts with an empty gen0.
                        GC.Collect();
                        GC.WaitForPendingFinalizers();
                        GC.Collect();
                    }

                    if (hold > TimeSpan.Zero)
                    {
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"hold: run {run + 1} activates in {hold.TotalSeconds:N0} s (pid {Environment.ProcessId}), its enrollments then wait {delay.TotalSeconds:N0} s"));
                        await Task.Delay(hold);
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"hold: run {run + 1} activated at {DateTime.UtcNow:HH:mm:ss.fff}"));
                    }

                    var pause = GC.GetTotalPauseDuration();
                    var (gen0, gen1, gen2) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
                    var dispatcherCpu = ThreadCost.NamedThreadsCpuNanoseconds("Journeys dispat");
                    var pumpCpu = ThreadCost.NamedThreadsCpuNanoseconds("Journeys timer ");
                    var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
                    if (run >= skip && !samplesStream)
                    {
                        sampler?.Resume();
                    }

                    await scenario.RunAsync(waitForSends: true);
                    sampler?.Pause();
                    var runBytes = GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore;
                    var runGcs = (GC.CollectionCount(0) - gen0, GC.CollectionCount(1) - gen1, GC.CollectionCount(2) - gen2);
                    await scenario.VerifyCompletedAsync();
                    if (run >= skip)
                    {
                        delayRunBytes.Add(runBytes);
                        streamBytes.Add(streamGc.Allocated);
                        dispatcherRunCpu.Add(TimeSpan.FromTicks((ThreadCost.NamedThreadsCpuNanoseconds("Journeys dispat") - dispatcherCpu) / 100));
                        pumpRunCpu.Add(TimeSpan.FromTicks((ThreadCost.NamedThreadsCpuNanoseconds("Journeys timer ") - pumpCpu) / 100));
                        delayRunCpu.Add(Process.GetCurrentProcess().TotalProcessorTime - delayCpu);
                        jitDuringKept += System.Runtime.JitInfo.GetCompiledMethodCount() - jitBefore;
                        gcPause.Add(GC.GetTotalPauseDuration() - pause);
                        gcCounts.Add(runGcs);
                        sent.AddRange(runSent.Snapshot());
                        streamLines.Add(string.Create(CultureInfo.InvariantCulture, $"  run {run + 1}: due → follow-up sent p50 {runSent.Percentile(50):N1} ms, p99 {runSent.Percentile(99):N1} ms; resumed stream: gen0 {streamGc.Gen0} (gen1 {streamGc.Gen1}), pause {streamGc.Pause.TotalMilliseconds:N1} ms, allocated {streamGc.Allocated / (double)customers:N0} B per resumed customer (all threads), of which the sending threads {streamGc.SenderAllocation().PerFollowUp:N0} B per customer ({streamGc.SenderAllocation().Threads} threads), the claiming thread {streamGc.ClaimerAllocation().PerItem:N0} B per due timer after its first claim (the probe's bookkeeping left out) ({streamGc.ClaimerAllocation().Threads} threads); harness statistics reads {scenario.Polls}"));
                        hop.AddRange(runHop.Snapshot());
                        gcWindows.Add((streamGc.CollectionIndices.After, streamGc.CollectionIndices.UpTo, string.Create(CultureInfo.InvariantCulture, $"run {run + 1} resumed stream (p99 {runSent.Percentile(99):N1} ms)")));
                    }
                }
                finally
                {
                    batchCost?.Recording = false;
                    await scenario.DisposeAsync();
                }
            }

            void Phase(string name, TimeSpan elapsed)
            {
                if (run >= skip)
                {
                    if (!phases.TryGetValue(name, out var samples))
                    {
                        phases[name] = samples = new LatencySamples();
                    }

                    samples.Add(elapsed);
                }
            }

            var noDelay = await EngineScenario.StartAsync(customers, Environment.ProcessorCount, Phase, signalSends: true);
            try
            {
                // As BenchmarkDotNet does between an iteration's setup and its timed invocation.
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();

                var processor = Process.GetCurrentProcess().TotalProcessorTime;
                var watch = Stopwatch.StartNew();
                await noDelay.RunAsync(Phase, waitForSends: true);
                if (run >= skip)
                {
                    fixedCost.Add(watch.Elapsed);
                    cpu.Add(Process.GetCurrentProcess().TotalProcessorTime - processor);
                }

                await noDelay.VerifyCompletedAsync();
            }
            finally
            {
                var stopping = Stopwatch.StartNew();
                await noDelay.DisposeAsync();
                Phase("stop engine + dispose host", stopping.Elapsed);
            }

            if (run >= skip)
            {
                claimLag.AddRange(probe.ClaimLag);
                claimToCommit.AddRange(probe.ClaimToCommit);
                total.AddRange(probe.Total);
                dueBatchSizes.AddRange(probe.CommitSizes);
                claimCpu += probe.ClaimCpu;
                claimBytes += probe.ClaimBytes;
                claimedDue += probe.ClaimedDue;
                dueClaims += probe.DueClaims;
            }
        }

        while (Timeline.TryDequeue(out var line))
        {
            Console.WriteLine(line);
        }

        if (delayRunBytes.Count > 0)
        {
            var sorted = delayRunBytes.Order().ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"delay run allocation (activate → last follow-up sent, all threads, probe bookkeeping included): median {sorted[sorted.Length / 2] / 1048576.0:N2} MB [{sorted[0] / 1048576.0:N2}–{sorted[^1] / 1048576.0:N2}], {sorted[sorted.Length / 2] / (double)customers:N0} B per customer"));
            sampler?.StopAndPrint(samplesStream ? streamBytes.Sum() : delayRunBytes.Sum(), customers * delayRunBytes.Count, top: 25);
        }

        Console.WriteLine($"due → claim:      {claimLag.Describe()}");
        Console.WriteLine($"claim → commit:   {claimToCommit.Describe()}");
        Console.WriteLine($"due → commit:     {total.Describe()}");
        Console.WriteLine($"due → follow-up sent (the benchmark's lateness): {sent.Describe()}");
        Console.WriteLine($"  commit → follow-up sent (hand-off, dispatcher loop): {hop.Describe()}");
        Console.WriteLine($"  per resumed batch: start → commit (journeys.batch.duration): {resumedBatch.Describe()}");
        Console.WriteLine($"  per resumed batch: first claim → start (hand-off, inbox): {inboxWait.Describe()}");
        static string Micro(LatencySamples s) => string.Create(CultureInfo.InvariantCulture, $"n={s.Count:N0} p50={s.Percentile(50) * 1000:N2} µs p90={s.Percentile(90) * 1000:N2} µs");
        Console.WriteLine($"  per item of a batch (start → commit ÷ items): first pass {Micro(FirstPassPerItem)}; resumed {Micro(ResumedPerItem)}");
        Console.WriteLine($"  per item of its store commit: first pass {Micro(FirstPassCommitPerItem)}; resumed {Micro(ResumedCommitPerItem)}");
        Console.WriteLine("  shard batches' thread CPU and allocation per committed item (delay runs; the probe's own bookkeeping left out):");
        foreach (var line in batchCost?.Describe() ?? [])
        {
            Console.WriteLine(line);
        }

        Console.WriteLine(claimedDue == 0 ? "  pump's claims of due timers: none" : string.Create(CultureInfo.InvariantCulture, $"  pump's claims of due timers (the store's ClaimAsync, on the pump's thread): {claimedDue:N0} items in {dueClaims:N0} claims ({(double)claimedDue / Math.Max(1, dueClaims):N1} per claim), thread CPU per item {claimCpu / 1000.0 / claimedDue:N2} µs, allocated per item {(double)claimBytes / claimedDue:N0} B"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  dispatcher threads' CPU per delay run (2 messages per customer): p50 {dispatcherRunCpu.Percentile(50):N2} ms, {dispatcherRunCpu.Percentile(50) * 1000 / (2.0 * customers):N2} µs per message; the pump's timer thread (its wake-ups, claims and routing): p50 {pumpRunCpu.Percentile(50):N2} ms"));
        Console.WriteLine($"delay run process CPU (activate → last send, the idle second included): {delayRunCpu.Describe()}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"runs kept: {Math.Max(0, runs - skip)} of {runs} (JOURNEYS_PROBE_SKIP={skip}); methods JIT-compiled during the kept delay runs: {jitDuringKept:N0} (0 when the probe is warm)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"per delay run, the resumed stream (first claim of a due timer → last follow-up sent){(collectBeforeDelayRun ? "; a full collection before each delay run (JOURNEYS_PROBE_GC_BEFORE_DELAY=1)" : "")}:"));
        foreach (var line in streamLines)
        {
            Console.WriteLine(line);
        }

        if (gcEvents is not null)
        {
            Console.WriteLine("the collections inside the resumed streams, from the runtime's GC events (JOURNEYS_PROBE_GC_EVENTS=1):");
            foreach (var line in gcEvents.Describe(gcWindows))
            {
                Console.WriteLine(line);
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"delay run GC: pause {gcPause.Describe()}; collections gen0/gen1/gen2 per run: {string.Join(", ", gcCounts.Select(c => $"{c.Gen0}/{c.Gen1}/{c.Gen2}"))}"));
        Console.WriteLine($"no-delay run:     {fixedCost.Describe()} (timed like the benchmark: activate → all messages sent)");
        Console.WriteLine($"  process CPU:    {cpu.Describe()}");
        foreach (var (name, samples) in phases)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-38} min={samples.Percentile(0):N1} ms {samples.Describe()}"));
        }

        dueBatchSizes.Sort();
        if (dueBatchSizes.Count > 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"commits with due items: {dueBatchSizes.Count}, sizes p50 {dueBatchSizes[dueBatchSizes.Count / 2]}, max {dueBatchSizes[^1]}"));
        }
    }

    /// <summary>
    /// The engine's <c>journeys.batch.duration</c> of the batches that committed resumed enrollments: the shard records it
    /// on the thread that committed, right after the commit, so a thread-static mark set by the store decorator tells them.
    /// </summary>
    private static MeterListener ResumedBatchListener(LatencySamples samples, LatencySamples inboxWait)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = static (instrument, l) =>
            {
                if (instrument.Meter.Name == "Journeys" && instrument.Name == "journeys.batch.duration")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, seconds, _, _) =>
        {
            if (Probe.LastCommitItems > 0)
            {
                BatchCostListener.MarkBatch(Probe.LastCommitItems, Probe.ResumedInLastCommit > 0);
            }

            if (Probe.Recording && Probe.LastCommitItems > 0)
            {
                var perItem = TimeSpan.FromSeconds(seconds) / Probe.LastCommitItems;
                var commitPerItem = Probe.LastCommitDuration / Probe.LastCommitItems;
                (Probe.ResumedInLastCommit > 0 ? ResumedPerItem : FirstPassPerItem).Add(perItem);
                (Probe.ResumedInLastCommit > 0 ? ResumedCommitPerItem : FirstPassCommitPerItem).Add(commitPerItem);
                Probe.LastCommitItems = 0;
            }

            if (Probe.ResumedInLastCommit > 0)
            {
                Probe.ResumedInLastCommit = 0;
                if (Probe.Recording)
                {
                    samples.Add(TimeSpan.FromSeconds(seconds));
                    inboxWait.Add(Probe.LastCommitAt - TimeSpan.FromSeconds(seconds) - Probe.LastCommitFirstClaim);
                    if (Environment.GetEnvironmentVariable("JOURNEYS_PROBE_TIMELINE") is not null)
                    {
                        Timeline.Enqueue($"{Probe.LastCommitDue:ss.ffff} (first due {(Probe.LastCommitFirstDue - Probe.LastCommitDue).TotalMilliseconds:F2}) claim +{(Probe.LastCommitFirstClaim - Probe.LastCommitDue).TotalMilliseconds:F2} start +{(Probe.LastCommitAt - TimeSpan.FromSeconds(seconds) - Probe.LastCommitDue).TotalMilliseconds:F2} commit +{(Probe.LastCommitAt - Probe.LastCommitDue).TotalMilliseconds:F2} n={Probe.ResumedCount} thread {Environment.CurrentManagedThreadId}");
                    }
                }
            }
        });
        listener.Start();
        return listener;
    }

    private sealed class Probe
    {
        [ThreadStatic]
        public static int ResumedInLastCommit;

        [ThreadStatic]
        public static DateTimeOffset LastCommitAt;

        [ThreadStatic]
        public static DateTimeOffset LastCommitDue;

        [ThreadStatic]
        public static int ResumedCount;

        [ThreadStatic]
        public static int LastCommitItems;

        [ThreadStatic]
        public static TimeSpan LastCommitDuration;

        [ThreadStatic]
        public static DateTimeOffset LastCommitFirstDue;

        [ThreadStatic]
        public static DateTimeOffset LastCommitFirstClaim;

        public static volatile bool Recording;

        private readonly ConcurrentDictionary<Guid, (DateTimeOffset Due, DateTimeOffset Claimed)> _due = new();

        public ConcurrentBag<TimeSpan> ClaimLag { get; } = [];

        public ConcurrentBag<TimeSpan> ClaimToCommit { get; } = [];

        public ConcurrentBag<TimeSpan> Total { get; } = [];

        public ConcurrentBag<int> CommitSizes { get; } = [];

        public long ClaimCpu;
        public long ClaimBytes;
        public long ClaimedDue;
        public long DueClaims;

        public void Decorate(IServiceCollection services)
        {
            var registered = services.Last(d => d.ServiceType == typeof(IEnrollmentStore));
            var factory = registered.ImplementationFactory!;
            services.Replace(ServiceDescriptor.Singleton<IEnrollmentStore>(sp => new Store((IEnrollmentStore)factory(sp), sp.GetRequiredService<TimeProvider>(), this)));
        }

        private sealed class Store(IEnrollmentStore inner, TimeProvider time, Probe probe) : DelegatingEnrollmentStore(inner)
        {
            public override async ValueTask<IReadOnlyList<WorkItem>> ClaimAsync(string owner, DateTimeOffset now, int maxItems, TimeSpan lease, CancellationToken cancellationToken = default)
            {
                var before = ThreadCost.Now();
                var claimed = await InnerStore.ClaimAsync(owner, now, maxItems, lease, cancellationToken).ConfigureAwait(false);
                var after = ThreadCost.Now();
                var due0 = 0;
                var bookkeeping = GC.GetAllocatedBytesForCurrentThread();
                foreach (var item in claimed)
                {
                    if (item.Claim is { Status: EnrollmentStatus.Waiting, WakeAt: { } due } && due <= now)
                    {
                        due0++;
                        probe._due[item.Claim.Id] = (due, now);
                        probe.ClaimLag.Add(now - due);
                    }
                }

                ResumedStreamGc.ExcludeBookkeeping(GC.GetAllocatedBytesForCurrentThread() - bookkeeping);

                if (Recording && due0 > 0 && due0 == claimed.Count)
                {
                    Interlocked.Add(ref probe.ClaimCpu, after.CpuNanoseconds - before.CpuNanoseconds);
                    Interlocked.Add(ref probe.ClaimBytes, after.Bytes - before.Bytes);
                    Interlocked.Add(ref probe.ClaimedDue, due0);
                    Interlocked.Increment(ref probe.DueClaims);
                }

                return claimed;
            }

            public override async ValueTask<IReadOnlyList<bool>> CommitAsync(string owner, IReadOnlyList<EnrollmentCheckpoint> checkpoints, OutboxHandoff? outboxHandoff, CancellationToken cancellationToken = default)
            {
                var committing = Stopwatch.GetTimestamp();
                var commitCost = ThreadCost.Now();
                var applied = await InnerStore.CommitAsync(owner, checkpoints, outboxHandoff, cancellationToken).ConfigureAwait(false);
                BatchCostListener.Commit(commitCost);
                LastCommitDuration = Stopwatch.GetElapsedTime(committing);
                var bookkeeping = ThreadCost.Now();
                LastCommitItems = checkpoints.Count;
                var at = time.GetUtcNow();
                var n = 0;
                var firstClaim = DateTimeOffset.MaxValue;
                var firstDue = DateTimeOffset.MaxValue;
                for (var i = 0; i < checkpoints.Count; i++)
                {
                    if (applied[i] && probe._due.TryRemove(checkpoints[i].Identity.Id, out var due))
                    {
                        probe.ClaimToCommit.Add(at - due.Claimed);
                        probe.Total.Add(at - due.Due);
                        firstClaim = due.Claimed < firstClaim ? due.Claimed : firstClaim;
                        LastCommitDue = due.Due > LastCommitDue || n == 0 ? due.Due : LastCommitDue;
                        firstDue = due.Due < firstDue ? due.Due : firstDue;
                        n++;
                    }
                }

                if (n > 0)
                {
                    probe.CommitSizes.Add(n);
                }

                ResumedInLastCommit = n;
                LastCommitAt = at;
                LastCommitFirstClaim = firstClaim;
                LastCommitFirstDue = firstDue;
                ResumedCount = n;
                BatchCostListener.Exclude(bookkeeping);
                return applied;
            }
        }
    }
}
