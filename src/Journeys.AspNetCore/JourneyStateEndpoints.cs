using Journeys.Building;
using Journeys.Model;
using Journeys.Runtime;
using Journeys.Serialization;
using Microsoft.AspNetCore.Mvc;

namespace Journeys.AspNetCore;

/// <summary>Journey states (nodes) of a draft: read, add, replace, remove one at a time.</summary>
internal static class JourneyStateEndpoints
{
    public static void Map(RouteGroupBuilder group, JourneysApi api)
    {
        group.MapGet("/journeys/{id}/states/{stateId}", GetAsync)
            .WithName("Journeys_GetState")
            .WithSummary("Get one state (node) of a journey")
            .Produces(StatusCodes.Status200OK, contentType: RequestBodies.Json)
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/journeys/{id}/states", (string id, HttpContext context, [FromServices] IJourneyManager manager) => AddAsync(id, context, manager, api))
            .WithName("Journeys_AddState")
            .WithSummary("Add a state (node) to a draft journey")
            .WithDescription("The body is one node of the journey document format. The answer is the whole edited journey with its new ETag. The first node of an empty journey becomes its start node.")
            .Accepts<object>(RequestBodies.Json)
            .Produces(StatusCodes.Status201Created, contentType: JourneyMediaTypes.Journey)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);

        group.MapPut("/journeys/{id}/states/{stateId}", (string id, string stateId, HttpContext context, [FromServices] IJourneyManager manager) => ReplaceAsync(id, stateId, context, manager, api))
            .WithName("Journeys_ReplaceState")
            .WithSummary("Replace a state (node) of a draft journey")
            .Accepts<object>(RequestBodies.Json)
            .Produces(StatusCodes.Status200OK, contentType: JourneyMediaTypes.Journey)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);

        group.MapDelete("/journeys/{id}/states/{stateId}", RemoveAsync)
            .WithName("Journeys_RemoveState")
            .WithSummary("Remove a state (node) that nothing points at from a draft journey")
            .Produces(StatusCodes.Status200OK, contentType: JourneyMediaTypes.Journey)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);
    }

    private static async Task<IResult> GetAsync(string id, string stateId, HttpContext context, [FromServices] IJourneyManager manager)
    {
        var record = await manager.GetAsync(id, context.RequestAborted).ConfigureAwait(false) ?? throw JourneyLifecycleEndpoints.NoJourney(id);
        var node = record.Journey.FindNode(stateId) ?? throw NoState(id, stateId);
        ETags.Set(context.Response, record);
        return TypedResults.Text(JourneyJson.SerializeNode(node), RequestBodies.Json);
    }

    private static async Task<IResult> AddAsync(string id, HttpContext context, IJourneyManager manager, JourneysApi api)
    {
        JourneyLifecycleEndpoints.RefuseSending(id);
        var ifMatch = ETags.IfMatch(context.Request);
        var node = await JourneyBodies.ReadNodeAsync(context, api).ConfigureAwait(false);
        var record = await manager.EditAsync(id, j => j.AddNode(node), ifMatch, context.RequestAborted).ConfigureAwait(false);
        return new JourneyDocumentResult(context, record, StatusCodes.Status201Created, $"{api.JourneyLocation(context, id)}/states/{Uri.EscapeDataString(node.Id)}");
    }

    private static async Task<IResult> ReplaceAsync(string id, string stateId, HttpContext context, IJourneyManager manager, JourneysApi api)
    {
        JourneyLifecycleEndpoints.RefuseSending(id);
        var ifMatch = ETags.IfMatch(context.Request);
        var node = await JourneyBodies.ReadNodeAsync(context, api).ConfigureAwait(false);
        if (!string.Equals(node.Id, stateId, StringComparison.Ordinal))
        {
            throw ApiProblemException.BadRequest($"The node's id '{node.Id}' is not the state id in the address '{stateId}'; remove and add to rename a state.", "$.id");
        }

        var record = await manager.EditAsync(id, j => RequireState(j, stateId).ReplaceNode(node), ifMatch, context.RequestAborted).ConfigureAwait(false);
        return new JourneyDocumentResult(context, record, StatusCodes.Status200OK, null);
    }

    private static async Task<IResult> RemoveAsync(string id, string stateId, HttpContext context, [FromServices] IJourneyManager manager)
    {
        JourneyLifecycleEndpoints.RefuseSending(id);
        var ifMatch = ETags.IfMatch(context.Request);
        var record = await manager.EditAsync(id, j => RequireState(j, stateId).RemoveNode(stateId), ifMatch, context.RequestAborted).ConfigureAwait(false);
        return new JourneyDocumentResult(context, record, StatusCodes.Status200OK, null);
    }

    /// <summary>404 for a state the journey does not have; an uneditable journey is left to the edit, which refuses it with 409.</summary>
    private static JourneyDefinition RequireState(JourneyDefinition journey, string stateId) =>
        journey.Status is not (JourneyStatus.Draft or JourneyStatus.Validated) || journey.FindNode(stateId) is not null
            ? journey
            : throw NoState(journey.Id, stateId);

    private static ApiProblemException NoState(string id, string stateId) =>
        ApiProblemException.NotFound($"Journey {IdText.Quote(id)} has no state {IdText.Quote(stateId)}.");
}
