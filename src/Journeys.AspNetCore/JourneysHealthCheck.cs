using System.Globalization;
using Journeys.Runtime;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Journeys.AspNetCore;

/// <summary>
/// The health of this host's Journeys engine (<see cref="IJourneyEngineMonitor"/>): failed when the engine is not
/// running (not started, stopped, or a loop of it failed) or a store call has kept failing past
/// <see cref="JourneysHealthCheckOptions.StoreFailureGracePeriod"/>; degraded while a store call fails within it, or while a
/// channel's circuit breaker is open; healthy otherwise. The data names the state, the failing call and each channel's
/// circuit, never a customer. It reads the engine's counters only: no store call, so it answers at once whatever the
/// store's state.
/// </summary>
internal sealed class JourneysHealthCheck(IJourneyEngineMonitor monitor, IOptionsMonitor<JourneysHealthCheckOptions> options) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = options.Get(context.Registration.Name);
        var status = monitor.GetStatus();
        var data = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["owner"] = status.OwnerId,
            ["state"] = status.State.ToString(),
            ["inboxDepth"] = status.InboxDepth,
            ["inFlight"] = status.InFlight,
        };
        if (status.Fault is { } fault)
        {
            data["fault"] = fault;
        }

        if (status.StoreFailingSince is { } since)
        {
            data["storeFailingSince"] = since.ToString("O", CultureInfo.InvariantCulture);
            data["storeFailure"] = status.StoreFailure ?? "";
        }

        var open = new List<string>();
        foreach (var channel in status.Channels)
        {
            data[$"circuit.{channel.Channel}"] = channel.Circuit.ToString();
            if (channel.Circuit != ChannelCircuitState.Closed)
            {
                open.Add(channel.Channel);
            }
        }

        var result = status.State switch
        {
            JourneyEngineState.NotStarted => Failed(context, "The Journeys engine has not started.", data),
            JourneyEngineState.Stopped => Failed(context, "The Journeys engine has stopped.", data),
            JourneyEngineState.Faulted => Failed(context, $"A loop of the Journeys engine failed ({status.Fault}) and the engine stopped; restart the host.", data),
            _ when status.StoreFailingSince is { } failingSince && status.CheckedAt - failingSince >= settings.StoreFailureGracePeriod =>
                Failed(context, $"A store call of the Journeys engine has failed since {Describe(failingSince)} ({status.StoreFailure}).", data),
            _ when status.StoreFailingSince is { } failingSince =>
                HealthCheckResult.Degraded($"A store call of the Journeys engine has failed since {Describe(failingSince)} ({status.StoreFailure}); the engine retries it.", data: data),
            _ when open.Count > 0 && settings.DegradedWhenCircuitOpen =>
                HealthCheckResult.Degraded($"The circuit breaker of channel {string.Join(", ", open)} is open: its sends wait.", data: data),
            _ => HealthCheckResult.Healthy("The Journeys engine is running.", data),
        };
        return Task.FromResult(result);
    }

    private static HealthCheckResult Failed(HealthCheckContext context, string description, IReadOnlyDictionary<string, object> data) =>
        new(context.Registration.FailureStatus, description, data: data);

    private static string Describe(DateTimeOffset instant) => instant.ToString("O", CultureInfo.InvariantCulture);
}
