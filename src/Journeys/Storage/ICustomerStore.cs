using Journeys.Model;

namespace Journeys.Storage;

/// <summary>Customers, their field values and the customer field schema.</summary>
public interface ICustomerStore
{
    /// <summary>The customer field schema (empty until one is saved).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<CustomerFieldSchema> GetSchemaAsync(CancellationToken cancellationToken = default);

    /// <summary>Replaces the customer field schema.</summary>
    /// <param name="schema">The schema.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask SaveSchemaAsync(CustomerFieldSchema schema, CancellationToken cancellationToken = default);

    /// <summary>A customer, or <see langword="null"/>.</summary>
    /// <param name="customerId">The customer id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<Customer?> GetAsync(string customerId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Customers by id, in the order of <paramref name="customerIds"/> (<see langword="null"/> where there is none).
    /// The engine reads a batch's customers with one call; a store over a network overrides this with one query. The
    /// default calls <see cref="GetAsync"/> for each id in turn.
    /// </summary>
    /// <param name="customerIds">The customer ids (repeats allowed).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One entry per id.</returns>
    async ValueTask<IReadOnlyList<Customer?>> GetManyAsync(IReadOnlyList<string> customerIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(customerIds);
        var result = new Customer?[customerIds.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = await GetAsync(customerIds[i] ?? throw new ArgumentException($"Customer id at index {i} is null.", nameof(customerIds)), cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>Creates or replaces customers, all or nothing.</summary>
    /// <param name="customers">The customers; ids must be distinct.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many were created and how many updated.</returns>
    ValueTask<CustomerUpsertResult> UpsertAsync(IReadOnlyList<Customer> customers, CancellationToken cancellationToken = default);

    /// <summary>
    /// Changes customers' fields, all or nothing: per patch, the fields it names are set (a <see cref="FieldValue.Null"/>
    /// value removes the field) and the others keep their stored values; the time zone changes only when the patch gives
    /// one; a customer the store does not have is created. Each customer is read and written as one step against every
    /// other writer of the store (other merges, upserts, the engine's <see cref="IEnrollmentStore.CommitAsync"/> field
    /// updates, other hosts of a shared database), so a field another writer sets meanwhile is kept, never written back
    /// to its old value.
    /// </summary>
    /// <remarks>
    /// The stores of this library override it (under the store's lock, in one write transaction, or with the rows locked).
    /// The default, for a store that does not, reads the customers with <see cref="GetManyAsync"/>, merges them and
    /// writes them with <see cref="UpsertAsync"/>: all or nothing, but <b>not</b> atomic, as a write landing between the
    /// read and the upsert is replaced. Such a store should override it.
    /// </remarks>
    /// <param name="patches">The patches; customer ids must be distinct (<see cref="StoreArgumentChecks.CustomerPatches"/>).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many customers were created and how many updated, and the customers as written, in the order of the patches.</returns>
    /// <exception cref="ArgumentException">A patch is null or incomplete, names a field twice, or an id is patched twice (the index is named); nothing was written.</exception>
    async ValueTask<CustomerMergeResult> MergeAsync(IReadOnlyList<CustomerPatch> patches, CancellationToken cancellationToken = default)
    {
        var ids = StoreArgumentChecks.CustomerPatches(patches, nameof(patches));
        if (ids.Length == 0)
        {
            return new CustomerMergeResult(0, 0, []);
        }

        var stored = await GetManyAsync(ids, cancellationToken).ConfigureAwait(false);
        var merged = new Customer[ids.Length];
        for (var i = 0; i < merged.Length; i++)
        {
            merged[i] = patches[i].ApplyTo(stored[i]);
        }

        var written = await UpsertAsync(merged, cancellationToken).ConfigureAwait(false);
        return new CustomerMergeResult(written.Created, written.Updated, merged);
    }

    /// <summary>Deletes a customer.</summary>
    /// <param name="customerId">The customer id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>False when there was no such customer.</returns>
    ValueTask<bool> DeleteAsync(string customerId, CancellationToken cancellationToken = default);

    /// <summary>Every customer, streamed in id order (constant memory for the caller).</summary>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    IAsyncEnumerable<Customer> ScanAsync(CancellationToken cancellationToken = default);
}
