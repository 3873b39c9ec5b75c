namespace Journeys.Sendings;

/// <summary>
/// One-shot sendings: a campaign sent now to all customers or to a list of customer ids, through the engine (durable
/// outbox, channel rate limits, frequency cap, quiet hours, idempotency keys, statistics), addressable by id.
/// </summary>
public interface ISendingManager
{
    /// <summary>Sends a campaign to every customer in the customer store now (a streamed scan; customers created later are not included).</summary>
    /// <param name="request">The campaign and options.</param>
    /// <param name="cancellationToken">Cancels the enrolling pass (the customers enrolled so far still get the message; send again with the same id to resume).</param>
    /// <returns>The sending once its audience is enrolled (messages are sent in the background).</returns>
    /// <exception cref="ArgumentException">The request is incomplete, its time zone is not known, or its campaign is not in the catalog.</exception>
    /// <exception cref="Validation.JourneyValidationException">The campaign cannot be sent as requested (such as an unbound template variable).</exception>
    /// <exception cref="InvalidOperationException">A sending with that id exists with another campaign or audience.</exception>
    /// <exception cref="Runtime.JourneyIdInUseException">The id is that of a deleted sending, whose enrollments and statistics are kept under it; nothing is sent.</exception>
    ValueTask<SendingStatus> SendToAllAsync(SendingRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends a campaign to a list of customer ids, read as a stream (constant memory whatever its length; plug in the ids
    /// of a CSV file here, or an in-memory list with <c>ids.ToAsyncEnumerable()</c>). Ids are trimmed; empty ids and ids not in the customer store are counted as unknown and
    /// skipped (a sending does not create customers); an id listed twice gets one message.
    /// </summary>
    /// <param name="request">The campaign and options.</param>
    /// <param name="customerIds">The customer ids.</param>
    /// <param name="cancellationToken">Cancels the enrolling pass (the customers enrolled so far still get the message; send again with the same id to resume).</param>
    /// <returns>The sending once its list is enrolled (messages are sent in the background).</returns>
    /// <exception cref="ArgumentException">The request is incomplete, its time zone is not known, or its campaign is not in the catalog.</exception>
    /// <exception cref="Validation.JourneyValidationException">The campaign cannot be sent as requested (such as an unbound template variable).</exception>
    /// <exception cref="InvalidOperationException">A sending with that id exists with another campaign or audience.</exception>
    /// <exception cref="Runtime.JourneyIdInUseException">The id is that of a deleted sending, whose enrollments and statistics are kept under it; nothing is sent.</exception>
    ValueTask<SendingStatus> SendToListAsync(SendingRequest request, IAsyncEnumerable<string> customerIds, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends a campaign to the customers of a CSV file (the product's "sending by CSV"): the file is imported first,
    /// exactly as <see cref="Audiences.IAudienceManager.ImportCsvAsync"/> does (a <c>customerId</c> column, other columns
    /// are customer fields, so the message can use them; unknown customers are created), then the campaign is sent to
    /// the file's ids as <see cref="SendToListAsync"/> does. Nothing is written and nothing is sent when the request is
    /// refused or, in the default all-or-nothing mode, when any row is bad; with
    /// <see cref="Audiences.CsvImportMode.ImportValidRows"/> the rejected rows get no message. A stream that cannot seek is
    /// spooled to a temporary file, so memory stays bounded whatever the file's size.
    /// </summary>
    /// <param name="request">The campaign and options.</param>
    /// <param name="csv">The CSV file (UTF-8; read to its end, left open).</param>
    /// <param name="options">How the file is read, or <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the import or the enrolling pass.</param>
    /// <returns>The import report and the sending.</returns>
    /// <exception cref="ArgumentException">The request is incomplete, its time zone is not known, or its campaign is not in the catalog.</exception>
    /// <exception cref="Validation.JourneyValidationException">The campaign cannot be sent as requested (such as an unbound template variable); nothing is imported.</exception>
    /// <exception cref="Audiences.CsvImportException">The file has bad rows (all-or-nothing mode) or no usable header; nothing is imported or sent. It lists each problem with its line and column.</exception>
    /// <exception cref="InvalidOperationException">A sending with that id exists with another campaign or audience.</exception>
    /// <exception cref="Runtime.JourneyIdInUseException">The id is that of a deleted sending, whose enrollments and statistics are kept under it; nothing is sent.</exception>
    ValueTask<CsvSendingResult> SendToCsvAsync(SendingRequest request, Stream csv, Audiences.CsvImportOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>A sending's state and counters, or <see langword="null"/> when there is no such sending.</summary>
    /// <param name="sendingId">The sending id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<SendingStatus?> GetAsync(string sendingId, CancellationToken cancellationToken = default);

    /// <summary>Every sending, ordered by journey id.</summary>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    IAsyncEnumerable<SendingStatus> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// A page of the sendings, in ordinal order of their ids: at most <paramref name="limit"/> of those whose id comes
    /// after <paramref name="afterSendingId"/> (from the first when <see langword="null"/>). Only the page's sendings
    /// have their counters read (one statistics read each), so a client lists many sendings a page at a time; the
    /// next page starts after the last id of this one. A sending made or deleted between two pages is in a later page
    /// or not, by its id.
    /// </summary>
    /// <param name="afterSendingId">The last id of the page before, or <see langword="null"/> for the first page.</param>
    /// <param name="limit">The most sendings in the page: 1 or more.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is less than 1.</exception>
    IAsyncEnumerable<SendingStatus> ListPageAsync(string? afterSendingId, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stops a sending: no more customers are enrolled, its enrollments not yet processed are cancelled, and its messages
    /// still in the outbox (held for quiet hours, waiting for a retry, or not yet sent) are withdrawn, counted as
    /// cancelled. A message a dispatcher is already sending may still go out.
    /// </summary>
    /// <param name="sendingId">The sending id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The stopped sending.</returns>
    /// <exception cref="KeyNotFoundException">There is no such sending.</exception>
    ValueTask<SendingStatus> StopAsync(string sendingId, CancellationToken cancellationToken = default);
}
