namespace Journeys.Storage;

/// <summary>
/// Asks a commit to hand its due outbox messages to the committing engine's own dispatcher: the messages of the applied
/// checkpoints that are due at or before <see cref="Now"/> are written already leased to the committing owner until
/// <see cref="ExpiresAt"/>, as if that owner had claimed them at <see cref="Now"/>, so no claim has to write them again.
/// The engine sends them from memory; if it dies first, the lease expires and any dispatcher claims them as usual.
/// </summary>
public sealed record OutboxHandoff
{
    /// <summary>Creates a hand-off.</summary>
    /// <param name="now">The commit's clock reading: messages due at or before it are leased.</param>
    /// <param name="lease">How long the lease holds from <paramref name="now"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="lease"/> is zero or negative.</exception>
    public OutboxHandoff(DateTimeOffset now, TimeSpan lease)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        Now = now;
        Lease = lease;
    }

    /// <summary>The commit's clock reading: messages due at or before it are leased.</summary>
    public DateTimeOffset Now { get; }

    /// <summary>How long the lease holds from <see cref="Now"/>.</summary>
    public TimeSpan Lease { get; }

    /// <summary>When the lease of the handed-over messages expires: <see cref="Now"/> + <see cref="Lease"/>.</summary>
    public DateTimeOffset ExpiresAt => Now + Lease;

    /// <summary>Whether <paramref name="message"/> is handed over (due at or before <see cref="Now"/>); the others are written unleased.</summary>
    /// <param name="message">An outbox message of a checkpoint.</param>
    public bool Covers(OutboxMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return CoversDue(message.DueAt);
    }

    /// <summary>Whether a message due at <paramref name="dueAt"/> is handed over (due at or before <see cref="Now"/>).</summary>
    internal bool CoversDue(DateTimeOffset dueAt) => dueAt <= Now;
}
