using System.Diagnostics.Metrics;
using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Journeys.Tests.Building;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Tests.Runtime;

/// <summary>Runs alone: the engine's instruments are static and carry no tag that would tell one test's engine from another's.</summary>
[CollectionDefinition(nameof(ProcessWideMetrics), DisableParallelization = true)]
public sealed class ProcessWideMetrics;

/// <summary>The engine's <c>journeys.enrollments.*</c> instruments count what was committed, once.</summary>
[Collection(nameof(ProcessWideMetrics))]
public sealed class EngineMetricsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);

    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private static readonly string[] Ids = ["c0@example.com", "c1@example.com", "c2@example.com"];

    [Fact]
    public async Task Entries_and_conversions_of_a_commit_the_store_refused_as_stale_are_measured_once_when_the_work_runs_again()
    {
        long entered = 0, converted = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == JourneysTelemetry.Name && instrument.Name is "journeys.enrollments.entered" or "journeys.enrollments.converted")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
            Interlocked.Add(ref instrument.Name == "journeys.enrollments.entered" ? ref entered : ref converted, value));
        listener.Start();

        var (provider, time, enrollments) = await HostAsync(static store => new RefusingOnce(store));
        await using var disposing = provider;
        var manager = provider.GetRequiredService<IJourneyManager>();
        var signal = provider.GetRequiredService<IJourneyEngineSignal>();
        await using var running = await EngineHost.RunHostedAsync(provider);

        // The first commit (entries) is refused as stale: nothing of it is written and its leases run out.
        await manager.ActivateAsync("j");
        EngineHost.Eventually(() => enrollments.Refused == 1, "the entries' first commit to be refused");
        time.Advance(Lease);
        signal.NotifyWork();
        EngineHost.Eventually(() => Statistics(manager).Get("wait", StatisticCounter.Entered) == 3, "every customer to wait");

        // The first commit of a conversion is refused in the same way.
        await manager.PublishAsync([.. Ids.Select(id => new CustomerEvent(id, "purchase", [], T0))]);
        EngineHost.Eventually(() => enrollments.Refused == 2, "a conversion's first commit to be refused");
        time.Advance(Lease);
        signal.NotifyWork();
        EngineHost.Eventually(() => Statistics(manager).Get(StatisticCounter.Converted) == 3, "every customer to convert");

        // The statistics count each once (the refused commits wrote nothing); so do the instruments.
        Assert.Equal((3, 3), (Statistics(manager).Get(StatisticCounter.Entered), Statistics(manager).Get(StatisticCounter.Converted)));
        Assert.Equal((3, 3), (Interlocked.Read(ref entered), Interlocked.Read(ref converted)));
    }

    [Fact]
    public async Task An_enrollment_that_fails_before_its_first_step_counts_as_entered_in_the_statistics_as_in_the_instrument()
    {
        long entered = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == JourneysTelemetry.Name && instrument.Name == "journeys.enrollments.entered")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref entered, value));
        listener.Start();

        var (provider, _, enrollments) = await HostAsync(static store => store);
        await using var disposing = provider;
        var manager = provider.GetRequiredService<IJourneyManager>();
        await using var running = await EngineHost.RunHostedAsync(provider);
        await manager.ActivateAsync("j");
        EngineHost.Eventually(() => Statistics(manager).Get("wait", StatisticCounter.Entered) == 3, "every listed customer to wait");

        // Two enrollments the engine cannot run: one at a node its version does not have, one of a version that does not exist.
        var c3 = new Customer("c3@example.com");
        await provider.GetRequiredService<ICustomerStore>().UpsertAsync([c3]);
        await enrollments.EnrollAsync([
            new EnrollmentRequest(Guid.NewGuid(), "j", 1, c3.Id, "no-such-node", T0, new EntryRules(ReEntry: ReEntryMode.AfterExit), []),
            new EnrollmentRequest(Guid.NewGuid(), "j", 9, "c4@example.com", "wait", T0, new EntryRules(), [])]);
        provider.GetRequiredService<IJourneyEngineSignal>().NotifyWork();
        EngineHost.Eventually(() => Statistics(manager).Get(StatisticCounter.Failed) == 2, () => $"failed {Statistics(manager).Get(StatisticCounter.Failed)}");

        // Each was created, so each entered the journey: failed never exceeds entered, and the statistic and the instrument agree.
        // (The instrument is measured just after the commit returns, so a moment after the statistics show it.)
        Assert.Equal(5, Statistics(manager).Get(StatisticCounter.Entered));
        EngineHost.Eventually(() => Interlocked.Read(ref entered) >= 5, () => $"instrument entered {Interlocked.Read(ref entered)}");
        Assert.Equal(5, Interlocked.Read(ref entered));
    }

    [Fact]
    public async Task A_batch_whose_commit_fails_ends_its_activity_with_an_error_status()
    {
        // The listener hears every engine of the process (one another test left stopping, say): this engine's batches
        // are told apart by their owner tag.
        var stopped = new System.Collections.Concurrent.ConcurrentQueue<(string Name, System.Diagnostics.ActivityStatusCode Status, string? Description, string? Owner)>();
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name == JourneysTelemetry.Name,
            Sample = static (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllData,
            ActivityStopped = activity => stopped.Enqueue((activity.OperationName, activity.Status, activity.StatusDescription, activity.GetTagItem("journeys.owner") as string)),
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);

        var (provider, time, enrollments) = await HostAsync(static store => new FailingOnce(store));
        await using var disposing = provider;
        var owner = provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<JourneysOptions>>().Value.OwnerId;
        var manager = provider.GetRequiredService<IJourneyManager>();
        await using var running = await EngineHost.RunHostedAsync(provider);

        await manager.ActivateAsync("j");
        EngineHost.Eventually(() => enrollments.Failed == 1, "the first commit to fail");
        time.Advance(Lease);
        provider.GetRequiredService<IJourneyEngineSignal>().NotifyWork();
        EngineHost.Eventually(() => Statistics(manager).Get("wait", StatisticCounter.Entered) == 3, "every customer to wait");

        // Every batch's activity ended; the one whose commit failed says so (the others are unset, as OpenTelemetry asks).
        var batches = stopped.Where(a => a.Name == "journeys.batch" && a.Owner == owner).ToList();
        Assert.Equal([("journeys.batch", System.Diagnostics.ActivityStatusCode.Error, "commit failed", owner)], batches.Where(a => a.Status != System.Diagnostics.ActivityStatusCode.Unset));
        Assert.True(batches.Count >= 2, $"{batches.Count} batch activities");
    }

    [Fact]
    public async Task Step_latency_runs_from_the_claim_to_the_commit_of_the_step_once_per_applied_checkpoint()
    {
        var recorded = new System.Collections.Concurrent.ConcurrentQueue<double>();
        Instrument? found = null;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == JourneysTelemetry.Name && instrument.Name == "journeys.step.latency")
                {
                    found = instrument;
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, value, _, _) => recorded.Enqueue(value));
        listener.Start();

        // Every commit takes 7 seconds of the fake clock, and each enrollment's first checkpoint is refused as stale
        // (nothing applied: not measured). The clock moves past the lease only once the engine holds none of them, so
        // all three are claimed again at one instant (however the shard split them into batches the first time).
        TimeProvider? clock = null;
        var (provider, time, enrollments) = await HostAsync(store => new SlowCommit(store, () => (FakeTimeProvider)clock!));
        clock = time;
        await using var disposing = provider;
        var manager = provider.GetRequiredService<IJourneyManager>();
        var engine = provider.GetRequiredService<JourneyEngine>();
        await using var running = await EngineHost.RunHostedAsync(provider);
        await manager.ActivateAsync("j");
        EngineHost.Eventually(() => enrollments.Refused == 3 && engine.InFlight == 0, () => $"the entries' first checkpoints refused; {enrollments.Refused}, {engine.InFlight} in flight");
        time.Advance(Lease);
        provider.GetRequiredService<IJourneyEngineSignal>().NotifyWork();
        EngineHost.Eventually(() => Statistics(manager).Get("wait", StatisticCounter.Entered) == 3, "every customer to wait");

        var histogram = Assert.IsType<Histogram<double>>(found);
        Assert.Equal("s", histogram.Unit);

        // The three applied steps, each claimed again after the lease and committed 7 s later (14 s if the shard took it in a
        // second batch, behind another commit); the refused ones not at all.
        EngineHost.Eventually(() => recorded.Count >= 3, () => $"three step latencies (recorded: {string.Join(", ", recorded)})");
        Assert.Equal(3, recorded.Count);
        Assert.All(recorded, value => Assert.True(value >= 7 && value % 7 == 0, $"{value} s"));
        Assert.Contains(7.0, recorded);
    }

    /// <summary>An engine on the in-memory stores, its enrollment store wrapped, and journey "j" (three listed customers who wait a day, goal "purchase") created.</summary>
    private static async Task<(ServiceProvider Provider, FakeTimeProvider Time, T Enrollments)> HostAsync<T>(Func<InMemoryEngineStore, T> wrap)
        where T : IEnrollmentStore
    {
        var time = new FakeTimeProvider(T0);
        var customers = new InMemoryCustomerStore();
        var store = new InMemoryEngineStore(customers);
        var enrollments = wrap(store);
        await customers.SaveSchemaAsync(SampleJourneys.Schema);
        await customers.UpsertAsync([.. Ids.Select(id => new Customer(id))]);
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddSingleton<ICustomerStore>(customers);
        services.AddSingleton<IJourneyStore>(new InMemoryJourneyStore(time));
        services.AddSingleton<IEnrollmentStore>(enrollments);
        services.AddSingleton<IOutboxStore>(store);
        services.AddSingleton<IStatisticsStore>(store);
        services.AddJourneys(j => j.AddSender(Channel.Push, new RecordingChannelSender()).Configure(o =>
        {
            o.ShardCount = 1;
            o.LeaseDuration = Lease;
            o.MaxIdle = TimeSpan.FromSeconds(5);
        }));
        var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<IJourneyManager>().CreateAsync(JourneyBuilder.Create("j", "J").EnterFromList(Ids).ConvertOn("purchase")
            .Steps(p => p.Delay(TimeSpan.FromDays(1), id: "wait"))
            .Build());
        return (provider, time, enrollments);
    }

    private static JourneyStatistics Statistics(IJourneyManager manager) => manager.GetStatisticsAsync("j").AsTask().GetAwaiter().GetResult();

    /// <summary>Each commit moves the fake clock 7 seconds before it runs; one that holds an enrollment's first checkpoint is refused as stale.</summary>
    private sealed class SlowCommit(IEnrollmentStore inner, Func<FakeTimeProvider> time) : DelegatingEnrollmentStore(inner)
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, byte> _refused = new();
        private int _refusedCount;

        public int Refused => Volatile.Read(ref _refusedCount);

        public override ValueTask<IReadOnlyList<bool>> CommitAsync(string owner, IReadOnlyList<EnrollmentCheckpoint> checkpoints, OutboxHandoff? outboxHandoff, CancellationToken cancellationToken = default)
        {
            time().Advance(TimeSpan.FromSeconds(7));
            var refuse = false;
            foreach (var checkpoint in checkpoints)
            {
                if (_refused.TryAdd(checkpoint.State.Id, 0))
                {
                    Interlocked.Increment(ref _refusedCount);
                    refuse = true;
                }
            }

            return refuse
                ? ValueTask.FromResult<IReadOnlyList<bool>>(new bool[checkpoints.Count])
                : InnerStore.CommitAsync(owner, checkpoints, outboxHandoff, cancellationToken);
        }
    }

    /// <summary>The first commit throws, as a store that lost its database would; nothing of it is written.</summary>
    private sealed class FailingOnce(IEnrollmentStore inner) : DelegatingEnrollmentStore(inner)
    {
        private int _failed;

        public int Failed => Volatile.Read(ref _failed);

        public override ValueTask<IReadOnlyList<bool>> CommitAsync(string owner, IReadOnlyList<EnrollmentCheckpoint> checkpoints, OutboxHandoff? outboxHandoff, CancellationToken cancellationToken = default) =>
            Interlocked.CompareExchange(ref _failed, 1, 0) == 0
                ? throw new InvalidOperationException("the database went away")
                : InnerStore.CommitAsync(owner, checkpoints, outboxHandoff, cancellationToken);
    }

    /// <summary>
    /// Answers the first commit, and the first commit holding a conversion, as a store answers checkpoints whose
    /// concurrency token is stale: nothing written, every checkpoint not applied (their leases stay until they expire).
    /// </summary>
    private sealed class RefusingOnce(IEnrollmentStore inner) : DelegatingEnrollmentStore(inner)
    {
        private int _refused;

        public int Refused => Volatile.Read(ref _refused);

        public override ValueTask<IReadOnlyList<bool>> CommitAsync(string owner, IReadOnlyList<EnrollmentCheckpoint> checkpoints, OutboxHandoff? outboxHandoff, CancellationToken cancellationToken = default)
        {
            var refuse = Refused == 0 || (Refused == 1 && checkpoints.Any(c => c.Status == EnrollmentStatus.Converted));
            if (refuse)
            {
                Interlocked.Increment(ref _refused);
                return ValueTask.FromResult<IReadOnlyList<bool>>(new bool[checkpoints.Count]);
            }

            return InnerStore.CommitAsync(owner, checkpoints, outboxHandoff, cancellationToken);
        }
    }
}
