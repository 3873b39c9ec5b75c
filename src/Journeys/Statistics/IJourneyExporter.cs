namespace Journeys.Statistics;

/// <summary>Exports the per-customer statistics of a journey (or of a sending, by its journey id).</summary>
public interface IJourneyExporter
{
    /// <summary>
    /// Writes one CSV row per enrollment of a journey, streamed from the store in customer id order (constant memory
    /// whatever the journey's size). RFC 4180, UTF-8 without BOM, CRLF, a header row:
    /// <c>customerId,version,nodeReached,status,endReason,sent,clicked,converted,enteredAt,updatedAt,endedAt</c>.
    /// Text cells that begin with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, tab or CR are prefixed with <c>'</c> (and
    /// quoted) so a spreadsheet shows them as text rather than run them as formulas.
    /// </summary>
    /// <param name="journeyId">The journey id (for a sending: <see cref="Sendings.SendingJourneys.JourneyIdOf"/>).</param>
    /// <param name="version">One version, or <see langword="null"/> for every version.</param>
    /// <param name="destination">Where the CSV goes, written from its current position and left open (for a <c>PipeWriter</c>, pass <c>writer.AsStream()</c>).</param>
    /// <param name="cancellationToken">Cancels the export (what was written so far stays written).</param>
    /// <returns>The number of rows written, the header not included.</returns>
    /// <exception cref="KeyNotFoundException">No journey has that id, never created or deleted (nothing is written); the message is the one <see cref="Runtime.IJourneyManager"/> gives for an unknown id.</exception>
    ValueTask<long> WriteCustomersCsvAsync(string journeyId, int? version, Stream destination, CancellationToken cancellationToken = default);
}
