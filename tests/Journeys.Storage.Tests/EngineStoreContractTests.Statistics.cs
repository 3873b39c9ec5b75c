using Journeys.Messaging;

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
    public async Task Statistics_that_checkpoints_and_outbox_results_share_count_once_for_each_that_is_applied()
    {
        // The engine hands the same delta list to many checkpoints (and to many outbox results); a store must count it
        // once per applied checkpoint or result, whatever the mix of shared and distinct lists in one call.
        await using var stores = await CreateAsync();
        StatisticDelta[] shared = [new("j", 1, null, StatisticCounter.Entered), new("j", 1, "send", StatisticCounter.Entered, 2)];
        const int Customers = 40;
        var requests = Enumerable.Range(0, Customers).Select(i => Request("j", $"c{i}", T0)).ToList();
        await stores.Enrollments.EnrollAsync(requests);
        var claimed = await stores.Enrollments.ClaimAsync("engine", T0, Customers, Lease);
        Assert.Equal(Customers, claimed.Count);

        // Every third checkpoint has a list of its own (20+ distinct lists in one call), the others share one; a
        // stale checkpoint (wrong token) carrying the shared list is not applied and must not count.
        var checkpoints = new List<EnrollmentCheckpoint>();
        var expectedSend = 0L;
        for (var i = 0; i < claimed.Count; i++)
        {
            var item = claimed[i];
            IReadOnlyList<StatisticDelta> deltas = i % 3 == 0 ? [new("j", 1, "send", StatisticCounter.Entered, i + 1)] : shared;
            expectedSend += i % 3 == 0 ? i + 1 : 2;
            checkpoints.Add(Checkpoint(
                Complete(item.Enrollment, T0),
                item.Enrollment.ConcurrencyToken,
                outbox: [Message($"m{i}", T0, item.Enrollment.CustomerId, item.Enrollment.Id)],
                statistics: deltas));
        }

        var stale = claimed[0];
        checkpoints.Add(Checkpoint(Complete(stale.Enrollment, T0), stale.Enrollment.ConcurrencyToken + 5, statistics: shared));
        var applied = await stores.Enrollments.CommitAsync("engine", checkpoints);
        Assert.Equal(Enumerable.Repeat(true, Customers).Append(false), applied);

        var statistics = await stores.Statistics.GetAsync("j", 1);
        var sharing = Enumerable.Range(0, Customers).Count(i => i % 3 != 0);
        Assert.Equal(sharing, statistics.Get(StatisticCounter.Entered));
        Assert.Equal(expectedSend, statistics.Get("send", StatisticCounter.Entered));

        // Outbox results: two shared lists, interleaved, and one result for a message that is gone (ignored).
        StatisticDelta[] sent = [new("j", 1, "send", StatisticCounter.Sent)];
        StatisticDelta[] failed = [new("j", 1, "send", StatisticCounter.Failed)];
        var due = await stores.Outbox.ClaimAsync("dispatcher", T0, Customers, Lease);
        Assert.Equal(Customers, due.Count);
        var results = due.Select((m, i) => new OutboxResult(m.Message.MessageId, i % 2 == 0 ? SendResult.Sent : SendResult.Permanent("no"), null, i % 2 == 0 ? sent : failed))
            .Append(new OutboxResult("gone", SendResult.Sent, null, sent))
            .ToList();
        await stores.Outbox.CompleteAsync("dispatcher", results);

        statistics = await stores.Statistics.GetAsync("j", 1);
        Assert.Equal(Customers / 2, statistics.Get("send", StatisticCounter.Sent));
        Assert.Equal(Customers / 2, statistics.Get("send", StatisticCounter.Failed));
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
