using Journeys.AspNetCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Journeys engine's health check.</summary>
public static class JourneysHealthChecksBuilderExtensions
{
    /// <summary>The default name of the check, <c>journeys</c>.</summary>
    public const string DefaultName = "journeys";

    /// <summary>
    /// Adds a check of this host's Journeys engine (registered by <c>AddJourneys()</c>): failed when the engine is not
    /// running (not started, stopped, or a loop of it failed) or a store call keeps failing past
    /// <see cref="JourneysHealthCheckOptions.StoreFailureGracePeriod"/>; degraded while a store call fails within it or a
    /// channel's circuit breaker is open. It makes no store call. Map it with <c>app.MapHealthChecks("/health")</c>.
    /// </summary>
    /// <param name="builder">The health checks builder (<c>services.AddHealthChecks()</c>).</param>
    /// <param name="name">The check's name; default <see cref="DefaultName"/>.</param>
    /// <param name="failureStatus">What a failed check reports; default <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="tags">Tags to filter checks by (for example <c>ready</c>, <c>live</c>).</param>
    /// <param name="configure">Grades store failures and open circuits (<see cref="JourneysHealthCheckOptions"/>).</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or white space.</exception>
    /// <remarks>A negative <see cref="JourneysHealthCheckOptions.StoreFailureGracePeriod"/> stops the host at start (<see cref="Options.OptionsValidationException"/>).</remarks>
    public static IHealthChecksBuilder AddJourneys(
        this IHealthChecksBuilder builder,
        string name = DefaultName,
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null,
        Action<JourneysHealthCheckOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var options = builder.Services.AddOptions<JourneysHealthCheckOptions>(name)
            .Validate(static o => o.StoreFailureGracePeriod >= TimeSpan.Zero, $"JourneysHealthCheckOptions.StoreFailureGracePeriod of check '{name}' must not be negative.")
            .ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        return builder.Add(new HealthCheckRegistration(
            name,
            static sp => ActivatorUtilities.CreateInstance<JourneysHealthCheck>(sp),
            failureStatus,
            tags));
    }
}
