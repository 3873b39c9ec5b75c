using Journeys.Storage;

namespace Journeys.Runtime;

/// <summary>
/// Whether a journey id has run: a deleted journey's (or sending's) enrollments and statistics stay under its id, so a
/// new journey or sending under that id would mix with them. <see cref="JourneyManager"/> and
/// <see cref="Sendings.SendingManager"/> refuse such an id.
/// </summary>
internal static class JourneyIdHistory
{
    /// <summary>True when statistics or enrollments are kept under <paramref name="journeyId"/>.</summary>
    public static async ValueTask<bool> HasRunAsync(IStatisticsStore statistics, IEnrollmentStore enrollments, string journeyId, CancellationToken cancellationToken)
    {
        // Every enrollment counts its entry, so the counters are the cheap check; the enrollments catch the rest.
        var counted = await statistics.GetAsync(journeyId, null, cancellationToken).ConfigureAwait(false);
        if (counted.Journey.Count > 0 || counted.Nodes.Count > 0)
        {
            return true;
        }

        await foreach (var enrollment in enrollments.ListByJourneyAsync(journeyId, null, cancellationToken).ConfigureAwait(false))
        {
            return true;
        }

        return false;
    }
}
