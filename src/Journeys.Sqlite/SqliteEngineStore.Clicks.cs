using Journeys.Storage;

namespace Journeys.Sqlite;

/// <content>Clicks: the per-enrollment click counter, owned by the store.</content>
internal sealed partial class SqliteEngineStore
{
    /// <inheritdoc />
    /// <remarks>
    /// One write transaction (so serialised with commits, which never write the <c>clicks</c> column): one
    /// <c>clicks = clicks + n</c> update per distinct enrollment through the primary key (customer id, id), so an
    /// enrollment of another customer is not found.
    /// </remarks>
    /// <exception cref="ArgumentException">A click has no customer id (nothing is counted).</exception>
    public async ValueTask<IReadOnlyList<bool>> AddClicksAsync(IReadOnlyList<EnrollmentClick> clicks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(clicks);
        for (var i = 0; i < clicks.Count; i++)
        {
            if (string.IsNullOrEmpty(clicks[i].CustomerId))
            {
                throw new ArgumentException($"Click at index {i} has no customer id; nothing was counted.", nameof(clicks));
            }
        }

        if (clicks.Count == 0)
        {
            return [];
        }

        var found = await _database.WriteAsync("count clicks", ClicksPerEnrollment(clicks), static (session, perEnrollment) => CountClicks(session, perEnrollment), cancellationToken).ConfigureAwait(false);

        var counted = new bool[clicks.Count];
        for (var i = 0; i < counted.Length; i++)
        {
            counted[i] = found.Contains(clicks[i]);
        }

        return counted;
    }

    private static Dictionary<EnrollmentClick, int> ClicksPerEnrollment(IReadOnlyList<EnrollmentClick> clicks)
    {
        var perEnrollment = new Dictionary<EnrollmentClick, int>();
        foreach (var click in clicks)
        {
            perEnrollment[click] = perEnrollment.GetValueOrDefault(click) + 1;
        }

        return perEnrollment;
    }

    // In the caller's write transaction: the enrollments found (by customer id and id) and counted.
    private static HashSet<EnrollmentClick> CountClicks(SqliteSession session, Dictionary<EnrollmentClick, int> perEnrollment)
    {
        var found = new HashSet<EnrollmentClick>();
        foreach (var (click, count) in perEnrollment)
        {
            var update = session.Command("UPDATE enrollments SET clicks = clicks + $count WHERE customer_id = $customer AND id = $id");
            update.Parameters.AddWithValue("$count", count);
            update.Parameters.AddWithValue("$customer", click.CustomerId);
            update.Parameters.AddWithValue("$id", SqliteValues.Id(click.EnrollmentId));
            if (update.ExecuteNonQuery() > 0)
            {
                found.Add(click);
            }
        }

        return found;
    }
}
