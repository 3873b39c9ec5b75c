namespace Journeys.Messaging;

/// <summary>
/// The resilience policy of one channel's sends: a timeout per attempt, retries with exponential backoff and jitter,
/// a circuit breaker and an optional rate limit. Configured per channel (named options, the name being the channel).
/// </summary>
public sealed class ChannelPolicyOptions
{
    /// <summary>The timeout of one attempt (default 10 s; 10 ms to 24 h). A timed-out attempt is a transient failure.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many times a transient failure is retried (default 3; 0 for none).</summary>
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>The base delay of the exponential backoff with jitter (default 1 s).</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay between two attempts (default 30 s).</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The ratio of failed attempts in the sampling duration that opens the circuit (default 0.5; above 0, at most 1).</summary>
    public double CircuitBreakerFailureRatio { get; set; } = 0.5;

    /// <summary>How many attempts the sampling duration must hold before the circuit may open (default 20; at least 2).</summary>
    public int CircuitBreakerMinimumThroughput { get; set; } = 20;

    /// <summary>The window over which failures are counted (default 30 s; at least 0.5 s).</summary>
    public TimeSpan CircuitBreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the circuit stays open before a trial attempt (default 30 s; at least 0.5 s).</summary>
    public TimeSpan CircuitBreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The most sends per second on the channel, or <see langword="null"/> (the default) for no limit.</summary>
    public int? PermitsPerSecond { get; set; }

    /// <summary>How many sends may wait for a permit when the rate limit is reached (default 10,000); beyond, a send fails transiently.</summary>
    public int RateLimitQueueLimit { get; set; } = 10_000;

    /// <summary>Checks the values.</summary>
    /// <returns>One message per invalid value; empty when all are valid.</returns>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Timeout < TimeSpan.FromMilliseconds(10) || Timeout > TimeSpan.FromHours(24))
        {
            errors.Add($"{nameof(Timeout)} must be between 10 ms and 24 h (was {Timeout}).");
        }

        if (MaxRetryAttempts is < 0 or > 100)
        {
            errors.Add($"{nameof(MaxRetryAttempts)} must be between 0 and 100 (was {MaxRetryAttempts}).");
        }

        if (RetryBaseDelay < TimeSpan.Zero || RetryBaseDelay > TimeSpan.FromDays(1))
        {
            errors.Add($"{nameof(RetryBaseDelay)} must be between 0 and 1 day (was {RetryBaseDelay}).");
        }

        if (RetryMaxDelay < RetryBaseDelay || RetryMaxDelay > TimeSpan.FromDays(1))
        {
            errors.Add($"{nameof(RetryMaxDelay)} must be at least {nameof(RetryBaseDelay)} and at most 1 day (was {RetryMaxDelay}).");
        }

        if (!(CircuitBreakerFailureRatio > 0 && CircuitBreakerFailureRatio <= 1))
        {
            errors.Add($"{nameof(CircuitBreakerFailureRatio)} must be above 0 and at most 1 (was {CircuitBreakerFailureRatio}).");
        }

        if (CircuitBreakerMinimumThroughput < 2)
        {
            errors.Add($"{nameof(CircuitBreakerMinimumThroughput)} must be at least 2 (was {CircuitBreakerMinimumThroughput}).");
        }

        if (CircuitBreakerSamplingDuration < TimeSpan.FromMilliseconds(500) || CircuitBreakerSamplingDuration > TimeSpan.FromDays(1))
        {
            errors.Add($"{nameof(CircuitBreakerSamplingDuration)} must be between 0.5 s and 1 day (was {CircuitBreakerSamplingDuration}).");
        }

        if (CircuitBreakerBreakDuration < TimeSpan.FromMilliseconds(500) || CircuitBreakerBreakDuration > TimeSpan.FromDays(1))
        {
            errors.Add($"{nameof(CircuitBreakerBreakDuration)} must be between 0.5 s and 1 day (was {CircuitBreakerBreakDuration}).");
        }

        if (PermitsPerSecond is <= 0)
        {
            errors.Add($"{nameof(PermitsPerSecond)} must be positive, or null for no limit (was {PermitsPerSecond}).");
        }

        if (RateLimitQueueLimit < 0)
        {
            errors.Add($"{nameof(RateLimitQueueLimit)} must not be negative (was {RateLimitQueueLimit}).");
        }

        return errors;
    }
}
