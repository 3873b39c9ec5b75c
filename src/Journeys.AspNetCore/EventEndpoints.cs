using Journeys.AspNetCore.Contracts;
using Journeys.Model;
using Journeys.Runtime;
using Microsoft.AspNetCore.Mvc;

namespace Journeys.AspNetCore;

/// <summary>Publishes customer events: <c>POST /events</c> with one event object or an array of them.</summary>
internal static class EventEndpoints
{
    // The stores' limit, refused here with the field's path.
    private const int EventIdMaxLength = Journeys.Storage.StoreArgumentChecks.MaxEventIdLength;

    // The engine's own event with a webhook call's result (Journeys.Runtime.StepExecutor.WebhookResultEvent): refused by
    // IJourneyManager.PublishAsync, and here named by its path.
    private const string WebhookResultEvent = "journeys.webhook.result";

    public static void Map(RouteGroupBuilder group, JourneysApi api)
    {
        group.MapPost("/events", (HttpContext context, [FromServices] IJourneyManager manager, [FromServices] TimeProvider time) => PublishAsync(context, manager, time, api))
            .WithName("Journeys_PublishEvents")
            .WithSummary("Publish one customer event or a batch")
            .WithDescription("Body: {\"customerId\", \"name\", \"properties\", \"time\", \"messageId\", \"id\"} or an array of them. Events wake waiting enrollments, convert on goals and enter event journeys. 'time' defaults to now. An event whose 'id' was already published for the customer (within the engine's EventIdWindow) is a retry: acknowledged, counted in 'duplicates', not handled again.")
            .Accepts<List<EventRequest>>(RequestBodies.Json)
            .Produces<EventsAccepted>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest);
    }

    private static async Task<IResult> PublishAsync(HttpContext context, IJourneyManager manager, TimeProvider time, JourneysApi api)
    {
        RequestBodies.MediaType(context.Request, RequestBodies.Json);
        var body = await RequestBodies.ReadAsync(context, api.Options).ConfigureAwait(false);
        var batch = FirstToken(body) == (byte)'[';
        var requests = batch
            ? RequestBodies.ReadJson(body, ApiJsonContext.Api.ListEventRequest)
            : [RequestBodies.ReadJson(body, ApiJsonContext.Api.EventRequest)];

        var now = time.GetUtcNow();
        var events = new List<CustomerEvent>(requests.Count);
        for (var i = 0; i < requests.Count; i++)
        {
            var request = requests[i] ?? throw ApiProblemException.BadRequest($"Invalid JSON at $[{i}]: an event is null.", $"$[{i}]");
            var path = batch ? $"$[{i}]" : "$";
            if (string.IsNullOrWhiteSpace(request.CustomerId))
            {
                throw ApiProblemException.BadRequest($"Invalid JSON at {path}.customerId: the customer id is empty.", $"{path}.customerId");
            }

            ApiProblemException.ThrowIfCustomerIdTooLong(request.CustomerId, $"{path}.customerId");

            if (string.IsNullOrWhiteSpace(request.Name))
            {
                throw ApiProblemException.BadRequest($"Invalid JSON at {path}.name: the event name is empty.", $"{path}.name");
            }

            if (string.Equals(request.Name, WebhookResultEvent, StringComparison.Ordinal))
            {
                throw ApiProblemException.BadRequest($"Invalid JSON at {path}.name: '{WebhookResultEvent}' is reserved for the engine's webhook results.", $"{path}.name");
            }

            if (request.Id is { } id && (string.IsNullOrWhiteSpace(id) || id.Length > EventIdMaxLength))
            {
                throw ApiProblemException.BadRequest($"Invalid JSON at {path}.id: the event id is empty or longer than {EventIdMaxLength} characters.", $"{path}.id");
            }

            events.Add(new CustomerEvent(
                request.CustomerId,
                request.Name,
                ApiMapping.Fields(request.Properties, $"{path}.properties"),
                request.Time ?? now,
                request.MessageId)
            {
                Id = request.Id,
            });
        }

        var handled = events.Count > 0 ? await manager.PublishNewAsync(events, context.RequestAborted).ConfigureAwait(false) : 0;
        return TypedResults.Json(new EventsAccepted(events.Count, events.Count - handled), ApiJsonContext.Api.EventsAccepted, statusCode: StatusCodes.Status202Accepted);
    }

    private static byte FirstToken(ReadOnlySpan<byte> body)
    {
        if (body.StartsWith("\uFEFF"u8))
        {
            body = body[3..];
        }

        foreach (var b in body)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                return b;
            }
        }

        return 0;
    }
}
