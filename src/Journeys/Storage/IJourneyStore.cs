using Journeys.Model;

namespace Journeys.Storage;

/// <summary>
/// Journey definitions and their versions. A journey id has one or more versions; the latest is the one edited and
/// activated, older versions stay readable for the enrollments pinned to them. Writes are guarded by an ETag.
/// </summary>
public interface IJourneyStore
{
    /// <summary>
    /// Saves a journey version: creates the journey when <paramref name="expectedETag"/> is <see langword="null"/>,
    /// otherwise replaces its latest version or adds the next one (version = latest + 1), provided the latest
    /// version still has <paramref name="expectedETag"/>.
    /// </summary>
    /// <param name="journey">The definition to save.</param>
    /// <param name="expectedETag">The ETag the caller read, or <see langword="null"/> to create.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The saved record with its new ETag.</returns>
    /// <exception cref="JourneyConcurrencyException">The journey exists (on create), does not exist, or changed since it was read; or the version is neither the latest nor the next.</exception>
    ValueTask<JourneyRecord> SaveAsync(JourneyDefinition journey, string? expectedETag, CancellationToken cancellationToken = default);

    /// <summary>The latest version of a journey, or <see langword="null"/>.</summary>
    /// <param name="journeyId">The journey id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<JourneyRecord?> GetAsync(string journeyId, CancellationToken cancellationToken = default);

    /// <summary>One version of a journey, or <see langword="null"/>.</summary>
    /// <param name="journeyId">The journey id.</param>
    /// <param name="version">The version.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<JourneyRecord?> GetVersionAsync(string journeyId, int version, CancellationToken cancellationToken = default);

    /// <summary>The latest version of every journey, ordered by id.</summary>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    IAsyncEnumerable<JourneyRecord> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Deletes a journey and all its versions.</summary>
    /// <param name="journeyId">The journey id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>False when there was no such journey.</returns>
    ValueTask<bool> DeleteAsync(string journeyId, CancellationToken cancellationToken = default);
}
