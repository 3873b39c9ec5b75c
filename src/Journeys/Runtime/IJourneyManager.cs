using Journeys.Model;
using Journeys.Storage;
using Journeys.Validation;

namespace Journeys.Runtime;

/// <summary>
/// The host app's entry point to journeys: create, update, validate, activate, stop, clone, read and delete them;
/// edit the nodes of drafts; enroll customers; publish customer events; read statistics.
/// </summary>
public interface IJourneyManager
{
    /// <summary>Stores a new journey (a draft).</summary>
    /// <param name="journey">The journey; its id must be new.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The stored record with its ETag.</returns>
    /// <exception cref="JourneyConcurrencyException">A journey with that id exists.</exception>
    /// <exception cref="JourneyIdInUseException">A deleted journey that had enrollments used the id (they and its statistics stay under it).</exception>
    /// <exception cref="ArgumentException">The id is not a valid journey id (1 to 128 letters, digits, '-', '_', '.' or ':'), or starts with <c>sending:</c> (<see cref="Sendings.SendingJourneys.JourneyIdPrefix"/>), the prefix reserved for sendings (<see cref="Sendings.ISendingManager"/>).</exception>
    ValueTask<JourneyRecord> CreateAsync(JourneyDefinition journey, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces a journey. A draft or validated journey is replaced in place (as a draft); an active, stopped or archived
    /// journey gets a new version (a draft, version + 1), and its running enrollments stay on the version they entered.
    /// </summary>
    /// <param name="journey">The new definition (its version and status are set by the manager).</param>
    /// <param name="expectedETag">The ETag read, or <see langword="null"/> to skip the check.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="KeyNotFoundException">No journey has that id.</exception>
    /// <exception cref="JourneyConcurrencyException">The journey changed since <paramref name="expectedETag"/>.</exception>
    /// <exception cref="ArgumentException">The id starts with <c>sending:</c> (<see cref="Sendings.SendingJourneys.JourneyIdPrefix"/>), the prefix reserved for sendings (<see cref="Sendings.ISendingManager"/>).</exception>
    ValueTask<JourneyRecord> UpdateAsync(JourneyDefinition journey, string? expectedETag, CancellationToken cancellationToken = default);

    /// <summary>The latest version of a journey, or <see langword="null"/>.</summary>
    /// <param name="journeyId">The journey id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<JourneyRecord?> GetAsync(string journeyId, CancellationToken cancellationToken = default);

    /// <summary>The latest version of every journey.</summary>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    IAsyncEnumerable<JourneyRecord> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Deletes a journey and its versions, cancelling its running enrollments.</summary>
    /// <param name="journeyId">The journey id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>False when there was no such journey.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="journeyId"/> is <see langword="null"/> (nothing is cancelled).</exception>
    ValueTask<bool> DeleteAsync(string journeyId, CancellationToken cancellationToken = default);

    /// <summary>Validates the latest version against the current customer fields and campaigns.</summary>
    /// <param name="journeyId">The journey id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="KeyNotFoundException">No journey has that id.</exception>
    ValueTask<ValidationResult> ValidateAsync(string journeyId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Activates the latest version: validates and compiles it (refused with every diagnostic if invalid), marks it
    /// active, and enrolls its audience (all customers, the matching customers of a filter, the ids of a list;
    /// an event audience enters as events are published). Before the entry window's start the activation is accepted
    /// and enrolls nobody now (0): the audience enters when the window opens, once, on a running host (durably: a host
    /// started after the start enrolls it then); a stop, a delete or a new version before the start drops that intake.
    /// A journey whose latest version is already active is left as it is and nobody is enrolled again (0): to enroll
    /// its audience again, stop it and activate it. Two activations at once in one process run one after the other, the
    /// second finding the journey active (0); on hosts sharing a store, the one whose save loses gets a
    /// <see cref="Storage.JourneyConcurrencyException"/>. A stop that lands while the activation enrolls its audience
    /// ends the enrolling before its next chunk: the activation still returns (the record it saved, active), and the
    /// count is at most the enrollments made before the stop (0 when the stop came before the run counted any), which
    /// the stop cancelled with the journey's others; read the journey again for its state.
    /// </summary>
    /// <param name="journeyId">The journey id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The active record and how many customers were enrolled.</returns>
    /// <exception cref="KeyNotFoundException">No journey has that id.</exception>
    /// <exception cref="JourneyValidationException">The journey does not validate.</exception>
    /// <exception cref="ArgumentException">The id starts with <c>sending:</c> (<see cref="Sendings.SendingJourneys.JourneyIdPrefix"/>), the prefix reserved for sendings (<see cref="Sendings.ISendingManager"/>).</exception>
    /// <exception cref="JourneyLifecycleException">The journey is archived (clone it to run it again) or its entry window has ended; nothing is saved.</exception>
    ValueTask<(JourneyRecord Journey, int Enrolled)> ActivateAsync(string journeyId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stops intake; waiting enrollments are cancelled, or left to finish when <paramref name="drain"/> is true. The latest
    /// version is the one marked stopped, whatever its status: when it is a draft of the next version, that draft becomes
    /// the stopped version (no longer editable node by node; <see cref="UpdateAsync"/> makes a new draft from it), and
    /// the version that ran takes no more entries. An archived journey stays archived (its enrollments are still
    /// cancelled): marked stopped, it could be started again, and an archived journey is run again only as a clone.
    /// </summary>
    /// <param name="journeyId">The journey id.</param>
    /// <param name="drain">True to let running enrollments finish.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The stopped record and how many enrollments were cancelled.</returns>
    /// <exception cref="KeyNotFoundException">No journey has that id.</exception>
    /// <exception cref="ArgumentException">The id starts with <c>sending:</c> (<see cref="Sendings.SendingJourneys.JourneyIdPrefix"/>): a sending is stopped with <see cref="Sendings.ISendingManager.StopAsync"/>, which cancels everything it has not sent (no drain).</exception>
    ValueTask<(JourneyRecord Journey, int Cancelled)> StopAsync(string journeyId, bool drain = false, CancellationToken cancellationToken = default);

    /// <summary>Copies a journey into a new draft.</summary>
    /// <param name="journeyId">The journey to copy.</param>
    /// <param name="newId">The new id.</param>
    /// <param name="newName">The new name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new draft (version 1).</returns>
    /// <exception cref="KeyNotFoundException">No journey has the id <paramref name="journeyId"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="newId"/> is not a valid journey id (1 to 128 letters, digits, '-', '_', '.' or ':') or starts with <c>sending:</c> (<see cref="Sendings.SendingJourneys.JourneyIdPrefix"/>), the prefix reserved for sendings; or <paramref name="newName"/> is empty.</exception>
    /// <exception cref="JourneyConcurrencyException">A journey with the id <paramref name="newId"/> exists.</exception>
    /// <exception cref="JourneyIdInUseException">A deleted journey that had enrollments used the id <paramref name="newId"/>.</exception>
    ValueTask<JourneyRecord> CloneAsync(string journeyId, string newId, string newName, CancellationToken cancellationToken = default);

    /// <summary>Applies a draft edit (<c>j =&gt; j.AddNode(...)</c>, <c>ReplaceNode</c>, <c>RemoveNode</c>) to the latest version and stores it.</summary>
    /// <param name="journeyId">The journey id.</param>
    /// <param name="edit">The edit, from <see cref="Building.JourneyDrafts"/>.</param>
    /// <param name="expectedETag">The ETag read, or <see langword="null"/> to skip the check.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="Building.JourneyEditException">The edit is refused (for example, the journey is active), or it returned a journey with another id or version, or not a draft (nothing is stored).</exception>
    /// <exception cref="KeyNotFoundException">No journey has that id.</exception>
    /// <exception cref="ArgumentException">The id starts with <c>sending:</c> (<see cref="Sendings.SendingJourneys.JourneyIdPrefix"/>), the prefix reserved for sendings (<see cref="Sendings.ISendingManager"/>).</exception>
    /// <exception cref="JourneyConcurrencyException">The journey changed since <paramref name="expectedETag"/> (or since it was read, when none is given). A stale <paramref name="expectedETag"/> is answered before <paramref name="edit"/> runs, so before any <see cref="Building.JourneyEditException"/>.</exception>
    ValueTask<JourneyRecord> EditAsync(string journeyId, Func<JourneyDefinition, JourneyDefinition> edit, string? expectedETag = null, CancellationToken cancellationToken = default);

    /// <summary>Enrolls customers into the active version of a journey, under its entry rules.</summary>
    /// <param name="journeyId">The journey id.</param>
    /// <param name="customerIds">The customers (unknown ids are enrolled too; their fields are empty).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One outcome per id, in order.</returns>
    /// <exception cref="JourneyLifecycleException">The journey is not active, or its audience is a customer list that accepts no additions (<see cref="JourneyLifecycleRefusal.ListClosed"/>; nothing is enrolled), or it was stopped while the customers were being enrolled (the enrollments this call created after the stop are cancelled, and no more are created).</exception>
    /// <exception cref="KeyNotFoundException">No journey has that id.</exception>
    /// <exception cref="ArgumentException">The id is a sending's journey (it starts with <c>sending:</c>): a sending takes its audience from <see cref="Sendings.ISendingManager"/> only; or a customer id is null, empty or white space (its index is named; nothing is enrolled).</exception>
    ValueTask<IReadOnlyList<EnrollmentOutcome>> EnrollAsync(string journeyId, IReadOnlyList<string> customerIds, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates or replaces customers (all or nothing), then enrolls each into the active journeys whose audience is all
    /// customers or a filter they now match, under each journey's entry rules (a customer already in a journey is not
    /// enrolled twice). A replacement writes every field: to change some fields and keep the rest, including what the
    /// engine's update node writes meanwhile, use <see cref="Audiences.IAudienceManager.PutCustomersAsync"/> (a merge).
    /// </summary>
    /// <param name="customers">The customers; ids must be distinct.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many customers were created and updated, and how many enrollments were created.</returns>
    /// <exception cref="Audiences.CustomerInputException">
    /// A customer is null, has a value of another type than its customer field's (a <see cref="FieldValue"/> is not
    /// converted: a date-time field takes <see cref="FieldValue.FromDateTime"/>, not a string), an id with white space at its
    /// start or end or one given twice, or an unknown time zone: checked as <see cref="Audiences.IAudienceManager.PutCustomersAsync"/>
    /// checks, every problem named by the customer's index, id and field; nothing is written and nobody is enrolled. A field
    /// the schema lacks is written as given (journeys ignore it until it is defined).
    /// </exception>
    ValueTask<(CustomerUpsertResult Customers, int Enrolled)> PutCustomersAsync(IReadOnlyList<Customer> customers, CancellationToken cancellationToken = default);

    /// <summary>
    /// Publishes customer events: they wake the enrollments waiting for them, end as converted the enrollments whose
    /// journey has them as a goal, and enroll the customers into active journeys that start on them.
    /// </summary>
    /// <param name="events">The events.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ArgumentException">An event is null, has an empty customer id or name, the reserved name <c>journeys.webhook.result</c> (the engine's own webhook results), or an empty id or one over 200 characters (nothing is published).</exception>
    /// <remarks>An event published again with its id within <see cref="JourneysOptions.EventIdWindow"/> is not handled again (see <see cref="PublishNewAsync"/>).</remarks>
    ValueTask PublishAsync(IReadOnlyList<CustomerEvent> events, CancellationToken cancellationToken = default);

    /// <summary>
    /// Publishes customer events as <see cref="PublishAsync"/> does and says how many were handled. An event with an
    /// <see cref="CustomerEvent.Id"/> that was published for the same customer within
    /// <see cref="JourneysOptions.EventIdWindow"/> is a retried publish: it is acknowledged, not handled again (no wake,
    /// no conversion, no entry, no feedback count) and not counted in the result. With this library's stores a call that
    /// fails is safe to retry with the same ids: its events and what they cause were written in one step or not at all,
    /// so the retry makes what the failed call did not, and nothing twice.
    /// </summary>
    /// <param name="events">The events.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many of the events this call handled; the others an earlier call had handled (also one that failed after its store step).</returns>
    /// <exception cref="ArgumentException">An event is null, has an empty customer id or name, the reserved name <c>journeys.webhook.result</c> (the engine's own webhook results), or an empty id or one over 200 characters (nothing is published).</exception>
    async ValueTask<int> PublishNewAsync(IReadOnlyList<CustomerEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        await PublishAsync(events, cancellationToken).ConfigureAwait(false);
        return events.Count;
    }

    /// <summary>The statistics of a journey (one version, or all summed).</summary>
    /// <param name="journeyId">The journey id.</param>
    /// <param name="version">The version, or <see langword="null"/> for all.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<JourneyStatistics> GetStatisticsAsync(string journeyId, int? version = null, CancellationToken cancellationToken = default);

    /// <summary>Live statistics: a snapshot now, then one every <paramref name="interval"/> (on the engine's clock) until cancelled.</summary>
    /// <param name="journeyId">The journey id.</param>
    /// <param name="interval">Time between snapshots (at least 10 ms, at most 49 days).</param>
    /// <param name="cancellationToken">Ends the stream.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="interval"/> is under 10 ms or over 49 days (thrown when the enumeration starts).</exception>
    IAsyncEnumerable<JourneyStatistics> WatchStatisticsAsync(string journeyId, TimeSpan interval, CancellationToken cancellationToken = default);
}
