using Journeys.AspNetCore.Contracts;
using Journeys.Runtime;
using Microsoft.AspNetCore.Mvc;

namespace Journeys.AspNetCore;

/// <summary><c>GET /engine</c>: the state of this host's engine (<see cref="IJourneyEngineMonitor"/>), for a dashboard.</summary>
internal static class EngineEndpoints
{
    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/engine", Get)
            .WithName("Journeys_Engine")
            .WithSummary("This host's engine: its state (NotStarted, Running, Stopped, Faulted), a failed loop, the store call failing longest and since when, each channel's circuit breaker, inbox depth and work in flight")
            .Produces<EngineStatusResponse>();

    private static Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<EngineStatusResponse> Get([FromServices] IJourneyEngineMonitor monitor)
    {
        var status = monitor.GetStatus();
        return TypedResults.Json(
            new EngineStatusResponse(
                status.OwnerId,
                status.State.ToString(),
                status.Fault,
                status.StoreFailingSince,
                status.StoreFailure,
                [.. status.Channels.Select(static c => new ChannelStatusResponse(c.Channel, c.Circuit.ToString()))],
                status.InboxDepth,
                status.InFlight,
                status.CheckedAt),
            ApiJsonContext.Api.EngineStatusResponse);
    }
}
