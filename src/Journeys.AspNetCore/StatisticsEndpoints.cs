using System.Runtime.CompilerServices;
using System.Text.Json;
using Journeys.AspNetCore.Contracts;
using Journeys.Runtime;
using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;

namespace Journeys.AspNetCore;

/// <summary>
/// Statistics of a journey: <c>GET /journeys/{id}/statistics</c> (a snapshot) and <c>GET /journeys/{id}/statistics/live</c>
/// (server-sent events), and the per-customer export <c>GET /journeys/{id}/statistics/customers.csv</c>.
/// </summary>
internal static class StatisticsEndpoints
{
    private static readonly TimeSpan MinimumInterval = TimeSpan.FromMilliseconds(100);

    private static readonly TimeSpan MaximumInterval = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Checks the journey (and version) first, so an unknown one is a 404 before any byte is written; then streams
    /// the exporter's rows straight into the response body.
    /// </summary>
    private static async Task ExportAsync(string id, string? version, HttpContext context, [FromServices] IJourneyManager manager, [FromServices] Journeys.Statistics.IJourneyExporter exporter, [FromServices] Journeys.Storage.IJourneyStore store)
    {
        id = RouteIds.Read(context, id, "Journey", segmentsAfter: 2);
        var number = QueryValues.Int32(version, nameof(version));
        _ = await JourneyOrVersionAsync(id, number, context, manager, store).ConfigureAwait(false);
        context.Response.ContentType = "text/csv; charset=utf-8";
        // A sending's journey id is free text (quotes, semicolons, any letter): the name is quoted, and given in UTF-8 too.
        var disposition = new Microsoft.Net.Http.Headers.ContentDispositionHeaderValue("attachment");
        disposition.SetHttpFileName($"{id}-customers.csv");
        context.Response.Headers.ContentDisposition = disposition.ToString();
        await exporter.WriteCustomersCsvAsync(id, number, context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }

    public static void Map(RouteGroupBuilder group, JourneysApi api)
    {
        group.MapGet("/journeys/{id}/statistics", GetAsync)
            .WithName("Journeys_Statistics")
            .QueryValue("version", JsonSchemaType.Integer, "int32")
            .WithSummary("Statistics of a journey: journey totals and every node's counters (entered, sent, clicked, converted, ...) and click rate")
            .Produces<StatisticsResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/journeys/{id}/statistics/customers.csv", ExportAsync)
            .WithName("Journeys_StatisticsCustomersCsv")
            .QueryValue("version", JsonSchemaType.Integer, "int32")
            .WithSummary("Per-customer CSV export of a journey (optional ?version=), streamed to the response")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/journeys/{id}/statistics/live", LiveAsync)
            .WithName("Journeys_StatisticsLive")
            .QueryValue("intervalSeconds", JsonSchemaType.Number, "double")
            .WithSummary("Live statistics of a journey as server-sent events ('statistics' events, one snapshot per interval)")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    /// <summary>
    /// The journey's latest version, or the version asked for; an unknown journey or version is a 404 (a version that
    /// never existed has no counters to show, and zeros would read as "nobody entered").
    /// </summary>
    private static async Task<Journeys.Storage.JourneyRecord> JourneyOrVersionAsync(string id, int? version, HttpContext context, IJourneyManager manager, Journeys.Storage.IJourneyStore store)
    {
        var record = await manager.GetAsync(id, context.RequestAborted).ConfigureAwait(false) ?? throw JourneyLifecycleEndpoints.NoJourney(id);
        if (version is { } v && v != record.Journey.Version)
        {
            record = await store.GetVersionAsync(id, v, context.RequestAborted).ConfigureAwait(false)
                ?? throw ApiProblemException.NotFound($"Journey {Model.IdText.Quote(id)} has no version {v}.");
        }

        return record;
    }

    private static async Task<IResult> GetAsync(string id, string? version, HttpContext context, [FromServices] IJourneyManager manager, [FromServices] Journeys.Storage.IJourneyStore store)
    {
        // The nodes listed are those of the version asked for (all versions summed: the latest's).
        id = RouteIds.Read(context, id, "Journey", segmentsAfter: 1);
        var number = QueryValues.Int32(version, nameof(version));
        var record = await JourneyOrVersionAsync(id, number, context, manager, store).ConfigureAwait(false);
        var statistics = await manager.GetStatisticsAsync(id, number, context.RequestAborted).ConfigureAwait(false);
        return TypedResults.Json(ApiMapping.Statistics(statistics, record.Journey), ApiJsonContext.Api.StatisticsResponse);
    }

    private static async Task<IResult> LiveAsync(string id, string? intervalSeconds, HttpContext context, [FromServices] IJourneyManager manager)
    {
        id = RouteIds.Read(context, id, "Journey", segmentsAfter: 2);
        var record = await manager.GetAsync(id, context.RequestAborted).ConfigureAwait(false) ?? throw JourneyLifecycleEndpoints.NoJourney(id);
        // Checked before it becomes a TimeSpan, which refuses NaN and overflows on infinities with an exception (a 500).
        var seconds = QueryValues.Double(intervalSeconds, nameof(intervalSeconds)) ?? 1;
        if (!(seconds >= MinimumInterval.TotalSeconds && seconds <= MaximumInterval.TotalSeconds))
        {
            throw ApiProblemException.BadRequest("The intervalSeconds query value must be between 0.1 and 600.", "query:intervalSeconds");
        }

        var interval = TimeSpan.FromSeconds(seconds);

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
            yield return JsonSerializer.Serialize(ApiMapping.Statistics(statistics, journey), ApiJsonContext.Api.StatisticsResponse);
        }
    }
}
