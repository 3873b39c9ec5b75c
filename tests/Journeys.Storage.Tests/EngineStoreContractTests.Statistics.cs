namespace Journeys.Storage.Tests;

public abstract partial class EngineStoreContractTests
{
    [Fact]
    public async Task Statistics_are_kept_per_version_and_summed_over_versions()
    {
        await using var stores = await CreateAsync();
        await stores.Statistics.AddAsync([
            new StatisticDelta("j", 1, null, StatisticCounter.Entered, 3),
            new StatisticDelta("j", 2, null, StatisticCounter.Entered, 2),
            new StatisticDelta("j", 1, "send", StatisticCounter.Sent, 4),
            new StatisticDelta("j", 2, "send", StatisticCounter.Sent),
            new StatisticDelta("j", 2, "send", StatisticCounter.Clicked),
            new StatisticDelta("j", 2, "other", StatisticCounter.Sent),
            new StatisticDelta("k", 1, null, StatisticCounter.Entered, 100),
        ]);
        await stores.Statistics.AddAsync([new StatisticDelta("j", 2, "send", StatisticCounter.Clicked)]);

        var all = await stores.Statistics.GetAsync("j", null);
        var v1 = await stores.Statistics.GetAsync("j", 1);
        var v2 = await stores.Statistics.GetAsync("j", 2);

        Assert.Null(all.Version);
        Assert.Equal(5, all.Get(StatisticCounter.Entered));
        Assert.Equal(5, all.Get("send", StatisticCounter.Sent));
        Assert.Equal(2, all.Get("send", StatisticCounter.Clicked));
        Assert.Equal(["other", "send"], all.Nodes.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(1, v1.Version);
        Assert.Equal(3, v1.Get(StatisticCounter.Entered));
        Assert.Equal(4, v1.Get("send", StatisticCounter.Sent));
        Assert.Equal(0, v1.Get("send", StatisticCounter.Clicked));
        Assert.False(v1.Nodes.ContainsKey("other"));
        Assert.Equal(2, v2.Get(StatisticCounter.Entered));
        Assert.Equal(2.0, v2.ClickRate("send"));
    }

    [Fact]
    public async Task Statistics_of_an_unknown_journey_are_empty()
    {
        await using var stores = await CreateAsync();

        var statistics = await stores.Statistics.GetAsync("nothing", null);

        Assert.Equal("nothing", statistics.JourneyId);
        Assert.Empty(statistics.Journey);
        Assert.Empty(statistics.Nodes);
    }
}
