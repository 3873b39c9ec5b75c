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

        var time = new FakeTimeProvider(T0);
        var customers = new InMemoryCustomerStore();
        var store = new InMemoryEngineStore(customers);
        var enrollments = new RefusingOnce(store);
        await customers.SaveSchemaAsync(SampleJourneys.Schema);
        string[] ids = ["c0@example.com", "c1@example.com", "c2@example.com"];
        await customers.UpsertAsync([.. ids.Select(id => new Customer(id))]);
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
        await using var provider = services.BuildServiceProvider();
        var manager = provider.GetRequiredService<IJourneyManager>();
        var signal = provider.GetRequiredService<IJourneyEngineSignal>();
        await manager.CreateAsync(JourneyBuilder.Create("j", "J").EnterFromList(ids).ConvertOn("purchase")
            .Steps(p => p.Delay(TimeSpan.FromDays(1), id: "wait"))
            .Build());
        await using var running = await EngineHost.RunHostedAsync(provider);

        // The first commit (entries) is refused as stale: nothing of it is written and its leases run out.
        await manager.ActivateAsync("j");
        EngineHost.Eventually(() => enrollments.Refused == 1, "the entries' first commit to be refused");
        time.Advance(Lease);
        signal.NotifyWork();
        EngineHost.Eventually(() => Statistics(manager).Get("wait", StatisticCounter.Entered) == 3, "every customer to wait");

        // The first commit of a conversion is refused in the same way.
        await manager.PublishAsync([.. ids.Select(id => new CustomerEvent(id, "purchase", [], T0))]);
        EngineHost.Eventually(() => enrollments.Refused == 2, "a conversion's first commit to be refused");
        time.Advance(Lease);
        signal.NotifyWork();
        EngineHost.Eventually(() => Statistics(manager).Get(StatisticCounter.Converted) == 3, "every customer to convert");

        // The statistics count each once (the refused commits wrote nothing); so do the instruments.
        Assert.Equal((3, 3), (Statistics(manager).Get(StatisticCounter.Entered), Statistics(manager).Get(StatisticCounter.Converted)));
        Assert.Equal((3, 3), (Interlocked.Read(ref entered), Interlocked.Read(ref converted)));
    }

    private static JourneyStatistics Statistics(IJourneyManager manager) => manager.GetStatisticsAsync("j").AsTask().GetAwaiter().GetResult();

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
