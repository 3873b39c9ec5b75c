using System.Runtime.CompilerServices;
using System.Text.Json;
using Journeys.AspNetCore.Contracts;
using Journeys.Runtime;
using Microsoft.AspNetCore.Mvc;

namespace Journeys.AspNetCore;

/// <summary>
/// Statistics of a journey: <c>GET /journeys/{id}/statistics</c> (a snapshot) and <c>GET /journeys/{id}/statistics/live</c>
/// (server-sent events). The per-customer export (<c>statistics/customers.csv</c>) belongs here too, once it exists.
/// </summary>
internal static class StatisticsEndpoints
{
    private static readonly TimeSpan MinimumInterval = TimeSpan.FromMilliseconds(100);

    public static void Map(RouteGroupBuilder group, JourneysApi api)
    {
        group.MapGet("/journeys/{id}/statistics", GetAsync)
            .WithName("Journeys_Statistics")
            .WithSummary("Statistics of a journey: journey totals and every node's counters (entered, sent, clicked, converted, ...) and click rate")
            .Produces<StatisticsResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/journeys/{id}/statistics/live", LiveAsync)
            .WithName("Journeys_StatisticsLive")
            .WithSummary("Live statistics of a journey as server-sent events ('statistics' events, one snapshot per interval)")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> GetAsync(string id, int? version, HttpContext context, [FromServices] IJourneyManager manager)
    {
        var record = await manager.GetAsync(id, context.RequestAborted).ConfigureAwait(false) ?? throw JourneyLifecycleEndpoints.NoJourney(id);
        var statistics = await manager.GetStatisticsAsync(id, version, context.RequestAborted).ConfigureAwait(false);
        return TypedResults.Json(ApiMapping.Statistics(statistics, record.Journey), ApiJsonContext.Default.StatisticsResponse);
    }

    private static async Task<IResult> LiveAsync(string id, double? intervalSeconds, HttpContext context, [FromServices] IJourneyManager manager)
    {
        var record = await manager.GetAsync(id, context.RequestAborted).ConfigureAwait(false) ?? throw JourneyLifecycleEndpoints.NoJourney(id);
        var interval = TimeSpan.FromSeconds(intervalSeconds ?? 1);
        if (interval < MinimumInterval || interval > TimeSpan.FromMinutes(10))
        {
            throw ApiProblemException.BadRequest("The intervalSeconds query value must be between 0.1 and 600.", "query:intervalSeconds");
        }

        return TypedResults.ServerSentEvents(Snapshots(manager, record.Journey, interval, context.RequestAborted), "statistics");
    }

    private static async IAsyncEnumerable<string> Snapshots(
        IJourneyManager manager,
        Model.JourneyDefinition journey,
        TimeSpan interval,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var statistics in manager.WatchStatisticsAsync(journey.Id, interval, cancellationToken).ConfigureAwait(false))
        {
            yield return JsonSerializer.Serialize(ApiMapping.Statistics(statistics, journey), ApiJsonContext.Default.StatisticsResponse);
        }
    }
}
