using System.Diagnostics;
using System.Globalization;
using Journeys.Conditions;
using Journeys.Messaging;
using Journeys.Model;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Storage.InMemory;

namespace Journeys.Benchmarks;

/// <summary>
/// A profiler-free look at where the engine's time goes (<c>-- breakdown [customers] [runs]</c>): the hosted engine
/// timed phase by phase with the process-wide allocation and GC counts, then the engine's per-enrollment work replayed
/// on one thread against the in-memory stores, each stage timed with <see cref="Stopwatch"/>.
/// </summary>
internal static class Breakdown
{
    private const int BatchSize = 256;

    /// <param name="customers">Customers per run.</param>
    /// <param name="runs">Runs of each part.</param>
    /// <param name="part"><c>hosted</c> or <c>stages</c> for one part only (say, under a profiler), else both.</param>
    /// <param name="batchSender">The hosted engine sends through <see cref="NullBatchSender"/> instead of <see cref="NullChannelSender"/>.</param>
    public static async Task RunAsync(int customers, int runs, string? part = null, bool batchSender = false)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Journeys engine breakdown: {customers:N0} customers, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {(batchSender ? "batch" : "single")} no-op sender"));
        Console.WriteLine(RuntimeSettings.Describe());
        foreach (var shards in part is "stages" ? [] : new[] { 1, 2 })
        {
            for (var run = 1; run <= runs; run++)
            {
                await HostedAsync(customers, shards, run, batchSender);
            }
        }

        for (var run = 1; run <= (part is "hosted" ? 0 : runs); run++)
        {
            await StagesAsync(customers, run);
        }
    }

    private static async Task HostedAsync(int customers, int shards, int run, bool batchSender)
    {
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"## Hosted engine, ShardCount = {shards}, run {run}"));
        void Report(string phase, TimeSpan elapsed) =>
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {phase,-38} {elapsed.TotalMilliseconds,10:N1} ms"));

        await using var scenario = await EngineScenario.StartAsync(customers, shards, Report, sender: batchSender ? NullBatchSender.Instance : null);
        scenario.PacedPolling = EngineScenario.PacedPollingDefault;
        using var sampler = AllocationSampler.Enabled ? new AllocationSampler() : null;
        GC.Collect();
        sampler?.Start();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var gen0 = GC.CollectionCount(0);
        var gen1 = GC.CollectionCount(1);
        var gen2 = GC.CollectionCount(2);
        var pause = GC.GetTotalPauseDuration();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var workItems = ThreadPool.CompletedWorkItemCount;
        var contentions = Monitor.LockContentionCount;
        var dispatcherCpu = ThreadCost.NamedThreadsCpuNanoseconds("Journeys dispat");
        var watch = Stopwatch.StartNew();
        TimeSpan completed = default;
        await scenario.RunAsync((phase, elapsed) =>
        {
            Report(phase, elapsed);
            if (phase.EndsWith("all completed", StringComparison.Ordinal))
            {
                completed = elapsed;
            }
        }, waitForSends: true);
        var total = watch.Elapsed;

        // Read while the host runs: the dispatcher loops' threads end with it. Two sends per customer.
        dispatcherCpu = ThreadCost.NamedThreadsCpuNanoseconds("Journeys dispat") - dispatcherCpu;
        var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        var workItemsRun = ThreadPool.CompletedWorkItemCount - workItems;
        var contended = Monitor.LockContentionCount - contentions;
        var bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        var steps = (double)customers * BenchmarkData.StepsPerCustomer;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  → {customers / completed.TotalSeconds,12:N0} customers/s, {steps / completed.TotalSeconds,12:N0} node steps/s (to all completed)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  allocated {bytes / 1048576.0:N0} MB ({bytes / (double)customers:N0} B/customer, sends included); GC gen0/1/2: {GC.CollectionCount(0) - gen0}/{GC.CollectionCount(1) - gen1}/{GC.CollectionCount(2) - gen2}, pause {(GC.GetTotalPauseDuration() - pause).TotalMilliseconds:N0} ms; CPU {cpuUsed.TotalMilliseconds:N0} ms over {total.TotalMilliseconds:N0} ms wall"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  thread-pool work items {workItemsRun:N0} ({workItemsRun / (double)customers:N2} per customer), lock contentions {contended:N0}; CPU {cpuUsed.TotalMilliseconds * 1000 / customers:N2} µs per customer; statistics polls {scenario.Polls:N0} ({(scenario.PacedPolling ? "paced" : "every 1 ms")})"));
        if (scenario.ActivationCost is { } activation && ThreadCost.Available)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  activation thread: CPU {activation.CpuNanoseconds / 1e6:N1} ms ({activation.CpuNanoseconds / (double)customers:N0} ns per customer), allocated {activation.Bytes / (double)customers:N0} B per customer"));
        }

        if (ThreadCost.Available)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  dispatcher threads' CPU {dispatcherCpu / 1e6:N0} ms: {dispatcherCpu / (2.0 * customers):N0} ns per message (claim, send through the pipeline, complete; GC work done on them included)"));
        }

        Console.WriteLine(RuntimeSettings.DescribeMemory());
        sampler?.StopAndPrint(bytes, customers);
    }

    /// <summary>The shard's work for every enrollment, on one thread, each stage timed separately.</summary>
    private static async Task StagesAsync(int customers, int run)
    {
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"## One thread, stage by stage (batches of {BatchSize}), run {run}"));
        var customerStore = new InMemoryCustomerStore();
        await customerStore.SaveSchemaAsync(BenchmarkData.Schema);
        var ids = new string[customers];
        var batch = new List<Customer>(10_000);
        for (var i = 0; i < customers; i++)
        {
            var customer = BenchmarkData.CreateCustomer(i);
            ids[i] = customer.Id;
            batch.Add(customer);
            if (batch.Count == 10_000 || i == customers - 1)
            {
                await customerStore.UpsertAsync(batch);
                batch.Clear();
            }
        }

        var store = new InMemoryEngineStore(customerStore);
        var definition = BenchmarkData.ThroughputJourney(ids) with { Status = JourneyStatus.Active };
        var journey = JourneyCompiler.Compile(definition, BenchmarkData.Schema, BenchmarkData.Campaigns);
        var now = DateTimeOffset.UtcNow;
        const string Owner = "breakdown";

        var stages = new Stage[] { new("enroll (1,000 per call)"), new("claim"), new("load customer into slots (FillSlots, as the engine does)"), new("StepExecutor.Execute (5 nodes)"), new("commit: customer field updates"), new("commit: states, outbox, statistics"), new("outbox claim"), new("outbox complete") };
        GC.Collect();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        var start = stages[0].Begin();
        foreach (var chunk in ids.Chunk(1_000))
        {
            await store.EnrollAsync([.. chunk.Select(id => new EnrollmentRequest(EnrollmentIds.NewVersion7(now), journey.Id, journey.Version, id, definition.StartNodeId, now, definition.EntryRules, journey.GoalEvents))]);
        }

        stages[0].Add(start, customers);
        IOutboxStore outbox = store;
        var checkpoints = new List<EnrollmentCheckpoint>(BatchSize);
        var fields = new FieldValue[journey.Schema.Fields.Count];
        var done = 0;

        // The thread's CPU time over the whole claim → commit loop, read once at each end (a read per stage would cost a
        // system call each and swamp the stages' own time): unlike the Stopwatch figures, not inflated by other load.
        var loopCpu = ThreadCost.CpuNanoseconds();
        while (done < customers)
        {
            start = stages[1].Begin();
            var claimed = await store.ClaimAsync(Owner, now, BatchSize, TimeSpan.FromMinutes(5));
            stages[1].Add(start, claimed.Count);
            checkpoints.Clear();
            foreach (var item in claimed)
            {
                start = stages[2].Begin();
                customerStore.FillSlots(item.Claim.CustomerId, journey.Schema, fields, out _, journey.ReadSlots); // one array per shard and only the slots the nodes read, as the engine does
                stages[2].Add(start, 1);
                start = stages[3].Begin();
                checkpoints.Add(StepExecutor.Execute(journey, item, fields, journey.Zone, now));
                stages[3].Add(start, 1);
            }

            // The commit in two parts, to see what each costs: the customer field updates (as the store applies them,
            // under the customer store's lock), then the rest of the checkpoints without them.
            start = stages[4].Begin();
            lock (customerStore.SyncRoot)
            {
                customerStore.ApplyFieldUpdatesLocked([.. checkpoints.SelectMany(c => c.CustomerUpdates)]);
            }

            stages[4].Add(start, checkpoints.Count);
            for (var c = 0; c < checkpoints.Count; c++)
            {
                checkpoints[c] = checkpoints[c] with { CustomerUpdates = [] };
            }

            start = stages[5].Begin();
            var applied = await store.CommitAsync(Owner, checkpoints);
            stages[5].Add(start, applied.Count);
            done += claimed.Count;
        }

        loopCpu = ThreadCost.CpuNanoseconds() - loopCpu;
        var sent = 0;
        while (sent < 2 * customers)
        {
            start = stages[6].Begin();
            var due = await outbox.ClaimAsync(Owner, now, BatchSize, TimeSpan.FromMinutes(5));
            stages[6].Add(start, due.Count / 2.0);
            if (due.Count == 0)
            {
                throw new InvalidOperationException($"Only {sent} of {2 * customers} messages in the outbox.");
            }

            var results = due.Select(m => new OutboxResult(m.Message.MessageId, SendResult.Sent, null, [new StatisticDelta(journey.Id, journey.Version, m.Message.NodeId, StatisticCounter.Sent)])).ToArray();
            start = stages[7].Begin();
            await outbox.CompleteAsync(Owner, results);
            stages[7].Add(start, due.Count / 2.0);
            sent += due.Count;
        }

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var statistics = await ((IStatisticsStore)store).GetAsync(journey.Id, null);
        if (statistics.Get(StatisticCounter.Completed) != customers)
        {
            throw new InvalidOperationException($"Completed {statistics.Get(StatisticCounter.Completed)} of {customers}.");
        }

        var total = stages.Sum(s => s.Seconds);
        var engineStages = stages.Skip(1).Take(6).Sum(s => s.Seconds);
        Console.WriteLine("  | stage | ns per customer | share | bytes per customer |");
        Console.WriteLine("  |---|---:|---:|---:|");
        foreach (var stage in stages)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  | {stage.Name} | {stage.Seconds * 1e9 / customers:N0} | {stage.Seconds / total:P0} | {stage.Bytes / (double)customers:N0} |"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  claim → commit on one thread: {engineStages * 1e9 / customers:N0} ns per customer = {customers * BenchmarkData.StepsPerCustomer / engineStages:N0} node steps/s; everything (enroll, outbox) {customers * BenchmarkData.StepsPerCustomer / total:N0} node steps/s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  allocated {allocated / (double)customers:N0} B per customer"));
        if (ThreadCost.Available)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  claim → commit loop thread CPU: {loopCpu / (double)customers:N0} ns per customer (GC work done on this thread included)"));
        }
    }

    private sealed class Stage(string name)
    {
        public string Name { get; } = name;

        public double Seconds { get; private set; }

        public double Count { get; private set; }

        public long Bytes { get; private set; }

        private long _allocatedAtStart;

        /// <summary>Notes the thread's allocation counter, then returns the start timestamp.</summary>
        public long Begin()
        {
            _allocatedAtStart = GC.GetAllocatedBytesForCurrentThread();
            return Stopwatch.GetTimestamp();
        }

        public void Add(long startTimestamp, double count)
        {
            Seconds += Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds;
            Bytes += GC.GetAllocatedBytesForCurrentThread() - _allocatedAtStart;
            Count += count;
        }
    }
}
