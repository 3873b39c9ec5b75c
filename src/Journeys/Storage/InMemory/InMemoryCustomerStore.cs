using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Journeys.Model;

namespace Journeys.Storage.InMemory;

/// <summary>
/// An <see cref="ICustomerStore"/> in process memory, for tests and benchmarks. Customers (immutable
/// <see cref="Customer"/> objects) live in a hash map guarded by one lock that reads take too, so an upsert or a
/// checkpoint's field updates become visible all at once, and <see cref="ScanAsync"/> streams a snapshot taken when the
/// enumeration starts, in id order (ordinal), however the store changes meanwhile. A batch that names one id twice is
/// refused with an <see cref="ArgumentException"/> before anything is written.
/// </summary>
/// <remarks>
/// A field update replaces one entry of the map (a new <see cref="Customer"/> sharing the rest of its immutable field
/// dictionary), instead of copying a path of an immutable sorted map per update; the sorting is paid by scans.
/// </remarks>
internal sealed class InMemoryCustomerStore : ICustomerStore
{
    private readonly Dictionary<string, Customer> _customers = new(StringComparer.Ordinal);
    private CustomerFieldSchema _schema = CustomerFieldSchema.Empty;

    /// <summary>Guards the map; <see cref="InMemoryEngineStore"/> takes it too, after its own, to apply a checkpoint's field updates atomically.</summary>
    internal Lock SyncRoot { get; } = new();

    /// <summary>How many customers are stored.</summary>
    internal int Count
    {
        get
        {
            lock (SyncRoot)
            {
                return _customers.Count;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<CustomerFieldSchema> GetSchemaAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Volatile.Read(ref _schema));
    }

    /// <inheritdoc />
    public ValueTask SaveSchemaAsync(CustomerFieldSchema schema, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(schema);
        cancellationToken.ThrowIfCancellationRequested();
        Volatile.Write(ref _schema, schema);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<Customer?> GetAsync(string customerId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(customerId);
        cancellationToken.ThrowIfCancellationRequested();
        lock (SyncRoot)
        {
            return ValueTask.FromResult(_customers.GetValueOrDefault(customerId));
        }
    }

    /// <inheritdoc />
    public ValueTask<CustomerUpsertResult> UpsertAsync(IReadOnlyList<Customer> customers, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(customers);
        cancellationToken.ThrowIfCancellationRequested();
        var seen = new HashSet<string>(customers.Count, StringComparer.Ordinal);
        for (var i = 0; i < customers.Count; i++)
        {
            var customer = customers[i] ?? throw new ArgumentException($"Customer at index {i} is null.", nameof(customers));
            if (!seen.Add(customer.Id))
            {
                throw new ArgumentException($"Customer '{customer.Id}' appears more than once in the batch (at index {i}); nothing was written.", nameof(customers));
            }
        }

        lock (SyncRoot)
        {
            int created = 0, updated = 0;
            foreach (var customer in customers)
            {
                ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_customers, customer.Id, out var exists);
                slot = customer;
                if (exists)
                {
                    updated++;
                }
                else
                {
                    created++;
                }
            }

            return ValueTask.FromResult(new CustomerUpsertResult(created, updated));
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> DeleteAsync(string customerId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(customerId);
        cancellationToken.ThrowIfCancellationRequested();
        lock (SyncRoot)
        {
            return ValueTask.FromResult(_customers.Remove(customerId));
        }
    }

    /// <inheritdoc />
    public IAsyncEnumerable<Customer> ScanAsync(CancellationToken cancellationToken = default) => Stream(cancellationToken);

    /// <summary>
    /// Sets customer fields (a <see cref="FieldValue.Null"/> value removes the field); a customer the store does not have
    /// is created with the field. The caller holds <see cref="SyncRoot"/>.
    /// </summary>
    /// <param name="updates">The updates, applied in order.</param>
    internal void ApplyFieldUpdatesLocked(IReadOnlyList<CustomerFieldUpdate> updates)
    {
        for (var i = 0; i < updates.Count; i++)
        {
            Apply(updates[i]);
        }
    }

    /// <summary>
    /// The field updates of the applied checkpoints, in checkpoint order. The caller holds <see cref="SyncRoot"/>, so
    /// readers see all of them or none.
    /// </summary>
    /// <param name="checkpoints">The checkpoints of a commit.</param>
    /// <param name="applied">Which of them are applied.</param>
    internal void ApplyFieldUpdatesLocked(IReadOnlyList<EnrollmentCheckpoint> checkpoints, bool[] applied)
    {
        for (var i = 0; i < checkpoints.Count; i++)
        {
            if (applied[i])
            {
                ApplyFieldUpdatesLocked(checkpoints[i].CustomerUpdates);
            }
        }
    }

    private void Apply(CustomerFieldUpdate update)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_customers, update.CustomerId, out var exists);
        if (exists)
        {
            var customer = slot!;
            var fields = update.Value.IsNull ? customer.Fields.Remove(update.Field) : customer.Fields.SetItem(update.Field, update.Value);
            slot = ReferenceEquals(fields, customer.Fields) ? customer : new Customer(customer.Id, fields, customer.TimeZoneId);
        }
        else
        {
            slot = new Customer(update.CustomerId, update.Value.IsNull ? [] : [KeyValuePair.Create(update.Field, update.Value)]);
        }
    }

    // The snapshot is taken when enumeration starts, so each enumeration sees the store as it was then.
    private async IAsyncEnumerable<Customer> Stream([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Customer[] snapshot;
        lock (SyncRoot)
        {
            snapshot = [.. _customers.Values];
        }

        Array.Sort(snapshot, static (x, y) => string.CompareOrdinal(x.Id, y.Id));
        foreach (var customer in snapshot)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return customer;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }
}
