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

    /// <summary>Deletes a customer.</summary>
    /// <param name="customerId">The customer id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>False when there was no such customer.</returns>
    ValueTask<bool> DeleteAsync(string customerId, CancellationToken cancellationToken = default);

    /// <summary>Every customer, streamed in id order (constant memory for the caller).</summary>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    IAsyncEnumerable<Customer> ScanAsync(CancellationToken cancellationToken = default);
}
