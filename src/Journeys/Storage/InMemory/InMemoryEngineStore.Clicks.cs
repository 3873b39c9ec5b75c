namespace Journeys.Storage.InMemory;

/// <content>Clicks: the per-enrollment click counter, owned by the store.</content>
internal sealed partial class InMemoryEngineStore
{
    /// <inheritdoc />
    /// <remarks>
    /// Under the store lock, as commits are; a commit copies every field of its state into the entry except the click
    /// counter, so an increment is never overwritten by a commit of a state claimed before it.
    /// </remarks>
    /// <exception cref="ArgumentException">A click has no customer id (nothing is counted).</exception>
    public ValueTask<IReadOnlyList<bool>> AddClicksAsync(IReadOnlyList<EnrollmentClick> clicks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(clicks);
        ValidateClicks(clicks);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return ValueTask.FromResult<IReadOnlyList<bool>>(AddClicksLocked(clicks));
        }
    }

    private bool[] AddClicksLocked(IReadOnlyList<EnrollmentClick> clicks)
    {
        var counted = new bool[clicks.Count];
        for (var i = 0; i < counted.Length; i++)
        {
            if (_enrollments.TryGetValue(clicks[i].EnrollmentId, out var entry)
                && string.Equals(entry.CustomerId, clicks[i].CustomerId, StringComparison.Ordinal))
            {
                entry.Clicks++;
                counted[i] = true;
            }
        }

        return counted;
    }

    private static void ValidateClicks(IReadOnlyList<EnrollmentClick> clicks)
    {
        for (var i = 0; i < clicks.Count; i++)
        {
            if (string.IsNullOrEmpty(clicks[i].CustomerId))
            {
                throw new ArgumentException($"Click at index {i} has no customer id; nothing was counted.", nameof(clicks));
            }
        }
    }
}
