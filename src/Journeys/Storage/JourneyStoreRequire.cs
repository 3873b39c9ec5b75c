using Journeys.Model;

namespace Journeys.Storage;

/// <summary>The one refusal of an unknown journey id, so every service that reads a journey by id says it the same way.</summary>
internal static class JourneyStoreRequire
{
    /// <summary>The latest version of a journey.</summary>
    /// <param name="journeys">The journey store.</param>
    /// <param name="journeyId">The journey id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ArgumentException">The id is null, empty or white space.</exception>
    /// <exception cref="KeyNotFoundException">No journey has that id (never created, or deleted).</exception>
    public static async ValueTask<JourneyRecord> RequireAsync(this IJourneyStore journeys, string journeyId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(journeyId);
        return await journeys.GetAsync(journeyId, cancellationToken).ConfigureAwait(false)
            ?? throw new KeyNotFoundException($"There is no journey {IdText.Quote(journeyId)}.");
    }
}
