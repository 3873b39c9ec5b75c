namespace Journeys.Messaging;

/// <summary>What happened to one send attempt.</summary>
public enum SendOutcome
{
    /// <summary>Accepted by the provider.</summary>
    Sent = 0,

    /// <summary>Already delivered under the same idempotency key; not sent again (counts as sent).</summary>
    Duplicate = 1,

    /// <summary>Failed in a way that may pass on retry (timeout, 5xx, throttling).</summary>
    TransientFailure = 2,

    /// <summary>Failed for good (invalid address, unsubscribed, rejected content): not retried.</summary>
    PermanentFailure = 3,
}
