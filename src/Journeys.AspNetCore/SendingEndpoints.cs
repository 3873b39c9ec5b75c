using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Journeys.AspNetCore.Contracts;
using Journeys.Model;
using Journeys.Sendings;
using Microsoft.AspNetCore.Mvc;

namespace Journeys.AspNetCore;

/// <summary>
/// One-shot sendings: <c>POST /sendings/all</c>, <c>POST /sendings/list</c>, <c>POST /sendings/csv</c>,
/// <c>GET /sendings</c>, <c>GET /sendings/{id}</c>, <c>PUT /sendings/{id}/stop</c>. Creates answer 202 with the
/// sending and its <c>Location</c>: the audience is enrolled, the messages go out in the background.
/// </summary>
internal static class SendingEndpoints
{
    public static void Map(RouteGroupBuilder group, JourneysApi api)
    {
        group.MapPost("/sendings/all", (HttpContext context, [FromServices] ISendingManager sendings) => SendAsync(context, sendings, api, list: false))
            .WithName("Journeys_SendToAll")
            .WithSummary("Send a campaign to every customer now")
            .WithDescription("Body: {\"campaignId\", \"sendingId\"?, \"name\"?, \"variables\"?: [{\"variable\", \"field\", \"default\"?}], \"timeZoneId\"?}. 202 with the sending; the same sendingId again sends nothing twice.")
            .Accepts<SendingRequestBody>(RequestBodies.Json)
            .Produces(StatusCodes.Status202Accepted, contentType: RequestBodies.Json)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        group.MapPost("/sendings/list", (HttpContext context, [FromServices] ISendingManager sendings) => SendAsync(context, sendings, api, list: true))
            .WithName("Journeys_SendToList")
            .WithSummary("Send a campaign to a list of customer ids now")
            .WithDescription("Body: as POST /sendings/all plus \"customerIds\": [...]. Ids not in the customer store are counted as unknown and skipped.")
            .Accepts<SendingRequestBody>(RequestBodies.Json)
            .Produces(StatusCodes.Status202Accepted, contentType: RequestBodies.Json)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        group.MapPost("/sendings/csv", (HttpContext context, [FromServices] ISendingManager sendings) => SendCsvAsync(context, sendings, api))
            .WithName("Journeys_SendToCsv")
            .WithSummary("Import the customers of a CSV file and send them a campaign now")
            .WithDescription("Body: text/csv, or multipart/form-data with one file part. Query: campaignId (required), sendingId, name, timeZoneId, separator, mode. 202 with {import, sending}; a refused file is 400 with problems [{line, column, message}] and nothing is imported or sent.")
            .Accepts<string>(CsvRequests.Csv, CsvRequests.Multipart)
            .Produces(StatusCodes.Status202Accepted, contentType: RequestBodies.Json)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        group.MapGet("/sendings", async (string? limit, string? after, HttpContext context, [FromServices] ISendingManager sendings) =>
            {
                var page = Paging.Read(limit, after);
                var array = new JsonArray();
                string? last = null;
                // One more than the page: whether a next page exists (its counters are read, not answered).
                await foreach (var sending in sendings.ListPageAsync(page.After, page.Limit + 1, context.RequestAborted).ConfigureAwait(false))
                {
                    if (array.Count == page.Limit)
                    {
                        Paging.LinkNext(context, page.Limit, last!);
                        break;
                    }

                    array.Add((JsonNode)Status(sending));
                    last = sending.SendingId;
                }

                return CsvImportEndpoints.Json(array);
            })
            .WithName("Journeys_ListSendings")
            .WithSummary("List the sendings, a page at a time")
            .WithDescription("Query: limit (1–1000, default 100), after (the last sending id of the page before). In ordinal order of sending id; a Link header with rel=\"next\" gives the next page when there is one.")
            .Paged()
            .Produces(StatusCodes.Status200OK, contentType: RequestBodies.Json)
            .ProducesProblem(StatusCodes.Status400BadRequest);

        group.MapGet("/sendings/{id}", async (string id, HttpContext context, [FromServices] ISendingManager sendings) =>
            {
                id = RouteIds.Read(context, id, "Sending");
                return CsvImportEndpoints.Json(Status(await sendings.GetAsync(id, context.RequestAborted).ConfigureAwait(false)
                    ?? throw ApiProblemException.NotFound($"Sending {Model.IdText.Quote(id)} does not exist.")));
            })
            .WithName("Journeys_GetSending")
            .WithSummary("Get a sending's state and counters")
            .Produces(StatusCodes.Status200OK, contentType: RequestBodies.Json)
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPut("/sendings/{id}/stop", async (string id, HttpContext context, [FromServices] ISendingManager sendings) =>
                CsvImportEndpoints.Json(Status(await sendings.StopAsync(RouteIds.Read(context, id, "Sending", segmentsAfter: 1), context.RequestAborted).ConfigureAwait(false))))
            .WithName("Journeys_StopSending")
            .WithSummary("Stop a sending")
            .WithDescription("No more customers are enrolled, enrollments not yet processed are cancelled and messages not yet sent are withdrawn (a message a sender already has may still go out). Stopping a stopped sending answers its state again.")
            .Produces(StatusCodes.Status200OK, contentType: RequestBodies.Json)
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> SendAsync(HttpContext context, ISendingManager sendings, JourneysApi api, bool list)
    {
        RequestBodies.MediaType(context.Request, RequestBodies.Json);
        var bytes = await RequestBodies.ReadAsync(context, api.Options).ConfigureAwait(false);
        var body = RequestBodies.ReadJson(bytes, ApiJsonContext.Api.SendingRequestBody);
        if (string.IsNullOrWhiteSpace(body.CampaignId))
        {
            throw ApiProblemException.BadRequest("Invalid JSON at $.campaignId: give the campaign to send.", "$.campaignId");
        }

        var variables = new List<VariableBinding>();
        for (var i = 0; i < (body.Variables?.Count ?? 0); i++)
        {
            var variable = body.Variables![i] ?? throw ApiProblemException.BadRequest($"Invalid JSON at $.variables[{i}]: a variable binding is null.", $"$.variables[{i}]");
            if (string.IsNullOrWhiteSpace(variable.Variable) || string.IsNullOrWhiteSpace(variable.Field))
            {
                throw ApiProblemException.BadRequest($"Invalid JSON at $.variables[{i}]: give both 'variable' and 'field'.", $"$.variables[{i}]");
            }

            variables.Add(new VariableBinding(variable.Variable, variable.Field, variable.Default));
        }

        var request = new SendingRequest(body.CampaignId)
        {
            SendingId = SendingId(body.SendingId, "$.sendingId"),
            Name = body.Name,
            Variables = [.. variables],
            TimeZoneId = TimeZoneId(body.TimeZoneId ?? "UTC", "$.timeZoneId"),
        };

        if (!list)
        {
            if (body.CustomerIds is not null)
            {
                throw ApiProblemException.BadRequest("Invalid JSON at $.customerIds: POST /sendings/all sends to every customer; send to a list with POST /sendings/list.", "$.customerIds");
            }

            return Created(context, api, await Guard(sendings, request, SendingAudience.AllCustomers, "$", () => sendings.SendToAllAsync(request, context.RequestAborted).AsTask()).ConfigureAwait(false));
        }

        if (body.CustomerIds is null)
        {
            throw ApiProblemException.BadRequest("Invalid JSON at $.customerIds: give the customer ids to send to.", "$.customerIds");
        }

        var ids = body.CustomerIds;
        for (var i = 0; i < ids.Count; i++)
        {
            if (ids[i] is null)
            {
                throw ApiProblemException.BadRequest($"Invalid JSON at $.customerIds[{i}]: a customer id is null.", $"$.customerIds[{i}]");
            }
        }

        return Created(context, api, await Guard(sendings, request, SendingAudience.List, "$", () => sendings.SendToListAsync(request, ids.ToAsyncEnumerable(), context.RequestAborted).AsTask()).ConfigureAwait(false));
    }

    private static async Task<IResult> SendCsvAsync(HttpContext context, ISendingManager sendings, JourneysApi api)
    {
        var query = context.Request.Query;
        var campaignId = query["campaignId"].ToString();
        if (string.IsNullOrWhiteSpace(campaignId))
        {
            throw ApiProblemException.BadRequest("Query 'campaignId' is missing: give the campaign to send.", "query:campaignId");
        }

        var options = CsvRequests.Options(context.Request);
        var request = new SendingRequest(campaignId)
        {
            SendingId = SendingId(query.ContainsKey("sendingId") ? query["sendingId"].ToString() : null, "query:sendingId"),
            Name = NullIfEmpty(query["name"].ToString()),
            TimeZoneId = TimeZoneId(NullIfEmpty(query["timeZoneId"].ToString()) ?? "UTC", "query:timeZoneId"),
        };

        var result = await CsvRequests.ReadAsync(context, api, (csv, token) =>
            Guard(sendings, request, SendingAudience.List, "query:", () => sendings.SendToCsvAsync(request, csv, options, token).AsTask())).ConfigureAwait(false);
        var answer = new JsonObject { ["import"] = CsvImportEndpoints.ReportJson(result.Import), ["sending"] = Status(result.Sending) };
        return WithLocation(context, api, result.Sending.SendingId, TypedResults.Text(Contracts.ApiJsonContext.Text(answer), RequestBodies.Json, System.Text.Encoding.UTF8, StatusCodes.Status202Accepted));
    }

    /// <summary>
    /// Maps the manager's refusals: an incomplete request or unknown campaign is 400 naming <c>campaignId</c>, a new
    /// sending's id over <see cref="SendingJourneys.MaxSendingIdLength"/> 400 naming <c>sendingId</c>; a sending id taken
    /// by another campaign or audience, or by a deleted sending, is 409. <paramref name="fields"/> is where the request's
    /// fields are (<c>$</c>: the JSON body, <c>query:</c>: the query string).
    /// </summary>
    private static async Task<T> Guard<T>(ISendingManager sendings, SendingRequest request, SendingAudience audience, string fields, Func<Task<T>> send)
    {
        try
        {
            return await send().ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            // The sending id was checked before; what the manager still refuses is the campaign (not in the catalog)
            // or, rarely, another setting, whose message names it.
            var reason = ApiProblemException.DetailOf(ex);
            var path = reason.StartsWith("Campaign ", StringComparison.Ordinal) ? Field(fields, "campaignId")
                : reason.StartsWith("Sending id ", StringComparison.Ordinal) ? Field(fields, "sendingId")
                : "$";
            throw new ApiProblemException(
                StatusCodes.Status400BadRequest,
                "Invalid sending",
                $"The sending was refused: {reason}",
                new Dictionary<string, object?> { ["path"] = path, ["campaignId"] = request.CampaignId });
        }
        catch (Runtime.JourneyIdInUseException ex)
        {
            // The id of a deleted sending: its counters and enrollments are kept under it, so a new one there is refused.
            throw new ApiProblemException(
                StatusCodes.Status409Conflict,
                "Conflict",
                ex.Message,
                new Dictionary<string, object?> { ["sendingId"] = request.SendingId });
        }
        catch (InvalidOperationException ex)
        {
            // 409 only for the documented refusal: the sending id is taken by another campaign or audience. Any other
            // InvalidOperationException (a store that failed to write, a host shutting down) is not the caller's
            // conflict and goes to the host's error handling as it is.
            if (request.SendingId is { } sendingId
                && await sendings.GetAsync(sendingId, CancellationToken.None).ConfigureAwait(false) is { } existing
                && (existing.Audience != audience || !string.Equals(existing.CampaignId, request.CampaignId, StringComparison.Ordinal)))
            {
                throw ApiProblemException.Conflict(ex.Message);
            }

            throw;
        }
    }

    private static string Field(string fields, string name) => fields == "$" ? $"$.{name}" : $"{fields}{name}";

    /// <summary>
    /// The manager's rule for any sending id, checked first so that a bad one is reported by its own name: up to 200
    /// characters, as a sending made before 2026-12-01 may have (sending again under its id resumes it); the manager
    /// holds a new sending to <see cref="SendingJourneys.MaxSendingIdLength"/> (<see cref="Guard"/>).
    /// </summary>
    private static string? SendingId(string? given, string path) =>
        given is not null && (string.IsNullOrWhiteSpace(given) || given.Length > EarlierSendingIdLength || given.Any(char.IsControl))
            ? throw ApiProblemException.BadRequest($"The sending id at {path} is not valid: it must be 1 to {SendingJourneys.MaxSendingIdLength} characters (up to {EarlierSendingIdLength} to resume a sending made before 2026-12-01), not blank, with no control characters.", path)
            : given;

    /// <summary>The longest sending id of a sending made before 2026-12-01 (the manager's own limit for a sending it resumes).</summary>
    private const int EarlierSendingIdLength = 200;

    /// <summary>The manager's rule for a time zone, checked first so that a bad one is 400 naming its field (not a 422 diagnostic).</summary>
    private static string TimeZoneId(string given, string path) =>
        string.IsNullOrWhiteSpace(given) || !TimeZoneInfo.TryFindSystemTimeZoneById(given, out _)
            ? throw ApiProblemException.BadRequest($"Invalid time zone at {path}: '{given}' is not a known IANA time zone (such as 'Europe/Madrid' or 'UTC').", path)
            : given;

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    private static IResult Created(HttpContext context, JourneysApi api, SendingStatus sending) =>
        WithLocation(context, api, sending.SendingId, TypedResults.Text(Contracts.ApiJsonContext.Text(Status(sending)), RequestBodies.Json, System.Text.Encoding.UTF8, StatusCodes.Status202Accepted));

    private static IResult WithLocation(HttpContext context, JourneysApi api, string sendingId, IResult result)
    {
        context.Response.Headers.Location = $"{context.Request.PathBase}{api.Prefix}/sendings/{Uri.EscapeDataString(sendingId)}";
        return result;
    }

    private static JsonObject Status(SendingStatus sending)
    {
        var p = sending.Progress;
        return new JsonObject
        {
            ["sendingId"] = sending.SendingId,
            ["journeyId"] = sending.JourneyId,
            ["name"] = sending.Name,
            ["campaignId"] = sending.CampaignId,
            ["channel"] = sending.Channel.Name,
            ["audience"] = Camel(sending.Audience.ToString()),
            ["state"] = Camel(sending.State.ToString()),
            ["updatedAt"] = sending.UpdatedAt.ToString("O", CultureInfo.InvariantCulture),
            ["progress"] = new JsonObject
            {
                ["targeted"] = p.Targeted,
                ["enrolled"] = p.Enrolled,
                ["skipped"] = p.Skipped,
                ["unknown"] = p.Unknown,
                ["pending"] = p.Pending,
                ["sent"] = p.Sent,
                ["failed"] = p.Failed,
                ["capped"] = p.Capped,
                ["cancelled"] = p.Cancelled,
                ["delivered"] = p.Delivered,
                ["opened"] = p.Opened,
                ["clicked"] = p.Clicked,
            },
        };
    }

    private static string Camel(string name) => JsonNamingPolicy.CamelCase.ConvertName(name);
}
