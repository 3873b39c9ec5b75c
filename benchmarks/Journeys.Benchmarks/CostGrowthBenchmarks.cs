using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Journeys.Building;
using Journeys.Messaging;
using Journeys.Model;
using Journeys.Runtime;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Journeys.Benchmarks;

/// <summary>
/// Does the engine slow down as waiting work piles up? One hosted engine (in-memory stores, <c>NullChannelSender</c>,
/// shards = cores) holds <see cref="Waiting"/> enrollments that wait, half on a 30-day timer (a delay node) and half
/// for an event that never comes (a wait-for-event node with a 30-day timeout), while each invocation enrolls
/// <see cref="Customers"/> customers into the five-step journey (filter → random split → send → update → send, re-entry
/// after exit) and is timed until they all completed. The global setup also measures the managed heap an enrollment
/// waiting in the in-memory store holds: <c>GC.GetTotalMemory(true)</c> before and after the waiting population was
/// enrolled and run to its wait, divided by <see cref="Waiting"/> (customers, journeys and the engine are in place
/// before the first reading). Target: customers/s with 1,000,000 waiting within 20 % of the 10,000 case; at most 300
/// bytes per waiting enrollment.
/// </summary>
/// <remarks>
/// Both cases run the same method: 4 invocations per iteration (<see cref="InvocationCountAttribute"/>), so
/// BenchmarkDotNet's pilot cannot give one case 1 invocation per iteration and the other 2 (it did: the 10,000 case's
/// first invocation was still slow), and no forced full collection between iterations (<see cref="GcForceAttribute"/>),
/// so the gen0/gen1 collections that the ~42 MB allocated per invocation cause fall inside the measured time in both
/// cases, in proportion (about one per two invocations here), instead of being collected, unmeasured, between 1-invocation
/// iterations in one case only. Each invocation re-enrolls the same customers (re-entry after exit), so the cases are
/// also compared after the same number of invocations.
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(GrowthConfig))]
[ShortMode(warmups: 8)] // the 10,000 case still sped up over its 3 warm-ups and 3 measured iterations in short mode
[InvocationCount(4, 1)]
[GcForce(false)]
public class CostGrowthBenchmarks
{
    private const string TimerJourney = "waiting-timer";
    private const string EventJourney = "waiting-event";
    private const string NewJourney = "throughput";
    private const int Chunk = 10_000;
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    private ServiceProvider? _services;
    private IHostedService[] _hosted = [];
    private IJourneyManager? _manager;
    private string[] _newIds = [];
    private long _completedTarget;

    /// <summary>Enrollments waiting on timers or events while the new ones run.</summary>
    [Params(10_000, 1_000_000)]
    public int Waiting { get; set; }

    /// <summary>New enrollments per invocation: 20,000, or <c>JOURNEYS_GROWTH_CUSTOMERS</c>.</summary>
    [ParamsSource(nameof(CustomerCounts))]
    public int Customers { get; set; }

    /// <summary>20,000, or the value of the environment variable <c>JOURNEYS_GROWTH_CUSTOMERS</c>.</summary>
    public static IEnumerable<int> CustomerCounts =>
        [int.TryParse(Environment.GetEnvironmentVariable("JOURNEYS_GROWTH_CUSTOMERS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 20_000];

    /// <summary>Builds the host, enrolls the waiting population, runs it to its waits and measures its memory.</summary>
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    /// <summary>Stops the engine and disposes the host.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var service in _hosted)
        {
            service.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
        }

        _services?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Enroll the new customers and wait until every one of them completed the five steps.</summary>
    [Benchmark]
    public async Task NewEnrollments()
    {
        var outcomes = await _manager!.EnrollAsync(NewJourney, _newIds);
        var created = outcomes.Count(o => o.Kind == EnrollmentOutcomeKind.Created);
        if (created != _newIds.Length)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"Enrolled {created} of {_newIds.Length} new customers (the previous invocation's enrollments should have ended)."));
        }

        _completedTarget += created;
        await WaitAsync(NewJourney, s => s.Get(StatisticCounter.Completed) >= _completedTarget, "every new enrollment completed");
    }

    private async Task SetupAsync()
    {
        var watch = Stopwatch.StartNew();
        var services = new ServiceCollection();
        services.AddJourneys(j => j
            .AddSender(Channel.Email, NullChannelSender.Instance)
            .AddSender(Channel.Push, NullChannelSender.Instance)
            .AddCampaigns(BenchmarkData.Campaigns.Campaigns));
        _services = services.BuildServiceProvider();
        _manager = _services.GetRequiredService<IJourneyManager>();
        var customers = _services.GetRequiredService<ICustomerStore>();
        await customers.SaveSchemaAsync(BenchmarkData.Schema);

        // The new customers have all 20 fields; the waiting ones only an id (their fields are not what is measured).
        var population = EngineScenario.Population(Customers);
        _newIds = population.Select(c => c.Id).ToArray();
        await UpsertAsync(customers, population);
        var waitingIds = new string[Waiting];
        for (var i = 0; i < Waiting; i++)
        {
            waitingIds[i] = string.Create(CultureInfo.InvariantCulture, $"waiting-{i:D7}@example.com");
        }

        await UpsertAsync(customers, waitingIds.Select(id => new Customer(id)).ToArray());

        await CreateAndActivateAsync(BenchmarkData.ThroughputJourney([], reEnterAfterExit: true));
        await CreateAndActivateAsync(JourneyBuilder.Create(TimerJourney, "Waits 30 days")
            .EnterFromList([])
            .Steps(p => p.Delay(TimeSpan.FromDays(30), id: "wait-timer"))
            .Build());
        await CreateAndActivateAsync(JourneyBuilder.Create(EventJourney, "Waits for an event that never comes")
            .EnterFromList([])
            .Steps(p => p.WaitForEvent(
                "coupon-redeemed",
                TimeSpan.FromDays(30),
                w => w.OnEvent(e => e.Exit("redeemed", id: "redeemed")).OnTimeout(t => t.Exit("expired", id: "expired")),
                id: "wait-event"))
            .Build());

        _hosted = _services.GetServices<IHostedService>().ToArray();
        foreach (var service in _hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }

        var before = GC.GetTotalMemory(forceFullCollection: true);
        var half = Waiting / 2;
        await EnrollAsync(TimerJourney, waitingIds.AsMemory(0, half));
        await EnrollAsync(EventJourney, waitingIds.AsMemory(half));
        await WaitAsync(TimerJourney, s => s.Get("wait-timer", StatisticCounter.Entered) >= half, "the timer half waiting");
        await WaitAsync(EventJourney, s => s.Get("wait-event", StatisticCounter.Entered) >= Waiting - half, "the event half waiting");
        var after = GC.GetTotalMemory(forceFullCollection: true);

        var perEnrollment = (after - before) / (double)Waiting;
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"// Cost growth setup: {Waiting:N0} waiting enrollments, {perEnrollment:N0} B each (GC.GetTotalMemory(true) after − before, ÷ {Waiting:N0}), setup {watch.Elapsed.TotalSeconds:N1} s"));
        ReportedValues.Write(
            MeasuredValueColumn.CaseKey(nameof(CostGrowthBenchmarks), nameof(NewEnrollments), [(nameof(Waiting), Waiting), (nameof(Customers), Customers)]),
            new Dictionary<string, double> { ["bytes"] = perEnrollment });
    }

    private static async Task UpsertAsync(ICustomerStore store, Customer[] customers)
    {
        for (var start = 0; start < customers.Length; start += Chunk)
        {
            await store.UpsertAsync(new ArraySegment<Customer>(customers, start, Math.Min(Chunk, customers.Length - start)));
        }
    }

    private async Task CreateAndActivateAsync(JourneyDefinition journey)
    {
        await _manager!.CreateAsync(journey);
        await _manager.ActivateAsync(journey.Id);
    }

    private async Task EnrollAsync(string journeyId, ReadOnlyMemory<string> ids)
    {
        for (var start = 0; start < ids.Length; start += Chunk)
        {
            var chunk = ids.Slice(start, Math.Min(Chunk, ids.Length - start)).ToArray();
            var outcomes = await _manager!.EnrollAsync(journeyId, chunk);
            if (outcomes.Any(o => o.Kind != EnrollmentOutcomeKind.Created))
            {
                throw new InvalidOperationException($"Journey {journeyId}: an enrollment of the waiting population was refused.");
            }
        }
    }

    private async Task WaitAsync(string journeyId, Func<JourneyStatistics, bool> done, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var statistics = await _manager!.GetStatisticsAsync(journeyId);
            if (done(statistics))
            {
                return;
            }

            if (statistics.Get(StatisticCounter.Failed) > 0)
            {
                throw new InvalidOperationException($"Journey {journeyId}: {statistics.Get(StatisticCounter.Failed)} enrollments failed while waiting for: {what}.");
            }

            if (deadline.Elapsed > Timeout)
            {
                throw new TimeoutException($"Journey {journeyId}: timed out after {Timeout} waiting for: {what}.");
            }

            await Task.Delay(1);
        }
    }

    private sealed class GrowthConfig : ManualConfig
    {
        public GrowthConfig()
        {
            AddColumn(
                new CustomersPerSecondColumn("customers/s"),
                new CustomersPerSecondColumn(
                    "× 10,000 waiting",
                    "the same benchmark with 10,000 waiting",
                    static (c, row) => c.Descriptor.Type == row.Descriptor.Type
                        && c.Descriptor.WorkloadMethod == row.Descriptor.WorkloadMethod
                        && c.Parameters[nameof(Waiting)] is 10_000
                        && Equals(c.Parameters[nameof(Customers)], row.Parameters[nameof(Customers)])),
                new MeasuredValueColumn("B per waiting enrollment", "bytes", "N0", "B per waiting enrollment: GC.GetTotalMemory(true) after − before the waiting population was enrolled and run to its waits, ÷ Waiting"));
        }
    }
}
