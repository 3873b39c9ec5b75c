using Journeys.Storage;

namespace Journeys.Tests.Runtime;

public sealed class StatisticsWatchTests
{
    private static readonly DateTimeOffset Start = new(2026, 5, 4, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Cancelling_the_watch_ends_the_stream_also_when_the_cancel_comes_before_a_snapshot_is_read()
    {
        // The token "ends the stream": a cancel seen while waiting for the next tick ends it quietly, and so must one
        // seen while a snapshot is read (here: before the first), not throw out of the consumer's await foreach.
        await using var host = await EngineHost.StartAsync(Start);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        var snapshots = new List<JourneyStatistics>();
        await foreach (var snapshot in host.Manager.WatchStatisticsAsync("welcome", TimeSpan.FromMinutes(1), cts.Token))
        {
            snapshots.Add(snapshot);
        }

        Assert.Empty(snapshots);
    }

    [Theory]
    [InlineData(50.0)]
    [InlineData(10_000_000.0)]
    public async Task An_interval_over_49_days_is_refused_as_the_interval_not_by_the_timer_underneath(double days)
    {
        // The periodic timer takes at most 2^32 - 2 ms: a longer interval threw its own exception, naming 'period'.
        await using var host = await EngineHost.StartAsync(Start);
        var refused = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
        {
            await foreach (var snapshot in host.Manager.WatchStatisticsAsync("welcome", TimeSpan.FromDays(days)))
            {
                Assert.Fail("no snapshot expected");
            }
        });
        Assert.Equal("interval", refused.ParamName);

        // 49 days is still accepted: the first snapshot comes at once.
        await foreach (var snapshot in host.Manager.WatchStatisticsAsync("welcome", TimeSpan.FromDays(49)))
        {
            Assert.Equal("welcome", snapshot.JourneyId);
            break;
        }
    }
}
