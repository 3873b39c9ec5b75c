using Journeys.Storage;

namespace Journeys.Tests.Audiences;

/// <summary>
/// An <see cref="ICustomerStore"/> that passes the members every store implements on to another store and leaves
/// <see cref="ICustomerStore.GetManyAsync"/> and <see cref="ICustomerStore.MergeAsync"/> to the interface's defaults:
/// a store that is not one of the library's (the CSV import takes its spool path, a merge is read-merge-write). A
/// subclass that implements the interface again can replace those two.
/// </summary>
internal class PassThroughCustomerStore(ICustomerStore inner) : ICustomerStore
{
    protected ICustomerStore Inner => inner;

    public ValueTask<Customer?> GetAsync(string customerId, CancellationToken cancellationToken = default) => inner.GetAsync(customerId, cancellationToken);

    public ValueTask<CustomerFieldSchema> GetSchemaAsync(CancellationToken cancellationToken = default) => inner.GetSchemaAsync(cancellationToken);

    public ValueTask SaveSchemaAsync(CustomerFieldSchema schema, CancellationToken cancellationToken = default) => inner.SaveSchemaAsync(schema, cancellationToken);

    public ValueTask<CustomerUpsertResult> UpsertAsync(IReadOnlyList<Customer> customers, CancellationToken cancellationToken = default) => inner.UpsertAsync(customers, cancellationToken);

    public ValueTask<bool> DeleteAsync(string customerId, CancellationToken cancellationToken = default) => inner.DeleteAsync(customerId, cancellationToken);

    public IAsyncEnumerable<Customer> ScanAsync(CancellationToken cancellationToken = default) => inner.ScanAsync(cancellationToken);
}
