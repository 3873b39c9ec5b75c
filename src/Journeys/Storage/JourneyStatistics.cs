using System.Collections.Immutable;

namespace Journeys.Storage;

/// <summary>The counters of one journey.</summary>
/// <param name="JourneyId">The journey.</param>
/// <param name="Version">The version, or <see langword="null"/> when summed over versions.</param>
/// <param name="Journey">The journey-level counters.</param>
/// <param name="Nodes">The counters per node id.</param>
public sealed record JourneyStatistics(
    string JourneyId,
    int? Version,
    ImmutableDictionary<StatisticCounter, long> Journey,
    ImmutableDictionary<string, ImmutableDictionary<StatisticCounter, long>> Nodes)
{
    /// <summary>A counter of the journey (0 when never counted).</summary>
    /// <param name="counter">The counter.</param>
    public long Get(StatisticCounter counter) => Journey.GetValueOrDefault(counter);

    /// <summary>A counter of a node (0 when never counted).</summary>
    /// <param name="nodeId">The node.</param>
    /// <param name="counter">The counter.</param>
    public long Get(string nodeId, StatisticCounter counter) =>
        Nodes.TryGetValue(nodeId, out var counters) ? counters.GetValueOrDefault(counter) : 0;

    /// <summary>
    /// Enrollments in the journey now, waiting at a node or being run: entered less those that ended (completed,
    /// converted, exited, failed, cancelled), at least 0.
    /// </summary>
    public long Waiting() => Math.Max(
        0,
        Get(StatisticCounter.Entered) - Get(StatisticCounter.Completed) - Get(StatisticCounter.Converted)
            - Get(StatisticCounter.Exited) - Get(StatisticCounter.Failed) - Get(StatisticCounter.Cancelled));

    /// <summary>
    /// Customers at a node now (waiting there, or being run): entered − left − cancelled, at least 0. A node's
    /// <see cref="StatisticCounter.Cancelled"/> also counts messages a cancel withdrew after their enrollment had moved
    /// on (a retargeting reminder held for quiet hours), so in that rare case the figure is one low.
    /// </summary>
    /// <param name="nodeId">The node.</param>
    public long Waiting(string nodeId) => Math.Max(
        0, Get(nodeId, StatisticCounter.Entered) - Get(nodeId, StatisticCounter.Left) - Get(nodeId, StatisticCounter.Cancelled));

    /// <summary>
    /// Clicked / sent of a node (0 when nothing was sent). Clicks are events, not customers (two clicks of one message
    /// count two), so the rate can exceed 1.
    /// </summary>
    /// <param name="nodeId">The node.</param>
    public double ClickRate(string nodeId) => Get(nodeId, StatisticCounter.Sent) is var sent and > 0
        ? (double)Get(nodeId, StatisticCounter.Clicked) / sent
        : 0;
}
