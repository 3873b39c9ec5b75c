using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Sendings;
using Journeys.Storage;
using Journeys.Tests.Building;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

using Journeys.Tests.Shared;

namespace Journeys.Tests.Runtime;

/// <summary>The hosted engine on the in-memory stores with recording senders and a fake clock, for scenario tests.</summary>
internal sealed class EngineHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private IAsyncDisposable _running = null!;

    private EngineHost(ServiceProvider services, FakeTimeProvider time, RecordingChannelSender push, RecordingChannelSender email)
    {
        _services = services;
        Time = time;
        Push = push;
        Email = email;
    }

    public FakeTimeProvider Time { get; }

    public RecordingChannelSender Push { get; }

    public RecordingChannelSender Email { get; }

    public IJourneyManager Manager => _services.GetRequiredService<IJourneyManager>();

    public ISendingManager Sendings => _services.GetRequiredService<ISendingManager>();

    public IServiceProvider Services => _services;

    /// <summary>Starts an engine with 40 customers c0..c39 (every fourth a VIP) and the welcome campaigns.</summary>
    public static async Task<EngineHost> StartAsync(DateTimeOffset start, Action<JourneysOptions>? configure = null, string? timeZone = null, Action<IJourneysBuilder>? extend = null)
    {
        var time = new FakeTimeProvider(start);
        var push = new RecordingChannelSender();
        var email = new RecordingChannelSender();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddJourneys(j => j
            .AddSender(Channel.Push, push)
            .AddSender(Channel.Email, email)
            .AddCampaigns(
                new Campaign("welcome", Channel.Email, "Welcome, {{name}}!"),
                new Campaign("tips", Channel.Push, "Tips for you"),
                new Campaign("vip-tips", Channel.Push, "VIP tips for you"))
            .Configure(o =>
            {
                o.ShardCount = 2;

                // The fake clock moves in steps of up to an hour (Advance) while the engine may be sending: a step taken
                // between a send attempt's start and its sender call fires the attempt's timeout (the resilience pipeline
                // times attempts on this clock), and its retry then waits for a clock that may not move again. In a real
                // run the attempt's clock does not jump; a test that is about timeouts sets its own channel policy.
                o.DefaultChannelPolicy.Timeout = TimeSpan.FromHours(24);
                configure?.Invoke(o);
            }));
        if (extend is not null)
        {
            services.AddJourneys(extend);
        }

        var host = new EngineHost(services.BuildServiceProvider(), time, push, email);

        var customers = host._services.GetRequiredService<ICustomerStore>();
        await customers.SaveSchemaAsync(SampleJourneys.Schema);
        await customers.UpsertAsync([.. Enumerable.Range(0, 40).Select(i => new Customer(
            $"c{i}@example.com",
            new Dictionary<string, FieldValue> { ["firstName"] = $"Name{i}", ["vip"] = i % 4 == 0 },
            timeZone))]);

        host._running = await RunHostedAsync(host._services);
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        await _running.DisposeAsync();
        await _services.DisposeAsync();
    }

    /// <summary>Starts the hosted services of a provider; disposing the result stops them (<see cref="HostedServices.RunAsync"/>).</summary>
    public static Task<IAsyncDisposable> RunHostedAsync(IServiceProvider provider) => HostedServices.RunAsync(provider);

    /// <summary>Waits (bounded, in real time) for the background engine to reach a state; asserts nothing about timing.</summary>
    public static void Eventually(Func<bool> condition, string what) => Eventually(condition, () => what);

    /// <summary>As <see cref="Eventually(Func{bool}, string)"/>, with <paramref name="describe"/> read only on a timeout (what the state was then).</summary>
    public static void Eventually(Func<bool> condition, Func<string> describe)
    {
        if (!SpinWait.SpinUntil(condition, TimeSpan.FromSeconds(20)))
        {
            Assert.Fail($"Timed out waiting for: {describe()}");
        }
    }

    public long Count(string journeyId, string? nodeId, StatisticCounter counter)
    {
        var statistics = Manager.GetStatisticsAsync(journeyId).AsTask().GetAwaiter().GetResult();
        return nodeId is null ? statistics.Get(counter) : statistics.Get(nodeId, counter);
    }

    /// <summary>Steps the clock an hour at a time so the engine's timers fire in order, as they would in real time.</summary>
    public void Advance(TimeSpan by)
    {
        var end = Time.GetUtcNow() + by;
        while (Time.GetUtcNow() < end)
        {
            var left = end - Time.GetUtcNow();
            Time.Advance(left < TimeSpan.FromHours(1) ? left : TimeSpan.FromHours(1));
        }
    }
}
