namespace Journeys.Storage;

/// <summary>
/// Asks <see cref="IEnrollmentStore.EnrollLeasedAsync"/> to create enrollments already leased to the enrolling engine:
/// up to <see cref="MaxItems"/> of the created enrollments (the first ones, in request order) are written leased to
/// <see cref="Owner"/> until <see cref="ExpiresAt"/>, exactly as if <see cref="Owner"/> had claimed them at
/// <see cref="Now"/> (<see cref="IEnrollmentStore.ClaimAsync"/>), so no claim has to write them again. The engine hands
/// them straight to its shards; if it dies first, the lease expires and any engine claims them as usual.
/// </summary>
public sealed record EnrollmentLease
{
    /// <summary>Creates an enrollment lease.</summary>
    /// <param name="owner">The enrolling engine's id.</param>
    /// <param name="now">The clock reading the lease counts from.</param>
    /// <param name="lease">How long the lease holds from <paramref name="now"/>.</param>
    /// <param name="maxItems">The most created enrollments to lease; the others are created unleased, for a claim.</param>
    /// <exception cref="ArgumentException"><paramref name="owner"/> is null or empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="lease"/> is zero or negative, or <paramref name="maxItems"/> is negative.</exception>
    public EnrollmentLease(string owner, DateTimeOffset now, TimeSpan lease, int maxItems)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(maxItems);
        Owner = owner;
        Now = now;
        Lease = lease;
        MaxItems = maxItems;
    }

    /// <summary>The enrolling engine's id, the owner of the leases.</summary>
    public string Owner { get; }

    /// <summary>The clock reading the lease counts from.</summary>
    public DateTimeOffset Now { get; }

    /// <summary>How long the lease holds from <see cref="Now"/>.</summary>
    public TimeSpan Lease { get; }

    /// <summary>The most created enrollments to lease.</summary>
    public int MaxItems { get; }

    /// <summary>When the leases expire: <see cref="Now"/> + <see cref="Lease"/>.</summary>
    public DateTimeOffset ExpiresAt => Now + Lease;
}
