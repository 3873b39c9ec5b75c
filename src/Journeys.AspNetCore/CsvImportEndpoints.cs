using System.Text.Json;
using System.Text.Json.Nodes;
using Journeys.Audiences;
using Journeys.Runtime;
using Journeys.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Journeys.AspNetCore;

/// <summary>
/// CSV imports: <c>PUT /customers/csv</c> (create or update customers from a file) and
/// <c>PUT /journeys/{id}/customers/csv</c> (the same, then enroll every imported customer into an active journey).
/// The body is streamed (<c>text/csv</c>, or the file part of <c>multipart/form-data</c>) within
/// <see cref="JourneysApiOptions.MaxCsvBodySize"/>; a refused file is 400 listing each problem with its line and column.
/// </summary>
internal static class CsvImportEndpoints
{
    private const string JsonMediaType = "application/json";

    public static void Map(RouteGroupBuilder group, JourneysApi api)
    {
        group.MapPut("/customers/csv", (HttpContext context, [FromServices] IAudienceManager audiences) =>
                CsvRequests.ReadAsync(context, api, async (csv, token) => Report(await audiences.ImportCsvAsync(csv, CsvRequests.Options(context.Request), token).ConfigureAwait(false))))
            .WithName("Journeys_ImportCustomersCsv")
            .WithSummary("Create or update customers from a CSV file")
            .WithDescription("Body: text/csv, or multipart/form-data with one file part. A customerId column, other columns are customer fields. Query: separator (',', ';', 'tab', '|'; detected when absent), mode ('all-or-nothing' default, or 'valid-rows'). A refused file is 400 with problems [{line, column, message}], problemCount and rowsRead; nothing is written.")
            .Accepts<string>(CsvRequests.Csv, CsvRequests.Multipart)
            .Produces(StatusCodes.Status200OK, contentType: JsonMediaType)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        group.MapPut("/journeys/{id}/customers/csv", (string id, HttpContext context, [FromServices] IAudienceManager audiences, [FromServices] IJourneyManager manager, [FromServices] IJourneyStore store) => EnrollAsync(id, context, audiences, manager, store, api))
            .WithName("Journeys_PutCustomersCsv")
            .WithSummary("Import customers from a CSV file and put them into an active journey")
            .WithDescription("As PUT /customers/csv, then every imported customer is enrolled under the journey's entry rules. 404 unknown journey, 409 journey not active (checked before the body is read; nothing is written).")
            .Accepts<string>(CsvRequests.Csv, CsvRequests.Multipart)
            .Produces(StatusCodes.Status200OK, contentType: JsonMediaType)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
    }

    private static async Task<IResult> EnrollAsync(string id, HttpContext context, IAudienceManager audiences, IJourneyManager manager, IJourneyStore store, JourneysApi api)
    {
        var options = CsvRequests.Options(context.Request);
        var record = await manager.GetAsync(id, context.RequestAborted).ConfigureAwait(false) ?? throw JourneyLifecycleEndpoints.NoJourney(id);
        JourneyAudienceEndpoints.RefuseSending(id);
        if (!await JourneyAudienceEndpoints.IsActiveAsync(store, record, context.RequestAborted).ConfigureAwait(false))
        {
            throw NotActive(id);
        }

        return await CsvRequests.ReadAsync(context, api, async (csv, token) =>
        {
            try
            {
                return Report(await audiences.EnrollCsvAsync(id, csv, options, token).ConfigureAwait(false));
            }
            catch (InvalidOperationException)
            {
                // A journey stopped between the check above and the import (EnrollCsvAsync then wrote nothing) is 409;
                // any other InvalidOperationException (a store that failed to write, a host shutting down) is not the
                // caller's conflict and goes to the host's error handling as it is.
                var current = await manager.GetAsync(id, CancellationToken.None).ConfigureAwait(false) ?? throw JourneyLifecycleEndpoints.NoJourney(id);
                if (await JourneyAudienceEndpoints.IsActiveAsync(store, current, CancellationToken.None).ConfigureAwait(false))
                {
                    throw;
                }

                throw NotActive(id);
            }
        }).ConfigureAwait(false);
    }

    private static ApiProblemException NotActive(string id) =>
        ApiProblemException.Conflict($"Journey '{id}' is not active: start it before putting customers into it.");

    /// <summary>An <see cref="AudienceReport"/> as the JSON answer.</summary>
    internal static JsonObject ReportJson(AudienceReport report)
    {
        var notEnrolled = new JsonArray();
        foreach (var customer in report.NotEnrolled)
        {
            notEnrolled.Add((JsonNode)new JsonObject
            {
                ["customerId"] = customer.CustomerId,
                ["reason"] = JsonNamingPolicy.CamelCase.ConvertName(customer.Reason.ToString()),
            });
        }

        return new JsonObject
        {
            ["rowsRead"] = report.RowsRead,
            ["created"] = report.Created,
            ["updated"] = report.Updated,
            ["enrolled"] = report.Enrolled,
            ["notEnrolledCount"] = report.NotEnrolledCount,
            ["notEnrolled"] = notEnrolled,
            ["rejected"] = report.Rejected,
            ["problemCount"] = report.ProblemCount,
            ["problems"] = Problems(report.Problems),
        };
    }

    /// <summary>CSV problems as <c>[{line, column, message}]</c>.</summary>
    internal static JsonArray Problems(IEnumerable<CsvProblem> problems)
    {
        var array = new JsonArray();
        foreach (var problem in problems)
        {
            array.Add((JsonNode)new JsonObject { ["line"] = problem.Line, ["column"] = problem.Column, ["message"] = problem.Message });
        }

        return array;
    }

    private static IResult Report(AudienceReport report) => Json(ReportJson(report));

    internal static IResult Json(JsonNode node) => TypedResults.Text(Contracts.ApiJsonContext.Text(node), JsonMediaType, System.Text.Encoding.UTF8);
}
