using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Tests.Runtime;

/// <summary>
/// A loop of the engine that fails while the host runs ends the engine's run: the other loops stop, the background
/// service fails with <see cref="JourneyEngineFaultedException"/>, and the host does what its
/// <see cref="HostOptions.BackgroundServiceExceptionBehavior"/> says.
/// </summary>
public sealed class EngineLoopFaultTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);

    private const string CustomerData = "x@example.com";

    [Theory]
    [InlineData(BackgroundServiceExceptionBehavior.StopHost)]
    [InlineData(BackgroundServiceExceptionBehavior.Ignore)]
    public async Task A_loop_that_fails_while_the_host_runs_ends_the_engine_and_fails_its_background_service(BackgroundServiceExceptionBehavior behavior)
    {
        var time = new FailingTimerClock(T0);
        var push = new RecordingChannelSender();
        var logs = new ListLoggerProvider();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.AddProvider(logs).SetMinimumLevel(LogLevel.Debug);
        builder.Services.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = behavior);
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddJourneys(j => j
            .AddSender(Channel.Push, push)
            .AddCampaigns(new Campaign("hello", Channel.Push, "Hello")));
        using var host = builder.Build();
        await host.Services.GetRequiredService<ICustomerStore>().UpsertAsync([new Customer("c1", new Dictionary<string, FieldValue>())]);
        await host.StartAsync();
        var monitor = host.Services.GetRequiredService<IJourneyEngineMonitor>();
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        var service = host.Services.GetServices<IHostedService>().OfType<JourneysHostedService>().Single();

        // The engine works.
        var manager = host.Services.GetRequiredService<IJourneyManager>();
        await manager.CreateAsync(JourneyBuilder.Create("j", "J").EnterFromList(["c1"]).Steps(p => p.Send(Channel.Push, "hello", id: "hello")).Build());
        await manager.ActivateAsync("j");
        EngineHost.Eventually(() => push.Messages.Count == 1 || Step(time), () => $"the first send; {monitor.GetStatus().State}");
        Assert.Equal(JourneyEngineState.Running, monitor.GetStatus().State);

        // From now on the clock cannot set a timer: the first loop to wait again fails, with a message that names a customer.
        time.Fail = true;
        EngineHost.Eventually(() => service.ExecuteTask!.IsCompleted || Step(time), () => $"the engine's run to end; {monitor.GetStatus().State} {monitor.GetStatus().Fault}");

        // The run ended only once every loop had (it waits for them all before it fails).
        var faulted = await Assert.ThrowsAsync<JourneyEngineFaultedException>(() => service.ExecuteTask!);
        Assert.Matches("^(pump|shard worker [01]|dispatcher [01]|lease renewal|entry-window intakes|event purge): InvalidOperationException$", faulted.Fault);
        Assert.Contains(faulted.Fault!, faulted.Message, StringComparison.Ordinal);
        Assert.Null(faulted.InnerException);
        var loop = faulted.Fault![..faulted.Fault!.IndexOf(':', StringComparison.Ordinal)];

        // Logged once, at Critical, without the exception's message; the whole exception at Debug level only.
        var entries = logs.Entries;
        Assert.Single(entries, e => e.Level == LogLevel.Critical && e.Message == $"The Journeys engine's {loop} failed; the engine stops (its unfinished work is handed back)");
        Assert.DoesNotContain(entries, e => e.Level > LogLevel.Debug && $"{e.Message} {e.Exception}".Contains(CustomerData, StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Level == LogLevel.Debug && $"{e.Message} {e.Exception}".Contains(CustomerData, StringComparison.Ordinal));

        if (behavior == BackgroundServiceExceptionBehavior.StopHost)
        {
            // .NET's default: the host stops; the status keeps what stopped the engine.
            EngineHost.Eventually(() => lifetime.ApplicationStopping.IsCancellationRequested, "the host to stop");
            await host.StopAsync();
            Assert.Equal((JourneyEngineState.Stopped, faulted.Fault), (monitor.GetStatus().State, monitor.GetStatus().Fault));
        }
        else
        {
            // The host runs on without an engine: the status (and the health check) says so.
            Assert.False(lifetime.ApplicationStopping.IsCancellationRequested);
            Assert.Equal((JourneyEngineState.Faulted, faulted.Fault), (monitor.GetStatus().State, monitor.GetStatus().Fault));
            time.Fail = false;
            await host.StopAsync();
            Assert.Equal(JourneyEngineState.Stopped, monitor.GetStatus().State);
        }
    }

    [Fact]
    public async Task A_loop_that_returns_while_the_host_runs_is_a_fault_too()
    {
        var (engine, monitor) = BuildEngine();
        using var stopping = new CancellationTokenSource();
        var run = engine.RunAsync([("entry-window intakes", _ => Task.CompletedTask)], stopping.Token);

        var faulted = await Assert.ThrowsAsync<JourneyEngineFaultedException>(() => run.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal("entry-window intakes: ended while the engine runs", faulted.Fault);
        Assert.Equal((JourneyEngineState.Faulted, faulted.Fault), (monitor.GetStatus().State, monitor.GetStatus().Fault));
    }

    [Fact]
    public async Task Loops_that_end_with_the_stop_are_no_fault_and_the_run_ends_without_an_exception()
    {
        var (engine, monitor) = BuildEngine();
        using var stopping = new CancellationTokenSource();
        var companion = new TaskCompletionSource();
        var run = engine.RunAsync(
            [("event purge", async token =>
            {
                companion.SetResult();
                await Task.Delay(Timeout.Infinite, token);
            })],
            stopping.Token);
        await companion.Task.WaitAsync(TimeSpan.FromSeconds(20));

        await stopping.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal((JourneyEngineState.Stopped, null), (monitor.GetStatus().State, monitor.GetStatus().Fault));
    }

    private static (JourneyEngine Engine, IJourneyEngineMonitor Monitor) BuildEngine()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(T0));
        services.AddJourneys(j => j.AddSender(Channel.Push, new RecordingChannelSender()));
        var provider = services.BuildServiceProvider();
        return (provider.GetRequiredService<JourneyEngine>(), provider.GetRequiredService<IJourneyEngineMonitor>());
    }

    // Moves the fake clock 5 s (at most a day in all): true, for a condition.
    private static bool Step(FakeTimeProvider time)
    {
        if (time.GetUtcNow() < T0.AddDays(1))
        {
            time.Advance(TimeSpan.FromSeconds(5));
        }

        Thread.Sleep(1);
        return false;
    }

    /// <summary>A fake clock whose timers can be made to fail (a bug in a loop, as far as the engine can tell).</summary>
    private sealed class FailingTimerClock(DateTimeOffset start) : FakeTimeProvider(start)
    {
        private volatile bool _fail;

        public bool Fail
        {
            get => _fail;
            set => _fail = value;
        }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            _fail
                ? throw new InvalidOperationException($"no timer for the customer {CustomerData}")
                : base.CreateTimer(callback, state, dueTime, period);
    }
}
