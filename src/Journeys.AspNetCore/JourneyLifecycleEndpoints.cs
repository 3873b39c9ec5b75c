using Journeys.AspNetCore.Contracts;
using Journeys.Runtime;
using Journeys.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;

namespace Journeys.AspNetCore;

/// <summary>Create, update, get, list, delete, check, clone, start and stop journeys.</summary>
internal static class JourneyLifecycleEndpoints
{
    public static void Map(RouteGroupBuilder group, JourneysApi api)
    {
        group.MapPost("/journeys", (HttpContext context, [FromServices] IJourneyManager manager) => CreateAsync(context, manager, api))
            .WithName("Journeys_Create")
            .WithSummary("Create a journey (a draft)")
            .WithDescription("The body is a journey document (application/json), or a vendor state document (application/vnd.journeys.states+json, or ?format=states). The journey is stored as a draft, version 1; the answer carries its ETag and Location.")
            .Accepts<object>(JourneyMediaTypes.Journey, JourneyMediaTypes.States)
            .Produces(StatusCodes.Status201Created, contentType: JourneyMediaTypes.Journey)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        group.MapGet("/journeys", ListAsync)
            .WithName("Journeys_List")
            .WithSummary("List journeys (latest version of each), a page at a time")
            .WithDescription("Query: limit (1–1000, default 100), after (the last journey id of the page before). In ordinal order of journey id; a Link header with rel=\"next\" gives the next page when there is one.")
            .Paged()
            .Produces<List<JourneySummary>>()
            .ProducesProblem(StatusCodes.Status400BadRequest);

        group.MapGet("/journeys/{id}", GetAsync)
            .WithName("Journeys_Get")
            .WithSummary("Get a journey (its latest version) with its ETag; as a state document with ?format=states or Accept: application/vnd.journeys.states+json")
            .Produces(StatusCodes.Status200OK, null, JourneyMediaTypes.Journey, JourneyMediaTypes.States)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status406NotAcceptable);

        group.MapPut("/journeys/{id}", (string id, HttpContext context, [FromServices] IJourneyManager manager) => UpdateAsync(id, context, manager, api))
            .WithName("Journeys_Update")
            .WithSummary("Replace a journey")
            .WithDescription("A draft or validated journey is replaced in place; an active or stopped journey gets a new draft version (running enrollments stay on theirs). Send If-Match with the ETag read to refuse a lost update (412).")
            .Accepts<object>(JourneyMediaTypes.Journey, JourneyMediaTypes.States)
            .Produces(StatusCodes.Status200OK, contentType: JourneyMediaTypes.Journey)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);

        group.MapDelete("/journeys/{id}", DeleteAsync)
            .WithName("Journeys_Delete")
            .WithSummary("Delete a journey and all its versions, cancelling its running enrollments")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);

        group.MapGet("/journeys/{id}/check", CheckAsync)
            .WithName("Journeys_Check")
            .WithSummary("Validate a journey and list every problem found")
            .Produces<CheckResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/journeys/{id}/clone", (string id, HttpContext context, [FromServices] IJourneyManager manager) => CloneAsync(id, context, manager, api))
            .WithName("Journeys_Clone")
            .WithSummary("Copy a journey into a new draft")
            .Accepts<CloneRequest>(RequestBodies.Json)
            .Produces(StatusCodes.Status201Created, contentType: JourneyMediaTypes.Journey)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapPut("/journeys/{id}/start", StartAsync)
            .WithName("Journeys_Start")
            .WithSummary("Validate and activate a journey; its audience enters now, or when its entry window opens")
            .Produces<StartResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity);

        group.MapPut("/journeys/{id}/stop", StopAsync)
            .WithName("Journeys_Stop")
            .QueryValue("drain", JsonSchemaType.Boolean)
            .WithSummary("Stop a journey's intake; waiting enrollments are cancelled unless drain=true")
            .Produces<StopResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);
    }

    private static async Task<IResult> CreateAsync(HttpContext context, IJourneyManager manager, JourneysApi api)
    {
        var journey = await JourneyBodies.ReadJourneyAsync(context, api).ConfigureAwait(false);
        Storage.JourneyRecord record;
        try
        {
            record = await manager.CreateAsync(journey, context.RequestAborted).ConfigureAwait(false);
        }
        catch (ArgumentException ex) when (ex.ParamName == "journey")
        {
            throw ApiProblemException.BadRequest(ApiProblemException.DetailOf(ex), "$.id");
        }
        catch (Storage.JourneyConcurrencyException)
        {
            throw IdTaken(journey.Id, api);
        }
        catch (JourneyIdInUseException ex)
        {
            throw IdOfDeleted(ex);
        }

        return new JourneyDocumentResult(context, record, StatusCodes.Status201Created, api.JourneyLocation(context, record.Journey.Id));
    }

    private static async Task<IResult> ListAsync(string? limit, string? after, HttpContext context, [FromServices] IJourneyManager manager)
    {
        var page = Paging.Read(limit, after);
        var records = new List<JourneyRecord>();
        await foreach (var record in manager.ListAsync(context.RequestAborted).ConfigureAwait(false))
        {
            if (page.After is null || string.CompareOrdinal(record.Journey.Id, page.After) > 0)
            {
                records.Add(record);
            }
        }

        records.Sort(static (a, b) => string.CompareOrdinal(a.Journey.Id, b.Journey.Id));
        var list = new List<JourneySummary>(Math.Min(records.Count, page.Limit));
        for (var i = 0; i < records.Count && i < page.Limit; i++)
        {
            list.Add(ApiMapping.Summary(records[i]));
        }

        if (records.Count > page.Limit)
        {
            Paging.LinkNext(context, page.Limit, list[^1].Id);
        }

        return TypedResults.Json(list, ApiJsonContext.Api.ListJourneySummary);
    }

    private static async Task<IResult> GetAsync(string id, HttpContext context, [FromServices] IJourneyManager manager)
    {
        id = RouteIds.Read(context, id, "Journey");
        var record = await manager.GetAsync(id, context.RequestAborted).ConfigureAwait(false)
            ?? throw NoJourney(id);
        return new JourneyDocumentResult(context, record, StatusCodes.Status200OK, null);
    }

    private static async Task<IResult> UpdateAsync(string id, HttpContext context, IJourneyManager manager, JourneysApi api)
    {
        var ifMatch = ETags.IfMatch(context.Request);
        var journey = await JourneyBodies.ReadJourneyAsync(context, api).ConfigureAwait(false);
        if (!string.Equals(journey.Id, id, StringComparison.Ordinal))
        {
            throw ApiProblemException.BadRequest($"The document's id {Model.IdText.Quote(journey.Id)} is not the id in the address {Model.IdText.Quote(id)}; a journey's id cannot be changed (clone it instead).", "$.id");
        }

        var record = await manager.UpdateAsync(journey, ifMatch, context.RequestAborted).ConfigureAwait(false);
        return new JourneyDocumentResult(context, record, StatusCodes.Status200OK, null);
    }

    private static async Task<IResult> DeleteAsync(string id, HttpContext context, [FromServices] IJourneyManager manager)
    {
        id = RouteIds.Read(context, id, "Journey");
        if (context.Request.Headers.IfMatch.Count > 0)
        {
            ETags.Require(context.Request, await manager.GetAsync(id, context.RequestAborted).ConfigureAwait(false) ?? throw NoJourney(id));
        }

        return await manager.DeleteAsync(id, context.RequestAborted).ConfigureAwait(false)
            ? TypedResults.NoContent()
            : throw NoJourney(id);
    }

    private static async Task<IResult> CheckAsync(string id, HttpContext context, [FromServices] IJourneyManager manager)
    {
        var record = await manager.GetAsync(id, context.RequestAborted).ConfigureAwait(false) ?? throw NoJourney(id);
        var result = await manager.ValidateAsync(id, context.RequestAborted).ConfigureAwait(false);
        ETags.Set(context.Response, record);
        return TypedResults.Json(
            new CheckResponse(id, record.Journey.Version, result.IsValid, result.ErrorCount, result.WarningCount, ApiMapping.Diagnostics(result.Diagnostics)),
            ApiJsonContext.Api.CheckResponse);
    }

    private static async Task<IResult> CloneAsync(string id, HttpContext context, IJourneyManager manager, JourneysApi api)
    {
        RequestBodies.MediaType(context.Request, RequestBodies.Json);
        var body = await RequestBodies.ReadAsync(context, api.Options).ConfigureAwait(false);
        var request = RequestBodies.ReadJson(body, ApiJsonContext.Api.CloneRequest);
        if (await manager.GetAsync(id, context.RequestAborted).ConfigureAwait(false) is null)
        {
            throw NoJourney(id);
        }

        if (string.IsNullOrWhiteSpace(request.Name))
        {
            throw ApiProblemException.BadRequest("The new journey's name is empty.", "$.name");
        }

        Storage.JourneyRecord record;
        try
        {
            record = await manager.CloneAsync(id, request.Id, request.Name, context.RequestAborted).ConfigureAwait(false);
        }
        catch (ArgumentException ex) when (ex.ParamName == "newId")
        {
            throw ApiProblemException.BadRequest(ApiProblemException.DetailOf(ex), "$.id");
        }
        catch (Storage.JourneyConcurrencyException)
        {
            throw IdTaken(request.Id, api);
        }
        catch (JourneyIdInUseException ex)
        {
            throw IdOfDeleted(ex);
        }

        return new JourneyDocumentResult(context, record, StatusCodes.Status201Created, api.JourneyLocation(context, record.Journey.Id));
    }

    private static async Task<IResult> StartAsync(string id, HttpContext context, [FromServices] IJourneyManager manager)
    {
        RefuseSending(id);
        ETags.Require(context.Request, await manager.GetAsync(id, context.RequestAborted).ConfigureAwait(false) ?? throw NoJourney(id));

        // The manager's refusals (archived, entry window ended) are JourneyLifecycleExceptions: 409 (JourneysProblemFilter).
        var (record, enrolled) = await manager.ActivateAsync(id, context.RequestAborted).ConfigureAwait(false);
        ETags.Set(context.Response, record);
        return TypedResults.Json(new StartResponse(ApiMapping.Summary(record), enrolled), ApiJsonContext.Api.StartResponse);
    }

    private static async Task<IResult> StopAsync(string id, string? drain, HttpContext context, [FromServices] IJourneyManager manager)
    {
        var drainAll = QueryValues.Boolean(drain, nameof(drain)) ?? false;
        RefuseSending(id);
        ETags.Require(context.Request, await manager.GetAsync(id, context.RequestAborted).ConfigureAwait(false) ?? throw NoJourney(id));
        var (record, cancelled) = await manager.StopAsync(id, drainAll, context.RequestAborted).ConfigureAwait(false);
        ETags.Set(context.Response, record);
        return TypedResults.Json(new StopResponse(ApiMapping.Summary(record), cancelled), ApiJsonContext.Api.StopResponse);
    }

    /// <summary>The journey manager refuses to activate, edit or stop a sending's journey (an ArgumentException, a 500 if unmapped): 409 here.</summary>
    internal static void RefuseSending(string id)
    {
        if (Journeys.Sendings.SendingJourneys.IsSending(id))
        {
            throw ApiProblemException.Conflict($"Journey '{id}' belongs to a sending: manage it under /sendings (it cannot be started, edited or stopped as a journey; PUT /sendings/{id[Journeys.Sendings.SendingJourneys.JourneyIdPrefix.Length..]}/stop stops it).");
        }
    }

    /// <summary>
    /// A create or clone onto an id already taken. The store's message speaks to C# callers ("pass the ETag read with
    /// it"); over HTTP the way to change that journey is a PUT of it.
    /// </summary>
    private static ApiProblemException IdTaken(string id, JourneysApi api) => new(
        StatusCodes.Status409Conflict,
        "Conflict",
        $"Journey '{id}' already exists: choose another id, or replace it with PUT {api.Prefix}/journeys/{id} (If-Match: its ETag).",
        new Dictionary<string, object?> { ["journeyId"] = id });

    private static ApiProblemException IdOfDeleted(JourneyIdInUseException ex) => new(
        StatusCodes.Status409Conflict,
        "Conflict",
        ex.Message,
        new Dictionary<string, object?> { ["journeyId"] = ex.JourneyId });

    internal static ApiProblemException NoJourney(string id) => ApiProblemException.NotFound($"There is no journey {Model.IdText.Quote(id)}.");
}
