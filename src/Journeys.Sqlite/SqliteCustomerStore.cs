using System.Runtime.CompilerServices;
using Journeys.Model;
using Journeys.Serialization;
using Journeys.Storage;
using Microsoft.Data.Sqlite;

namespace Journeys.Sqlite;

/// <summary>
/// Customers in the <c>customers</c> table (id, time zone, field values as one small JSON document) and the field
/// schema in <c>journeys_meta</c>. Same semantics as the in-memory store: an upsert is one transaction, a batch that
/// names an id twice is refused before anything is written, a scan streams one snapshot in id order.
/// </summary>
internal sealed class SqliteCustomerStore : ICustomerStore
{
    private readonly SqliteDatabase _database;

    public SqliteCustomerStore(SqliteDatabase database)
    {
        _database = database;
    }

    /// <inheritdoc />
    public ValueTask<CustomerFieldSchema> GetSchemaAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_database.Read("read the customer field schema", 0, static (session, _) =>
            session.Command("SELECT text FROM journeys_meta WHERE key = 'customer_schema'").ExecuteScalar() is string json
                ? JourneyJson.DeserializeSchema(json)
                : CustomerFieldSchema.Empty));
    }

    /// <inheritdoc />
    public async ValueTask SaveSchemaAsync(CustomerFieldSchema schema, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var json = JourneyJson.SerializeSchema(schema);
        await _database.WriteAsync("save the customer field schema", json, static (session, json) =>
        {
            var command = session.Command("INSERT INTO journeys_meta (key, text) VALUES ('customer_schema', $json) ON CONFLICT (key) DO UPDATE SET text = excluded.text");
            command.Parameters.AddWithValue("$json", json);
            return command.ExecuteNonQuery();
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<Customer?> GetAsync(string customerId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(customerId);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_database.Read("read a customer", customerId, static (session, id) => Find(session, id)));
    }

    /// <inheritdoc />
    /// <remarks>One statement on a reader connection for the whole list (the engine reads each batch's customers with it), ids passed as one JSON array.</remarks>
    public ValueTask<IReadOnlyList<Customer?>> GetManyAsync(IReadOnlyList<string> customerIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(customerIds);
        for (var i = 0; i < customerIds.Count; i++)
        {
            if (customerIds[i] is null)
            {
                throw new ArgumentException($"Customer id at index {i} is null.", nameof(customerIds));
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (customerIds.Count == 0)
        {
            return ValueTask.FromResult<IReadOnlyList<Customer?>>([]);
        }

        return ValueTask.FromResult(_database.Read("read customers", customerIds, static (session, ids) =>
        {
            var found = FindMany(session, ids);
            var result = new Customer?[ids.Count];
            for (var i = 0; i < result.Length; i++)
            {
                result[i] = found.GetValueOrDefault(ids[i]);
            }

            return (IReadOnlyList<Customer?>)result;
        }));
    }

    /// <inheritdoc />
    public async ValueTask<CustomerUpsertResult> UpsertAsync(IReadOnlyList<Customer> customers, CancellationToken cancellationToken = default)
    {
        StoreArgumentChecks.Customers(customers, nameof(customers));

        return await _database.WriteAsync("upsert customers", customers, static (session, customers) =>
        {
            int created = 0, updated = 0;
            foreach (var customer in customers)
            {
                if (Write(session, customer))
                {
                    created++;
                }
                else
                {
                    updated++;
                }
            }

            return new CustomerUpsertResult(created, updated);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// One write (the writer's <c>BEGIN IMMEDIATE</c> transaction, which the engine's commits use too): the stored
    /// customers are read with one statement and written inside it, so no other write, of this process or another, lands
    /// between the read and the write.
    /// </remarks>
    public async ValueTask<CustomerMergeResult> MergeAsync(IReadOnlyList<CustomerPatch> patches, CancellationToken cancellationToken = default)
    {
        var ids = StoreArgumentChecks.CustomerPatches(patches, nameof(patches));
        if (ids.Length == 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return new CustomerMergeResult(0, 0, []);
        }

        return await _database.WriteAsync("merge customers", (patches, ids), static (session, state) =>
        {
            var stored = FindMany(session, state.ids);
            var merged = new Customer[state.ids.Length];
            var created = 0;
            for (var i = 0; i < merged.Length; i++)
            {
                var existing = stored.GetValueOrDefault(state.ids[i]);
                created += existing is null ? 1 : 0;
                merged[i] = state.patches[i].ApplyTo(existing);
                Upsert(session, merged[i]);
            }

            return new CustomerMergeResult(created, merged.Length - created, merged);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<bool> DeleteAsync(string customerId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(customerId);
        return await _database.WriteAsync("delete a customer", customerId, static (session, id) =>
        {
            var command = session.Command("DELETE FROM customers WHERE customer_id = $id");
            command.Parameters.AddWithValue("$id", id);
            return command.ExecuteNonQuery() > 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>One snapshot (a read transaction on a connection of its own), streamed in id order: SQLite's binary order of UTF-8, which is ordinal order.</remarks>
    public async IAsyncEnumerable<Customer> ScanAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var connection = _database.OpenStreamConnection("scan customers");
        using var transaction = connection.BeginTransaction(deferred: true);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT customer_id, time_zone, fields FROM customers ORDER BY customer_id";
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return ReadCustomer(reader);
        }
    }

    /// <summary>A customer, or null, read on <paramref name="session"/> (inside its transaction when one is open).</summary>
    internal static Customer? Find(SqliteSession session, string customerId)
    {
        var command = session.Command("SELECT customer_id, time_zone, fields FROM customers WHERE customer_id = $id");
        command.Parameters.AddWithValue("$id", customerId);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadCustomer(reader) : null;
    }

    /// <summary>The customers named by <paramref name="ids"/> that exist, by id, read with one statement.</summary>
    private static Dictionary<string, Customer> FindMany(SqliteSession session, IReadOnlyList<string> ids)
    {
        var command = session.Command("SELECT customer_id, time_zone, fields FROM customers WHERE customer_id IN (SELECT value FROM json_each($ids))");
        command.Parameters.AddWithValue("$ids", SqliteValues.JsonArray(ids, static id => id));
        var found = new Dictionary<string, Customer>(StringComparer.Ordinal);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var customer = ReadCustomer(reader);
            found[customer.Id] = customer;
        }

        return found;
    }

    /// <summary>
    /// Applies a commit's field updates, in order, to their customers: the batch's stored documents read with one
    /// statement, each patched as bytes (<see cref="StoredFieldsPatch"/>: no decoding into a dictionary) and written
    /// once with a reused prepared statement; a customer the store does not have is created with the fields.
    /// </summary>
    internal static void ApplyUpdates(SqliteSession session, List<CustomerFieldUpdate> updates)
    {
        var read = session.Command("SELECT customer_id, fields FROM customers WHERE customer_id IN (SELECT value FROM json_each($ids))");
        read.Parameters.AddWithValue("$ids", SqliteValues.JsonArray(updates, static u => u.CustomerId));
        var stored = new Dictionary<string, byte[]>(updates.Count, StringComparer.Ordinal);
        using (var reader = read.ExecuteReader())
        {
            while (reader.Read())
            {
                stored[reader.GetString(0)] = SqliteValues.Blob(reader, 1);
            }
        }

        // Each customer's updates chained in order: first and last by customer, next by update.
        var chains = new Dictionary<string, (int First, int Last)>(updates.Count, StringComparer.Ordinal);
        var next = new int[updates.Count];
        for (var i = 0; i < updates.Count; i++)
        {
            next[i] = -1;
            var id = updates[i].CustomerId;
            if (chains.TryGetValue(id, out var chain))
            {
                next[chain.Last] = i;
                chains[id] = (chain.First, i);
            }
            else
            {
                chains.Add(id, (i, i));
            }
        }

        using var patch = new StoredFieldsPatch();
        var update = session.Statement("UPDATE customers SET fields = $fields WHERE customer_id = $id", "$fields", "$id");
        var insert = session.Statement("INSERT INTO customers (customer_id, time_zone, fields) VALUES ($id, NULL, $fields)", "$fields", "$id");
        foreach (var (id, chain) in chains)
        {
            patch.Clear();
            for (var i = chain.First; i >= 0; i = next[i])
            {
                patch.Add(updates[i]);
            }

            var exists = stored.TryGetValue(id, out var document);
            var command = exists ? update : insert;
            command.BindBlob(0, patch.Apply(document));
            command.Bind(1, id);
            command.Execute();
        }
    }

    /// <summary>Creates or replaces a customer with one statement.</summary>
    internal static void Upsert(SqliteSession session, Customer customer)
    {
        var command = session.Command("""
            INSERT INTO customers (customer_id, time_zone, fields) VALUES ($id, $zone, $fields)
            ON CONFLICT (customer_id) DO UPDATE SET time_zone = excluded.time_zone, fields = excluded.fields
            """);
        command.Parameters.AddWithValue("$id", customer.Id);
        command.Parameters.AddWithValue("$zone", SqliteValues.Text(customer.TimeZoneId));
        command.Parameters.AddWithValue("$fields", SqliteValues.Fields(customer.Fields));
        command.ExecuteNonQuery();
    }

    /// <summary>Creates or replaces a customer; true when it was created.</summary>
    internal static bool Write(SqliteSession session, Customer customer)
    {
        var exists = session.Command("SELECT 1 FROM customers WHERE customer_id = $id");
        exists.Parameters.AddWithValue("$id", customer.Id);
        var created = exists.ExecuteScalar() is null;
        Upsert(session, customer);
        return created;
    }

    private static Customer ReadCustomer(SqliteDataReader reader) => new(
        reader.GetString(0),
        SqliteValues.Fields(SqliteValues.Blob(reader, 2), StringComparer.OrdinalIgnoreCase),
        SqliteValues.NullableText(reader, 1));
}
