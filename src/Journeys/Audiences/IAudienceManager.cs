using Journeys.Model;

namespace Journeys.Audiences;

/// <summary>
/// The audience side of journeys: the customer field schema ("Customer Fields"), customers put by fields or imported
/// from CSV, and list entry of customers into a journey. Writes merge fields into the stored customers with
/// <see cref="Storage.ICustomerStore.MergeAsync"/> (a field another writer, such as the engine's update node, sets
/// meanwhile is kept), and written customers then enter the active journeys whose audience is all customers or a filter
/// they now match, as with <see cref="Runtime.IJourneyManager.PutCustomersAsync"/>.
/// Registered by <c>AddJourneys()</c>. Exception messages may name customer ids; the library logs counts only.
/// </summary>
public interface IAudienceManager
{
    /// <summary>The customer field schema.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<CustomerFieldSchema> GetFieldsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds a field, or replaces the one of that name (matched ignoring case). Changing the type of a field that an
    /// active journey uses is refused; changing its default is allowed.
    /// </summary>
    /// <param name="field">The field: its name, type and optional default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new schema.</returns>
    /// <exception cref="ArgumentException">The name is invalid, or the default does not have the field's type.</exception>
    /// <exception cref="CustomerFieldInUseException">The type changes and active journeys use the field; it names the journeys and nodes.</exception>
    ValueTask<CustomerFieldSchema> DefineFieldAsync(FieldDefinition field, CancellationToken cancellationToken = default);

    /// <summary>Removes a field from the schema.</summary>
    /// <param name="name">The field name (ignoring case).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>False when the schema has no such field.</returns>
    /// <exception cref="CustomerFieldInUseException">Active journeys use the field; it names the journeys and nodes.</exception>
    ValueTask<bool> RemoveFieldAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates or updates customers, all or nothing: every value is checked against the schema first (a wrong type or
    /// an unknown field refuses the whole batch, unless <see cref="AudienceOptions.AddUnknownFieldsAsStrings"/> adds
    /// unknown fields as strings). Fields named are set (null clears), fields not named keep their values, the time zone
    /// is kept unless one is given; each customer is read and written as one step in the store, so a field another
    /// writer sets meanwhile is never written back to its old value.
    /// </summary>
    /// <param name="customers">The customers; each id once.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Created, updated, and enrollments into all-customers and filter journeys.</returns>
    /// <exception cref="CustomerInputException">A customer is bad; it lists every problem with index, id and field. Nothing was written.</exception>
    ValueTask<AudienceReport> PutCustomersAsync(IReadOnlyList<CustomerInput> customers, CancellationToken cancellationToken = default);

    /// <summary>A customer, or <see langword="null"/>.</summary>
    /// <param name="customerId">The customer id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<Customer?> GetCustomerAsync(string customerId, CancellationToken cancellationToken = default);

    /// <summary>Deletes a customer, first cancelling their active and waiting enrollments in every journey.</summary>
    /// <param name="customerId">The customer id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>False when there was no such customer (their enrollments, if any, are cancelled all the same).</returns>
    ValueTask<bool> DeleteCustomerAsync(string customerId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Erases a customer (a request to be forgotten): does what <see cref="DeleteCustomerAsync"/> does (live enrollments
    /// cancelled, their queued messages withdrawn, the profile deleted), then deletes every enrollment of theirs, ended
    /// ones included (<see cref="Storage.IEnrollmentStore.EraseCustomerAsync"/>), their retained events and event ids,
    /// and the frequency cap's records of sends to them (<see cref="Storage.IFrequencyCapStore.EraseCustomerSendsAsync"/>).
    /// The statistics keep their counts (they hold no customer), and so do the journeys' entry counts. What stays: the id
    /// where a journey names it (a customer-list audience: edit the journey), messages a sender holds at that moment,
    /// and what the host's own logs and providers keep. A customer put again with the same id is a new customer: the
    /// re-entry rules no longer see the erased enrollments.
    /// </summary>
    /// <param name="customerId">The customer id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>False when there was no profile (the rest is erased all the same).</returns>
    /// <exception cref="NotSupportedException">A store does not erase customers; it is found before the profile or a live enrollment is touched.</exception>
    ValueTask<bool> EraseCustomerAsync(string customerId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Imports customers from a CSV stream (see <see cref="CustomerCsvReader"/> for the format), in batches of
    /// <see cref="CsvImportOptions.BatchSize"/>. By default the whole file is checked first and nothing is written
    /// if any row is bad; memory stays bounded whatever the file size (a stream that cannot seek is spooled to a
    /// temporary file for the second pass). Existing customers keep the fields the file has no column for.
    /// </summary>
    /// <param name="csv">The CSV (read from its current position; a seekable stream must not change during the import).</param>
    /// <param name="options">The rules, or <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the import (batches already written stay written).</param>
    /// <returns>Rows read, customers created and updated, enrollments, rejected rows and their problems.</returns>
    /// <exception cref="CsvImportException">The file is refused (all-or-nothing mode, or a problem of the whole file); nothing was written.</exception>
    ValueTask<AudienceReport> ImportCsvAsync(Stream csv, CsvImportOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// List entry: enrolls customers by id into an active journey, under its entry rules. Unknown ids are created as
    /// customers without fields first. Customers already in the journey, or refused by re-entry, cap or window, are
    /// reported as not enrolled.
    /// </summary>
    /// <param name="journeyId">The journey.</param>
    /// <param name="customerIds">The ids.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ArgumentException">An id is empty, or the journey is a sending's (its id starts with <c>sending:</c>): nothing is written.</exception>
    /// <exception cref="KeyNotFoundException">No journey has that id.</exception>
    /// <exception cref="InvalidOperationException">The journey is not active, or its audience is a customer list that accepts no additions (a <see cref="Runtime.JourneyLifecycleException"/>; nothing is written).</exception>
    ValueTask<AudienceReport> EnrollListAsync(string journeyId, IReadOnlyList<string> customerIds, CancellationToken cancellationToken = default);

    /// <summary>List entry by fields: puts the customers (as <see cref="PutCustomersAsync"/>), then enrolls them into an active journey.</summary>
    /// <param name="journeyId">The journey.</param>
    /// <param name="customers">The customers.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="KeyNotFoundException">No journey has that id.</exception>
    /// <exception cref="InvalidOperationException">The journey is not active, or its audience is a customer list that accepts no additions (a <see cref="Runtime.JourneyLifecycleException"/>; nothing is written).</exception>
    /// <exception cref="CustomerInputException">A customer is bad; nothing was written.</exception>
    ValueTask<AudienceReport> EnrollCustomersAsync(string journeyId, IReadOnlyList<CustomerInput> customers, CancellationToken cancellationToken = default);

    /// <summary>List entry by CSV: imports the file (as <see cref="ImportCsvAsync"/>) and enrolls every imported customer into an active journey.</summary>
    /// <param name="journeyId">The journey.</param>
    /// <param name="csv">The CSV.</param>
    /// <param name="options">The rules, or <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="KeyNotFoundException">No journey has that id.</exception>
    /// <exception cref="InvalidOperationException">The journey is not active, or its audience is a customer list that accepts no additions (a <see cref="Runtime.JourneyLifecycleException"/>; nothing is written).</exception>
    /// <exception cref="CsvImportException">The file is refused; nothing was written.</exception>
    ValueTask<AudienceReport> EnrollCsvAsync(string journeyId, Stream csv, CsvImportOptions? options = null, CancellationToken cancellationToken = default);
}
