using Journeys.Storage;

namespace Journeys.PostgreSql;

/// <content>Clicks: the per-enrollment click counter, owned by the store.</content>
internal sealed partial class PostgreSqlEngineStore
{
    // The clicks summed per enrollment; the rows are locked in primary-key order (as commits, claims, renewals and
    // cancellations lock them, so this cannot deadlock with them), then incremented. Commits never write clicks, so an
    // increment is neither overwritten by a commit of a state read before it nor applied twice.
    private const string AddClicksSql = """
        WITH c AS (
            SELECT u.customer_id, u.id, count(*) AS n FROM unnest($1::text[], $2::uuid[]) AS u(customer_id, id) GROUP BY u.customer_id, u.id),
        l AS (
            SELECT e.customer_id, e.enrollment_id, c.n FROM {s}.enrollments e JOIN c ON e.customer_id = c.customer_id AND e.enrollment_id = c.id
            ORDER BY e.customer_id, e.enrollment_id FOR UPDATE OF e)
        UPDATE {s}.enrollments e SET clicks = e.clicks + l.n FROM l
        WHERE e.customer_id = l.customer_id AND e.enrollment_id = l.enrollment_id
        RETURNING e.customer_id, e.enrollment_id
        """;

    /// <inheritdoc />
    /// <remarks>One statement: <c>clicks = clicks + n</c> per enrollment, found by its primary key (customer id, id), so an enrollment of another customer is not found.</remarks>
    /// <exception cref="ArgumentException">A click has no customer id (nothing is counted).</exception>
    public async ValueTask<IReadOnlyList<bool>> AddClicksAsync(IReadOnlyList<EnrollmentClick> clicks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(clicks);
        var customers = new string[clicks.Count];
        var ids = new Guid[clicks.Count];
        for (var i = 0; i < clicks.Count; i++)
        {
            if (string.IsNullOrEmpty(clicks[i].CustomerId))
            {
                throw new ArgumentException($"Click at index {i} has no customer id; nothing was counted.", nameof(clicks));
            }

            customers[i] = clicks[i].CustomerId;
            ids[i] = clicks[i].EnrollmentId;
        }

        if (clicks.Count == 0)
        {
            return [];
        }

        // Increments: an attempt retried after its COMMIT's reply was lost must not count them again.
        var found = await database.InTransactionOnceAsync("count clicks", async (connection, transaction, token) =>
        {
            using var command = database.Command(connection, transaction, AddClicksSql);
            command.Parameters.Add(Parameter(customers));
            command.Parameters.Add(Parameter(ids));
            var found = new HashSet<EnrollmentClick>();
            using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                found.Add(new EnrollmentClick(reader.GetString(0), reader.GetGuid(1)));
            }

            return found;
        }, cancellationToken).ConfigureAwait(false);

        var counted = new bool[clicks.Count];
        for (var i = 0; i < counted.Length; i++)
        {
            counted[i] = found.Contains(clicks[i]);
        }

        return counted;
    }
}
