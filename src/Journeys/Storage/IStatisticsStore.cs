using System.Collections.Immutable;

namespace Journeys.Storage;

/// <summary>Live counters per journey version and node.</summary>
public interface IStatisticsStore
{
    /// <summary>Adds deltas (outside an enrollment checkpoint, such as delivery feedback).</summary>
    /// <param name="deltas">The deltas.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask AddAsync(IReadOnlyList<StatisticDelta> deltas, CancellationToken cancellationToken = default);

    /// <summary>The counters of one journey (one version, or all versions summed per node when <paramref name="version"/> is null).</summary>
    /// <param name="journeyId">The journey.</param>
    /// <param name="version">The version, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<JourneyStatistics> GetAsync(string journeyId, int? version, CancellationToken cancellationToken = default);
}
