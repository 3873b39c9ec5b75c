using Journeys.Building;
using Journeys.Storage;
using Journeys.Tests.Runtime;

namespace Journeys.Tests.Statistics;

/// <summary><see cref="JourneyStatistics.Waiting()"/> and <see cref="JourneyStatistics.Waiting(string)"/>: who is in the journey, and at each node, now.</summary>
public sealed class WaitingStatisticsTests
{
    private static readonly DateTimeOffset Start = new(2026, 5, 4, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Waiting_counts_who_is_in_the_journey_and_at_each_node_as_customers_enter_convert_exit_and_are_cancelled()
    {
        await using var host = await EngineHost.StartAsync(Start);
        await host.Manager.CreateAsync(JourneyBuilder.Create("w", "W").EnterOnEvent("go").ConvertOn("buy")
            .Steps(p => p.Delay(TimeSpan.FromHours(1), id: "wait").Delay(TimeSpan.FromHours(1), id: "later").Exit("done", id: "done"))
            .Build());
        await host.Manager.ActivateAsync("w");
        await host.Manager.PublishAsync([.. Enumerable.Range(0, 4).Select(i => new CustomerEvent($"c{i}@example.com", "go", [], Start))]);
        EngineHost.Eventually(() => host.Count("w", "wait", StatisticCounter.Entered) == 4, "four customers waiting");

        var statistics = await host.Manager.GetStatisticsAsync("w");
        Assert.Equal((4, 4, 0), (statistics.Waiting(), statistics.Waiting("wait"), statistics.Waiting("later")));

        await host.Manager.PublishAsync([new CustomerEvent("c0@example.com", "buy", [], Start)]);
        EngineHost.Eventually(() => host.Count("w", null, StatisticCounter.Converted) == 1, "c0 to convert");
        statistics = await host.Manager.GetStatisticsAsync("w");
        Assert.Equal((3, 3, 0), (statistics.Waiting(), statistics.Waiting("wait"), statistics.Waiting("later")));

        host.Advance(TimeSpan.FromHours(1));
        EngineHost.Eventually(() => host.Count("w", "later", StatisticCounter.Entered) == 3, "three customers at the second delay");
        statistics = await host.Manager.GetStatisticsAsync("w");
        Assert.Equal((3, 0, 3), (statistics.Waiting(), statistics.Waiting("wait"), statistics.Waiting("later")));

        await host.Manager.StopAsync("w");
        statistics = await host.Manager.GetStatisticsAsync("w");
        Assert.Equal((0, 0, 0), (statistics.Waiting(), statistics.Waiting("wait"), statistics.Waiting("later")));
        Assert.Equal(0, statistics.Waiting("no such node"));
    }

    [Fact]
    public async Task Customers_who_went_through_are_no_longer_waiting_anywhere()
    {
        await using var host = await EngineHost.StartAsync(Start);
        await host.Manager.CreateAsync(JourneyBuilder.Create("w", "W").EnterOnEvent("go")
            .Steps(p => p.Delay(TimeSpan.FromHours(1), id: "wait").Exit("done", id: "done"))
            .Build());
        await host.Manager.ActivateAsync("w");
        await host.Manager.PublishAsync([.. Enumerable.Range(0, 3).Select(i => new CustomerEvent($"c{i}@example.com", "go", [], Start))]);
        EngineHost.Eventually(() => host.Count("w", "wait", StatisticCounter.Entered) == 3, "three customers waiting");

        host.Advance(TimeSpan.FromHours(1));
        EngineHost.Eventually(() => host.Count("w", null, StatisticCounter.Exited) == 3, "all three to exit");

        var statistics = await host.Manager.GetStatisticsAsync("w");
        Assert.Equal((0, 0, 0), (statistics.Waiting(), statistics.Waiting("wait"), statistics.Waiting("done")));
        Assert.Equal(3, statistics.Get(StatisticCounter.Entered));
    }
}
