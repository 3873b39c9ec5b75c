using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Storage.Tests.Sqlite;

/// <summary>The frequency cap on SQLite: the store keeps the record of sends, so a restart does not forget it.</summary>
public sealed class SqliteFrequencyCapTests : IDisposable
{
    private const int Customers = 20;
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);
    private readonly SqliteTestFile _file = new();
    private readonly FakeTimeProvider _time = new(T0);

    public void Dispose() => _file.Dispose();

    [Fact]
    public async Task The_cap_holds_across_a_restart_on_the_same_file_and_frees_after_its_window()
    {
        var first = new RecordingChannelSender();
        await using (var host = Host(first))
        {
            await using var running = await HostedServices.RunAsync(host);
            var manager = host.GetRequiredService<IJourneyManager>();
            await host.GetRequiredService<ICustomerStore>().UpsertAsync([.. Enumerable.Range(0, Customers).Select(i => new Customer($"c{i}"))]);
            await EnterAsync(manager, "first");
            Eventually(() => first.Messages.Count == Customers, "the first journey's pushes");
        }

        // A new process on the same file an hour later: every customer has had their one push of the day.
        _time.Advance(TimeSpan.FromHours(1));
        var second = new RecordingChannelSender();
        await using (var host = Host(second))
        {
            await using var running = await HostedServices.RunAsync(host);
            var manager = host.GetRequiredService<IJourneyManager>();
            await EnterAsync(manager, "second");
            Eventually(() => Count(manager, "second", StatisticCounter.Capped) == Customers, "the second journey's pushes capped");
            Assert.Empty(second.Messages);
            Assert.Equal(0, Count(manager, "second", StatisticCounter.Sent));

            // A day after the first pushes, the customers may get one again.
            _time.Advance(TimeSpan.FromDays(1));
            await EnterAsync(manager, "third");
            Eventually(() => second.Messages.Count == Customers, "the third journey's pushes, after the window");
            Assert.All(second.Messages, m => Assert.Equal("third", m.JourneyId));
        }
    }

    private ServiceProvider Host(RecordingChannelSender push)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddJourneys(j => j
            .UseSqlite(_file.ConnectionString)
            .AddSender(Channel.Push, push)
            .AddCampaigns(new Campaign("hello", Channel.Push, "Hello"))
            .Configure(o => o.SendPolicy = new SendPolicyOptions { FrequencyCap = 1, FrequencyCapWindow = TimeSpan.FromDays(1) }));
        return services.BuildServiceProvider();
    }

    /// <summary>Creates and activates a journey that sends one push to each customer who publishes "go" for it, then publishes it for all.</summary>
    private async Task EnterAsync(IJourneyManager manager, string journeyId)
    {
        await manager.CreateAsync(JourneyBuilder.Create(journeyId, journeyId).EnterOnEvent("go-" + journeyId).Steps(p => p.Send(Channel.Push, "hello", id: "push")).Build());
        await manager.ActivateAsync(journeyId);
        await manager.PublishAsync([.. Enumerable.Range(0, Customers).Select(i => new CustomerEvent($"c{i}", "go-" + journeyId, [], _time.GetUtcNow()))]);
    }

    private static long Count(IJourneyManager manager, string journeyId, StatisticCounter counter) =>
        manager.GetStatisticsAsync(journeyId).AsTask().GetAwaiter().GetResult().Get("push", counter);

    /// <summary>Waits (bounded, in real time) for the background engine; asserts nothing about timing.</summary>
    private static void Eventually(Func<bool> condition, string what) =>
        Assert.True(SpinWait.SpinUntil(condition, TimeSpan.FromSeconds(60)), $"Timed out waiting for: {what}");
}
