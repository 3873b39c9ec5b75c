using System.Diagnostics;
using Journeys.Messaging;
using Journeys.Model;
using Journeys.Runtime;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Journeys.Benchmarks;

/// <summary>
/// The hosted engine (AddJourneys, in-memory stores, <see cref="NullChannelSender"/> on email and push, the system
/// clock) with N customers stored and the five-step journey created as a draft whose audience is the list of them.
/// <see cref="RunAsync"/> activates it (which enrolls the list) and waits until every enrollment completed.
/// </summary>
internal sealed class EngineScenario : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private static readonly Lock PopulationLock = new();
    private static Customer[]? _population;

    private readonly ServiceProvider _services;
    private readonly IHostedService[] _hosted;
    private readonly IJourneyManager _manager;
    private readonly string _journeyId;
    private readonly SendCompletion? _sends;

    private EngineScenario(ServiceProvider services, IHostedService[] hosted, string journeyId, int customers, SendCompletion? sends)
    {
        _services = services;
        _sends = sends;
        _hosted = hosted;
        _manager = services.GetRequiredService<IJourneyManager>();
        _journeyId = journeyId;
        Customers = customers;
    }

    public int Customers { get; }

    /// <summary>The last <see cref="RunAsync"/>'s activation on its own thread: CPU nanoseconds and bytes allocated; null when it changed threads.</summary>
    public (long CpuNanoseconds, long Bytes)? ActivationCost { get; private set; }

    /// <summary>
    /// Whether the waits pace their statistics polls by the progress so far instead of polling every millisecond
    /// throughout: a poll wakes a thread-pool thread, and ~1,000 wake-ups a second cost the engine measurable CPU on a
    /// 2-core machine (the woken worker spins for more work before it sleeps again). Paced, a wait sleeps a quarter of
    /// the time the rest is expected to take at the rate seen since the wait began (1–10 ms), so it still polls every
    /// millisecond near the end and is late by about a millisecond, as before. Only <see cref="EngineThroughputBenchmarks"/>
    /// and <c>breakdown</c> set it (<c>JOURNEYS_BENCH_FIXED_POLL=1</c> turns it off there, for an A/B of the harness).
    /// </summary>
    public bool PacedPolling { get; set; }

    /// <summary>
    /// How often a wait on <see cref="SendCompletion"/> looks at the statistics for failed enrollments and the timeout while
    /// the signal has not come: 5 s, longer than a whole delay run (~1.05 s), so a correct run reads no statistics at all
    /// before it ends and a failed one is reported within seconds, not at the 5-minute timeout.
    /// </summary>
    public static readonly TimeSpan SignalWatchdog = TimeSpan.FromSeconds(5);

    /// <summary>The end-of-run signal when started with <c>signalSends</c> (the peer comparison): its count of messages, for checks after the run.</summary>
    public SendCompletion? Sends => _sends;

    /// <summary>Statistics polls made by the waits (the harness's own load on the engine).</summary>
    public int Polls { get; private set; }

    /// <summary><see cref="PacedPolling"/> unless <c>JOURNEYS_BENCH_FIXED_POLL=1</c>.</summary>
    public static bool PacedPollingDefault => Environment.GetEnvironmentVariable("JOURNEYS_BENCH_FIXED_POLL") != "1";

    /// <summary>The host's services (stores, manager), for checks after a run.</summary>
    public IServiceProvider Services => _services;

    /// <summary>The journey's id.</summary>
    public string JourneyId => _journeyId;

    /// <summary>The customers, created once per process and count (they are immutable; each host stores them anew).</summary>
    public static Customer[] Population(int customers)
    {
        lock (PopulationLock)
        {
            if (_population?.Length != customers)
            {
                _population = new Customer[customers];
                for (var i = 0; i < customers; i++)
                {
                    _population[i] = BenchmarkData.CreateCustomer(i);
                }
            }

            return _population;
        }
    }

    /// <summary>Builds the host, stores the customers and the draft journey, and starts the engine (idle: nothing is enrolled yet).</summary>
    /// <param name="customers">How many customers to store and put in the journey's list audience.</param>
    /// <param name="shardCount">The engine's shards.</param>
    /// <param name="report">Receives named phase durations when given.</param>
    /// <param name="delayAfterWelcome">A delay node between the first send and the customer update (the peer comparison's delay variant).</param>
    /// <param name="configureServices">Changes the services after <c>AddJourneys</c> (for example a store decorator).</param>
    /// <param name="configureJourneys">Changes the Journeys registration inside <c>AddJourneys</c> (for example <c>UseSqlite</c>).</param>
    /// <param name="sender">The sender of both channels: <see cref="NullChannelSender"/> unless given (for example <see cref="TimerLatenessRecorder"/>, which notes when the follow-up is sent).</param>
    /// <param name="signalSends">
    /// Wrap the sender in a <see cref="SendCompletion"/>, and have <see cref="RunAsync"/> with <c>waitForSends</c> wait for its
    /// signal instead of polling the statistics (the peer comparison and <c>lateness-probe</c>: the harness then allocates
    /// nothing and wakes no thread while the engine runs).
    /// </param>
    public static async Task<EngineScenario> StartAsync(
        int customers,
        int shardCount,
        Action<string, TimeSpan>? report = null,
        TimeSpan? delayAfterWelcome = null,
        Action<IServiceCollection>? configureServices = null,
        Action<IJourneysBuilder>? configureJourneys = null,
        IChannelSender? sender = null,
        bool signalSends = false)
    {
        sender ??= NullChannelSender.Instance;
        var sends = signalSends ? new SendCompletion(customers, sender) : null;
        sender = sends ?? sender;
        var watch = Stopwatch.StartNew();
        var services = new ServiceCollection();
        services.AddJourneys(j =>
        {
            j.AddSender(Channel.Email, sender)
                .AddSender(Channel.Push, sender)
                .AddCampaigns(BenchmarkData.Campaigns.Campaigns)
                .Configure(o => o.ShardCount = shardCount);
            configureJourneys?.Invoke(j);
        });

        configureServices?.Invoke(services);
        var provider = services.BuildServiceProvider();

        var store = provider.GetRequiredService<ICustomerStore>();
        await store.SaveSchemaAsync(BenchmarkData.Schema);
        var all = Population(customers);
        const int Chunk = 10_000;
        for (var start = 0; start < customers; start += Chunk)
        {
            await store.UpsertAsync(new ArraySegment<Customer>(all, start, Math.Min(Chunk, customers - start)));
        }

        report?.Invoke("store customers", watch.Elapsed);
        watch.Restart();
        var journey = BenchmarkData.ThroughputJourney(all.Select(c => c.Id), delayAfterWelcome);
        await provider.GetRequiredService<IJourneyManager>().CreateAsync(journey);
        report?.Invoke("build + create journey", watch.Elapsed);

        watch.Restart();
        var hosted = provider.GetServices<IHostedService>().ToArray();
        foreach (var service in hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }

        report?.Invoke("start engine", watch.Elapsed);
        return new EngineScenario(provider, hosted, journey.Id, customers, sends);
    }

    /// <summary>Activates the journey (enrolling every customer) and waits until all enrollments completed.</summary>
    /// <param name="report">Receives named phase durations (activation, all completed, all messages sent) when given.</param>
    /// <param name="waitForSends">Also wait until the outbox has sent the 2 messages of every customer.</param>
    public async Task RunAsync(Action<string, TimeSpan>? report = null, bool waitForSends = false)
    {
        var watch = Stopwatch.StartNew();

        // The activating thread's own cost (the in-memory stores answer synchronously, so the whole activation runs on
        // this thread unless it hops; then the figure is not reported): CPU time and bytes allocated, whatever the
        // shards do beside it.
        var thread = Environment.CurrentManagedThreadId;
        var activationCpu = ThreadCost.CpuNanoseconds();
        var activationBytes = GC.GetAllocatedBytesForCurrentThread();
        var (_, enrolled) = await _manager.ActivateAsync(_journeyId);
        ActivationCost = thread == Environment.CurrentManagedThreadId
            ? (ThreadCost.CpuNanoseconds() - activationCpu, GC.GetAllocatedBytesForCurrentThread() - activationBytes)
            : null;
        if (enrolled != Customers)
        {
            throw new InvalidOperationException($"Enrolled {enrolled} customers, expected {Customers}.");
        }

        report?.Invoke("activate (validate, compile, enroll)", watch.Elapsed);
        if (waitForSends && _sends is not null)
        {
            // The last message comes after every enrollment's completion (see SendCompletion). The engine records a send
            // (its statistic, the outbox entry let go) after the sender returned, per dispatched batch, so the run ends
            // when the statistics show it, as before: they are read from the signal on (every follow-up has reached the
            // sender by then, so the reads cannot touch the lateness), usually once or a few times, not through the run.
            await WaitForSignalAsync(_sends.Completed);
            await WaitAsync(
                static s => Math.Min(2 * s.Get(StatisticCounter.Completed), s.Get("send-welcome", StatisticCounter.Sent) + s.Get("send-follow-up", StatisticCounter.Sent)),
                2L * Customers,
                "every enrollment completed and every send recorded, after the last message reached the sender");
            report?.Invoke("activate → all messages sent", watch.Elapsed);
            return;
        }

        await WaitAsync(s => s.Get(StatisticCounter.Completed), Customers, "every enrollment completed");
        report?.Invoke("activate → all completed", watch.Elapsed);
        if (waitForSends)
        {
            await WaitAsync(s => s.Get("send-welcome", StatisticCounter.Sent) + s.Get("send-follow-up", StatisticCounter.Sent), 2L * Customers, "every message sent");
            report?.Invoke("activate → all messages sent", watch.Elapsed);
        }
    }

    public async Task<JourneyStatistics> GetStatisticsAsync() => await _manager.GetStatisticsAsync(_journeyId);

    /// <summary>
    /// After a run (not timed): one statistics read, every enrollment completed, none failed, every customer's two messages
    /// sent (and, with <c>signalSends</c>, each reached the sender exactly once); throws otherwise.
    /// </summary>
    public async Task VerifyCompletedAsync()
    {
        var statistics = await _manager.GetStatisticsAsync(_journeyId);
        var n = Customers;
        if (statistics.Get(StatisticCounter.Completed) != n || statistics.Get(StatisticCounter.Failed) != 0
            || statistics.Get("send-welcome", StatisticCounter.Sent) != n || statistics.Get("send-follow-up", StatisticCounter.Sent) != n
            || _sends is { } sends && (sends.Distinct != 2 * n || sends.Duplicates != 0))
        {
            throw new InvalidOperationException(
                $"Journeys: completed {statistics.Get(StatisticCounter.Completed)}, failed {statistics.Get(StatisticCounter.Failed)}, welcome sent {statistics.Get("send-welcome", StatisticCounter.Sent)}, follow-up sent {statistics.Get("send-follow-up", StatisticCounter.Sent)}"
                + (_sends is null ? "" : $", messages at the sender {_sends.Distinct} distinct and {_sends.Duplicates} again")
                + $"; expected {n} completed and sent, 0 failed.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var service in _hosted)
        {
            await service.StopAsync(CancellationToken.None);
        }

        await _services.DisposeAsync();
    }

    private async Task WaitForSignalAsync(Task signal)
    {
        var deadline = Stopwatch.StartNew();
        while (!await SignalOrWatchdogAsync(signal))
        {
            var statistics = await _manager.GetStatisticsAsync(_journeyId);
            Polls++;
            if (statistics.Get(StatisticCounter.Failed) > 0)
            {
                throw new InvalidOperationException($"{statistics.Get(StatisticCounter.Failed)} enrollments failed while waiting for every message sent.");
            }

            if (deadline.Elapsed > Timeout)
            {
                throw new TimeoutException($"Timed out after {Timeout} waiting for every message sent (completed {statistics.Get(StatisticCounter.Completed)} of {Customers}, {_sends!.Distinct} of {2 * Customers} messages at the sender).");
            }
        }

        await signal;
    }

    /// <summary>
    /// Waits for <paramref name="signal"/> at most <see cref="SignalWatchdog"/>: true when it completed. The watchdog's timer
    /// is cancelled when the signal wins, so no timer of a finished run fires inside a later one.
    /// </summary>
    internal static async Task<bool> SignalOrWatchdogAsync(Task signal)
    {
        using var watchdog = new CancellationTokenSource();
        var first = await Task.WhenAny(signal, Task.Delay(SignalWatchdog, watchdog.Token)).ConfigureAwait(false);
        await watchdog.CancelAsync().ConfigureAwait(false);
        return first == signal;
    }

    private async Task WaitAsync(Func<JourneyStatistics, long> progress, long target, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var statistics = await _manager.GetStatisticsAsync(_journeyId);
            Polls++;
            var done = progress(statistics);
            if (done >= target)
            {
                return;
            }

            if (statistics.Get(StatisticCounter.Failed) > 0)
            {
                throw new InvalidOperationException($"{statistics.Get(StatisticCounter.Failed)} enrollments failed while waiting for: {what}.");
            }

            if (deadline.Elapsed > Timeout)
            {
                throw new TimeoutException($"Timed out after {Timeout} waiting for: {what} (completed {statistics.Get(StatisticCounter.Completed)} of {Customers}).");
            }

            // ~1 ms: short against the whole run, and a statistics read takes the store lock only briefly. Paced: a
            // quarter of the rest at the rate seen since the wait began. That rate counts what was done before the wait
            // too, so it overestimates and the pause errs short; only a rate more than 4× faster than it could be late.
            var pause = 1.0;
            if (PacedPolling && done > 0)
            {
                var rate = done / Math.Max(deadline.Elapsed.TotalMilliseconds, 0.001);
                pause = Math.Clamp((target - done) / rate / 4, 1, 10);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(Math.Floor(pause)));
        }
    }
}
