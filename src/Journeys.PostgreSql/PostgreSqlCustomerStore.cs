using System.Runtime.CompilerServices;
using Journeys.Model;
using Journeys.Serialization;
using Journeys.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Journeys.PostgreSql;

/// <summary>
/// Customers in PostgreSQL: one row per customer id with its fields as typed JSON (<see cref="FieldJson"/>) and its
/// time zone; the field schema as one JSON document. Upserts are one statement over arrays (all or nothing).
/// </summary>
internal sealed class PostgreSqlCustomerStore(PostgreSqlDatabase database) : ICustomerStore
{
    /// <inheritdoc />
    public ValueTask<CustomerFieldSchema> GetSchemaAsync(CancellationToken cancellationToken = default) =>
        database.ExecuteAsync("get customer schema", async (connection, token) =>
        {
            using var command = database.Command(connection, null, "SELECT document FROM {s}.customer_schema");
            return await command.ExecuteScalarAsync(token).ConfigureAwait(false) is string json ? JourneyJson.DeserializeSchema(json) : CustomerFieldSchema.Empty;
        }, cancellationToken);

    /// <inheritdoc />
    public async ValueTask SaveSchemaAsync(CustomerFieldSchema schema, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var json = JourneyJson.SerializeSchema(schema);
        await database.InTransactionAsync("save customer schema", async (connection, transaction, token) =>
        {
            using var command = database.Command(connection, transaction, """
                INSERT INTO {s}.customer_schema (singleton, document) VALUES (true, $1)
                ON CONFLICT (singleton) DO UPDATE SET document = excluded.document
                """);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = json });
            var written = await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);

            // Other hosts forget the journeys they compiled against the schema before.
            await database.NotifyAsync(connection, transaction, PostgreSqlDatabase.SchemaPayload, token).ConfigureAwait(false);
            return written;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<Customer?> GetAsync(string customerId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(customerId);
        return database.ExecuteAsync("get customer", async (connection, token) =>
        {
            using var command = database.Command(connection, null, "SELECT customer_id, fields, time_zone FROM {s}.customers WHERE customer_id = $1");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = customerId });
            using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            return await reader.ReadAsync(token).ConfigureAwait(false) ? Read(reader) : null;
        }, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>One query for the whole list (<c>customer_id = ANY</c>, through the primary key), whatever its length.</remarks>
    public ValueTask<IReadOnlyList<Customer?>> GetManyAsync(IReadOnlyList<string> customerIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(customerIds);
        var distinct = new HashSet<string>(customerIds.Count, StringComparer.Ordinal);
        for (var i = 0; i < customerIds.Count; i++)
        {
            distinct.Add(customerIds[i] ?? throw new ArgumentException($"Customer id at index {i} is null.", nameof(customerIds)));
        }

        if (distinct.Count == 0)
        {
            return ValueTask.FromResult<IReadOnlyList<Customer?>>([]);
        }

        var ids = distinct.ToArray();
        return database.ExecuteAsync<IReadOnlyList<Customer?>>("get customers", async (connection, token) =>
        {
            var found = new Dictionary<string, Customer>(ids.Length, StringComparer.Ordinal);
            // A generic plan (the primary key probed per id, whatever the list's length), made once per connection.
            var batch = new NpgsqlBatch(connection);
            await using (batch.ConfigureAwait(false))
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand(PostgreSqlEngineStore.GenericPlanSql));
                var read = new NpgsqlBatchCommand(database.Sql("SELECT customer_id, fields, time_zone FROM {s}.customers WHERE customer_id = ANY ($1)"));
                read.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ids });
                batch.BatchCommands.Add(read);
                await batch.PrepareAsync(token).ConfigureAwait(false);
                using var reader = await batch.ExecuteReaderAsync(token).ConfigureAwait(false);
                await reader.NextResultAsync(token).ConfigureAwait(false);
                while (await reader.ReadAsync(token).ConfigureAwait(false))
                {
                    var customer = Read(reader);
                    found[customer.Id] = customer;
                }
            }

            var result = new Customer?[customerIds.Count];
            for (var i = 0; i < result.Length; i++)
            {
                result[i] = found.GetValueOrDefault(customerIds[i]);
            }

            return result;
        }, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>One statement over arrays; <c>xmax = 0</c> tells the inserted rows from the replaced ones.</remarks>
    public ValueTask<CustomerUpsertResult> UpsertAsync(IReadOnlyList<Customer> customers, CancellationToken cancellationToken = default)
    {
        StoreArgumentChecks.Customers(customers, nameof(customers));
        var ids = new string[customers.Count];
        var fields = new string[customers.Count];
        var zones = new string?[customers.Count];
        for (var i = 0; i < customers.Count; i++)
        {
            var customer = customers[i];
            ids[i] = customer.Id;
            fields[i] = FieldJson.Write(customer.Fields);
            zones[i] = customer.TimeZoneId;
        }

        if (customers.Count == 0)
        {
            return ValueTask.FromResult(default(CustomerUpsertResult));
        }

        return database.ExecuteAsync("upsert customers", async (connection, token) =>
        {
            using var command = database.Command(connection, null, """
                INSERT INTO {s}.customers (customer_id, fields, time_zone)
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
                ON CONFLICT (customer_id) DO UPDATE SET fields = excluded.fields, time_zone = excluded.time_zone
                RETURNING (xmax = 0)
                """);
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ids });
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = fields });
            command.Parameters.Add(new NpgsqlParameter { Value = zones, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            int created = 0, updated = 0;
            using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                if (reader.GetBoolean(0))
                {
                    created++;
                }
                else
                {
                    updated++;
                }
            }

            return new CustomerUpsertResult(created, updated);
        }, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// One transaction, two round trips. First, one batch: the customers that do not exist are inserted empty (in id
    /// order, <c>ON CONFLICT DO NOTHING</c>: the inserted ids are the created ones; a row another writer inserts meanwhile
    /// is waited for and then merged as stored), and every row is read and locked (<c>FOR UPDATE</c>, in id order, as
    /// the engine's commit locks the customers it updates). Then the merged customers are written with one statement.
    /// Another writer of these customers (a merge, an upsert, a commit's field updates, on any host) waits for the locks,
    /// so nothing it writes is lost; a deadlock is transient and retried from the start. The documents are read with
    /// the commit's appended updates applied (<see cref="FieldJson.ReadCustomer"/>) and written back as one entry per field.
    /// </remarks>
    public ValueTask<CustomerMergeResult> MergeAsync(IReadOnlyList<CustomerPatch> patches, CancellationToken cancellationToken = default)
    {
        var ids = StoreArgumentChecks.CustomerPatches(patches, nameof(patches));
        if (ids.Length == 0)
        {
            return ValueTask.FromResult(new CustomerMergeResult(0, 0, []));
        }

        return database.InTransactionAsync("merge customers", async (connection, transaction, token) =>
        {
            var stored = new Dictionary<string, Customer>(ids.Length, StringComparer.Ordinal);
            var created = 0;
            var batch = new NpgsqlBatch(connection, transaction);
            await using (batch.ConfigureAwait(false))
            {
                var insert = new NpgsqlBatchCommand(database.Sql("""
                    INSERT INTO {s}.customers (customer_id, fields, time_zone)
                    SELECT u.c, '{}', NULL FROM unnest($1::text[]) AS u(c) ORDER BY u.c COLLATE "C"
                    ON CONFLICT (customer_id) DO NOTHING
                    """));
                insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ids });
                var read = new NpgsqlBatchCommand(database.Sql("SELECT customer_id, fields, time_zone FROM {s}.customers WHERE customer_id = ANY ($1) ORDER BY customer_id FOR UPDATE"));
                read.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ids });
                batch.BatchCommands.Add(insert);
                batch.BatchCommands.Add(read);
                using var reader = await batch.ExecuteReaderAsync(token).ConfigureAwait(false);
                do
                {
                    // The insert returns no rows; the read's rows are the customers.
                    while (await reader.ReadAsync(token).ConfigureAwait(false))
                    {
                        var customer = Read(reader);
                        stored[customer.Id] = customer;
                    }
                }
                while (await reader.NextResultAsync(token).ConfigureAwait(false));

                created = checked((int)insert.RecordsAffected);
            }

            var merged = new Customer[ids.Length];
            var fields = new string[ids.Length];
            var zones = new string?[ids.Length];
            for (var i = 0; i < merged.Length; i++)
            {
                merged[i] = patches[i].ApplyTo(stored[ids[i]]);
                fields[i] = FieldJson.Write(merged[i].Fields);
                zones[i] = merged[i].TimeZoneId;
            }

            using var write = database.Command(connection, transaction, """
                UPDATE {s}.customers t SET fields = u.f, time_zone = u.z
                FROM unnest($1::text[], $2::text[], $3::text[]) AS u(c, f, z)
                WHERE t.customer_id = u.c
                """);
            write.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ids });
            write.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = fields });
            write.Parameters.Add(new NpgsqlParameter { Value = zones, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            await write.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            return new CustomerMergeResult(created, merged.Length - created, merged);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<bool> DeleteAsync(string customerId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(customerId);
        return database.ExecuteAsync("delete customer", async (connection, token) =>
        {
            using var command = database.Command(connection, null, "DELETE FROM {s}.customers WHERE customer_id = $1");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = customerId });
            return await command.ExecuteNonQueryAsync(token).ConfigureAwait(false) > 0;
        }, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>One query, so one server snapshot, streamed row by row (constant memory) in id order (byte order, "C" collation).</remarks>
    public async IAsyncEnumerable<Customer> ScanAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await database.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var connection = await database.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = database.Command(connection, null, "SELECT customer_id, fields, time_zone FROM {s}.customers ORDER BY customer_id");
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return Read(reader);
            }
        }
    }

    internal static Customer Read(NpgsqlDataReader reader) =>
        new(reader.GetString(0), FieldJson.ReadCustomer(reader.GetString(1), StringComparer.OrdinalIgnoreCase), reader.IsDBNull(2) ? null : reader.GetString(2));
}
