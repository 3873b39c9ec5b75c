namespace Journeys.AspNetCore;

/// <summary>How the Journeys health check (<c>AddHealthChecks().AddJourneys()</c>) grades what it reads.</summary>
public sealed class JourneysHealthCheckOptions
{
    /// <summary>The default <see cref="StoreFailureGracePeriod"/>, 30 seconds.</summary>
    public static readonly TimeSpan DefaultStoreFailureGracePeriod = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a store call of the engine may keep failing (the engine retries it on its own, losing nothing) before
    /// the check reports the registration's failure status; until then it reports <c>Degraded</c>. Default 30 seconds;
    /// <see cref="TimeSpan.Zero"/> reports failure at once. A database that restarts or fails over within it does not
    /// get the host restarted by its orchestrator.
    /// </summary>
    public TimeSpan StoreFailureGracePeriod { get; set; } = DefaultStoreFailureGracePeriod;

    /// <summary>
    /// Whether a channel whose circuit breaker is not closed (its provider failed too often: its sends wait) makes the
    /// check <c>Degraded</c>. Default <see langword="true"/>. The host itself is fine then, so it is never reported as failed.
    /// </summary>
    public bool DegradedWhenCircuitOpen { get; set; } = true;
}
