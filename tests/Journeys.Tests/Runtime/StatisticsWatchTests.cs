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
}
