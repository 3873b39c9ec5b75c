using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Journeys.Model;

namespace Journeys.Storage.InMemory;

/// <summary>
/// An <see cref="ICustomerStore"/> in process memory, for tests and benchmarks. Customers live in an immutable sorted
/// map swapped under a lock, so an upsert is all or nothing and <see cref="ScanAsync"/> streams a consistent snapshot
/// in id order (ordinal) however the store changes meanwhile. A batch that names one id twice is refused with an
/// <see cref="ArgumentException"/> before anything is written.
/// </summary>
internal sealed class InMemoryCustomerStore : ICustomerStore
{
    private ImmutableSortedDictionary<string, Customer> _customers = ImmutableSortedDictionary.Create<string, Customer>(StringComparer.Ordinal);
    private CustomerFieldSchema _schema = CustomerFieldSchema.Empty;

    /// <summary>Guards writes; <see cref="InMemoryEngineStore"/> takes it too, after its own, to apply a checkpoint's field updates atomically.</summary>
    internal Lock SyncRoot { get; } = new();

    /// <summary>How many customers are stored.</summary>
    internal int Count => Volatile.Read(ref _customers).Count;

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
        return ValueTask.FromResult(Volatile.Read(ref _customers).GetValueOrDefault(customerId));
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
            var builder = _customers.ToBuilder();
            int created = 0, updated = 0;
            foreach (var customer in customers)
            {
                if (builder.ContainsKey(customer.Id))
                {
                    updated++;
                }
                else
                {
                    created++;
                }

                builder[customer.Id] = customer;
            }

            Volatile.Write(ref _customers, builder.ToImmutable());
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
            var after = _customers.Remove(customerId);
            if (ReferenceEquals(after, _customers))
            {
                return ValueTask.FromResult(false);
            }

            Volatile.Write(ref _customers, after);
            return ValueTask.FromResult(true);
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
        if (updates.Count == 0)
        {
            return;
        }

        var builder = _customers.ToBuilder();
        ApplyFieldUpdates(builder, updates);
        Volatile.Write(ref _customers, builder.ToImmutable());
    }

    /// <summary>
    /// The field updates of the applied checkpoints, in checkpoint order, through one builder: one new snapshot for the
    /// whole batch rather than one per checkpoint. The caller holds <see cref="SyncRoot"/>.
    /// </summary>
    /// <param name="checkpoints">The checkpoints of a commit.</param>
    /// <param name="applied">Which of them are applied.</param>
    internal void ApplyFieldUpdatesLocked(IReadOnlyList<EnrollmentCheckpoint> checkpoints, bool[] applied)
    {
        ImmutableSortedDictionary<string, Customer>.Builder? builder = null;
        for (var i = 0; i < checkpoints.Count; i++)
        {
            if (applied[i] && checkpoints[i].CustomerUpdates.Count > 0)
            {
                ApplyFieldUpdates(builder ??= _customers.ToBuilder(), checkpoints[i].CustomerUpdates);
            }
        }

        if (builder is not null)
        {
            Volatile.Write(ref _customers, builder.ToImmutable());
        }
    }

    private static void ApplyFieldUpdates(ImmutableSortedDictionary<string, Customer>.Builder builder, IReadOnlyList<CustomerFieldUpdate> updates)
    {
        for (var i = 0; i < updates.Count; i++)
        {
            var update = updates[i];
            if (builder.TryGetValue(update.CustomerId, out var customer))
            {
                var fields = update.Value.IsNull ? customer.Fields.Remove(update.Field) : customer.Fields.SetItem(update.Field, update.Value);
                builder[update.CustomerId] = new Customer(customer.Id, fields, customer.TimeZoneId);
            }
            else
            {
                var fields = update.Value.IsNull ? [] : new[] { KeyValuePair.Create(update.Field, update.Value) };
                builder[update.CustomerId] = new Customer(update.CustomerId, fields);
            }
        }
    }

    // The snapshot is taken when enumeration starts, so each enumeration sees the store as it was then.
    private async IAsyncEnumerable<Customer> Stream([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var snapshot = Volatile.Read(ref _customers);
        foreach (var pair in snapshot)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return pair.Value;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }
}
