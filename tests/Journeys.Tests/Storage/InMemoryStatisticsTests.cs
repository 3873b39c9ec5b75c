using Journeys.Storage;
using Journeys.Storage.InMemory;

namespace Journeys.Tests.Storage;

public sealed class InMemoryStatisticsTests
{
    [Fact]
    public async Task Counters_stay_exact_when_many_threads_add_deltas_with_equal_and_with_distinct_id_strings()
    {
        var store = new InMemoryEngineStore(new InMemoryCustomerStore());
        var statistics = store;
        const int Threads = 8;
        const int Calls = 2_000;

        // Half the calls use the same string instances (the counter cache's fast path), half equal strings built
        // anew (the map's path); both must land on the same counters.
        var tasks = Enumerable.Range(0, Threads).Select(t => Task.Run(async () =>
        {
            for (var i = 0; i < Calls; i++)
            {
                var fresh = i % 2 == 1;
                var journey = fresh ? new string("journey".AsSpan()) : "journey";
                var node = fresh ? new string("send".AsSpan()) : "send";
                await statistics.AddAsync([
                    new StatisticDelta(journey, 1, node, StatisticCounter.Sent),
                    new StatisticDelta(journey, 1, null, StatisticCounter.Entered, 2),
                    new StatisticDelta(journey, 2, node, StatisticCounter.Sent),
                    new StatisticDelta(journey, 1, node, StatisticCounter.Failed, t),
                ]);
            }
        })).ToArray();
        await Task.WhenAll(tasks);

        var version1 = await statistics.GetAsync("journey", 1);
        var all = await statistics.GetAsync("journey", null);
        Assert.Equal(Threads * Calls, version1.Get("send", StatisticCounter.Sent));
        Assert.Equal(2L * Threads * Calls, version1.Get(StatisticCounter.Entered));
        Assert.Equal(Calls * Enumerable.Range(0, Threads).Sum(), version1.Get("send", StatisticCounter.Failed));
        Assert.Equal(2L * Threads * Calls, all.Get("send", StatisticCounter.Sent));
    }
}
