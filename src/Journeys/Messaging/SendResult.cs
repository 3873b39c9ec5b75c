namespace Journeys.Messaging;

/// <summary>The outcome of one send attempt, with a reason for failures.</summary>
/// <param name="Outcome">The outcome.</param>
/// <param name="Reason">Why it failed (no personal data: it is logged and stored).</param>
public readonly record struct SendResult(SendOutcome Outcome, string? Reason = null)
{
    /// <summary>Accepted by the provider.</summary>
    public static SendResult Sent => new(SendOutcome.Sent);

    /// <summary>Already delivered under the same idempotency key.</summary>
    public static SendResult Duplicate => new(SendOutcome.Duplicate);

    /// <summary>True for <see cref="SendOutcome.Sent"/> and <see cref="SendOutcome.Duplicate"/>.</summary>
    public bool IsSuccess => Outcome is SendOutcome.Sent or SendOutcome.Duplicate;

    /// <summary>A failure that may pass on retry.</summary>
    /// <param name="reason">Why.</param>
    public static SendResult Transient(string reason) => new(SendOutcome.TransientFailure, reason);

    /// <summary>A failure that will not pass on retry.</summary>
    /// <param name="reason">Why.</param>
    public static SendResult Permanent(string reason) => new(SendOutcome.PermanentFailure, reason);
}
