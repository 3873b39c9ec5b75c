using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Journeys.Audiences;
using Journeys.Model;
using Microsoft.AspNetCore.Mvc;

namespace Journeys.AspNetCore;

/// <summary>
/// Customers and their field schema: <c>GET/DELETE /customers/{id}</c>, <c>GET /customer-fields</c>,
/// <c>PUT/DELETE /customer-fields/{name}</c>. A field used by an active journey cannot be changed or removed (409,
/// listing the journeys and node ids).
/// </summary>
internal static class CustomerEndpoints
{
    private const string JsonMediaType = "application/json";

    public static void Map(RouteGroupBuilder group, JourneysApi api)
    {
        group.MapPut("/customers", (HttpContext context, [FromServices] IAudienceManager audiences) => PutCustomersAsync(context, audiences, api))
            .WithName("Journeys_PutCustomerBatch")
            .WithSummary("Create or replace a batch of customers by their fields")
            .WithDescription("Body: {\"customers\": [{\"id\", \"fields\", \"timeZone\"}]}. Values are converted to the schema's field types; one bad value refuses the whole batch (400 listing each problem by index and field).")
            .Accepts<JsonElement>(RequestBodies.Json)
            .Produces(StatusCodes.Status200OK, contentType: JsonMediaType)
            .ProducesProblem(StatusCodes.Status400BadRequest);

        group.MapGet("/customers/{id}", async (string id, HttpContext context, [FromServices] IAudienceManager audiences) =>
            {
                id = RouteIds.Read(context, id, "Customer");
                var customer = await audiences.GetCustomerAsync(id, context.RequestAborted).ConfigureAwait(false)
                    ?? throw ApiProblemException.NotFound($"Customer {IdText.Quote(id)} does not exist.");
                return Json(Customer(customer));
            })
            .WithName("Journeys_GetCustomer")
            .WithSummary("Get a customer with its fields")
            .Produces(StatusCodes.Status200OK, contentType: JsonMediaType)
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapDelete("/customers/{id}", async (string id, HttpContext context, [FromServices] IAudienceManager audiences, [FromQuery] bool? erase) =>
            {
                id = RouteIds.Read(context, id, "Customer");
                if (erase == true)
                {
                    // Idempotent: whether or not the profile was there, nothing of the customer is left.
                    await audiences.EraseCustomerAsync(id, context.RequestAborted).ConfigureAwait(false);
                    return TypedResults.NoContent();
                }

                if (!await audiences.DeleteCustomerAsync(id, context.RequestAborted).ConfigureAwait(false))
                {
                    throw ApiProblemException.NotFound($"Customer {IdText.Quote(id)} does not exist.");
                }

                return TypedResults.NoContent();
            })
            .WithName("Journeys_DeleteCustomer")
            .WithSummary("Delete a customer; with erase=true, erase every record of them (enrollments, events, send records)")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/customer-fields", async (HttpContext context, [FromServices] IAudienceManager audiences) =>
                Json(Schema(await audiences.GetFieldsAsync(context.RequestAborted).ConfigureAwait(false))))
            .WithName("Journeys_ListCustomerFields")
            .WithSummary("List the customer field schema")
            .Produces(StatusCodes.Status200OK, contentType: JsonMediaType);

        group.MapPut("/customer-fields/{name}", (string name, HttpContext context, [FromServices] IAudienceManager audiences) => PutFieldAsync(name, context, audiences, api))
            .WithName("Journeys_PutCustomerField")
            .WithSummary("Define or change a customer field")
            .WithDescription("Body: {\"type\": \"string|number|boolean|dateTime|stringList\", \"default\": value}. 409 when an active journey uses the field and the type changes.")
            .Accepts<JsonElement>(RequestBodies.Json)
            .Produces(StatusCodes.Status200OK, contentType: JsonMediaType)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapDelete("/customer-fields/{name}", async (string name, HttpContext context, [FromServices] IAudienceManager audiences) =>
            {
                if (string.IsNullOrWhiteSpace(name) || !await audiences.RemoveFieldAsync(name, context.RequestAborted).ConfigureAwait(false))
                {
                    throw ApiProblemException.NotFound($"Customer field '{name}' is not defined.");
                }

                return TypedResults.NoContent();
            })
            .WithName("Journeys_DeleteCustomerField")
            .WithSummary("Remove a customer field")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
    }

    private static async Task<IResult> PutCustomersAsync(HttpContext context, IAudienceManager audiences, JourneysApi api)
    {
        RequestBodies.MediaType(context.Request, RequestBodies.Json);
        var body = await RequestBodies.ReadAsync(context, api.Options).ConfigureAwait(false);
        var request = RequestBodies.ReadJson(body, Contracts.ApiJsonContext.Api.PutCustomersRequest);
        if (request.CustomerIds is { Count: > 0 })
        {
            throw ApiProblemException.BadRequest("Invalid JSON at $.customerIds: PUT /customers takes customers with fields; put ids into a journey with PUT /journeys/{id}/customers.", "$.customerIds");
        }

        var inputs = new List<CustomerInput>();
        for (var i = 0; i < (request.Customers?.Count ?? 0); i++)
        {
            var customer = request.Customers![i] ?? throw ApiProblemException.BadRequest($"Invalid JSON at $.customers[{i}]: a customer is null.", $"$.customers[{i}]");
            if (string.IsNullOrWhiteSpace(customer.Id))
            {
                throw ApiProblemException.BadRequest($"Invalid JSON at $.customers[{i}].id: a customer id is empty.", $"$.customers[{i}].id");
            }

            // A date-time in the form GET answers ({"dateTime": "..."}, with an offset) is read as the other routes read
            // it; every other value is converted by the schema's type.
            var path = $"$.customers[{i}].fields";
            var fields = customer.Fields?.ToDictionary(
                f => f.Key,
                f => f.Value.ValueKind == JsonValueKind.Object ? (object?)ApiMapping.FieldValue(f.Value, $"{path}.{f.Key}") : f.Value,
                StringComparer.Ordinal);
            inputs.Add(new CustomerInput(customer.Id, fields, customer.TimeZone));
        }

        if (inputs.Count == 0)
        {
            throw ApiProblemException.BadRequest("The body names no customer: give 'customers'.", "$.customers");
        }

        var report = await audiences.PutCustomersAsync(inputs, context.RequestAborted).ConfigureAwait(false);
        return Json(new JsonObject { ["created"] = report.Created, ["updated"] = report.Updated });
    }

    private static async Task<IResult> PutFieldAsync(string name, HttpContext context, IAudienceManager audiences, JourneysApi api)
    {
        RequestBodies.MediaType(context.Request, RequestBodies.Json);
        if (!CustomerFieldSchema.IsValidFieldName(name))
        {
            throw ApiProblemException.BadRequest($"'{name}' is not a valid customer field name.", "name");
        }

        var body = await RequestBodies.ReadAsync(context, api.Options).ConfigureAwait(false);
        FieldType type;
        FieldValue defaultValue;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var typeElement) || typeElement.ValueKind != JsonValueKind.String)
            {
                throw ApiProblemException.BadRequest("Invalid JSON at $.type: give the field type as a string (string, number, boolean, dateTime, stringList).", "$.type");
            }

            // One of the names exactly (ignoring case): Enum.TryParse also takes numbers and comma-separated lists of
            // names, which it combines as flags ("number,boolean" would be DateTime).
            if (!Enum.TryParse(typeElement.GetString(), ignoreCase: true, out type) || !Enum.GetNames<FieldType>().Contains(typeElement.GetString(), StringComparer.OrdinalIgnoreCase))
            {
                throw ApiProblemException.BadRequest($"Invalid JSON at $.type: '{typeElement.GetString()}' is not a field type (string, number, boolean, dateTime, stringList).", "$.type");
            }

            defaultValue = root.TryGetProperty("default", out var defaultElement) ? ApiMapping.FieldValue(defaultElement, "$.default") : FieldValue.Null;
        }
        catch (JsonException ex)
        {
            throw ApiProblemException.BadRequest($"Invalid JSON: {ex.Message}", "$");
        }

        if (defaultValue.Type is { } given && given != type)
        {
            throw ApiProblemException.BadRequest($"Invalid JSON at $.default: the default is a {given}, the field a {type}.", "$.default");
        }

        try
        {
            return Json(Schema(await audiences.DefineFieldAsync(new FieldDefinition(name, type, defaultValue), context.RequestAborted).ConfigureAwait(false)));
        }
        catch (ArgumentException ex) when (ex is not CustomerInputException)
        {
            throw ApiProblemException.BadRequest($"Customer field '{name}' was refused: {ex.Message}", "$");
        }
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ContentHttpResult Json(JsonNode node) => TypedResults.Text(Contracts.ApiJsonContext.Text(node), JsonMediaType, System.Text.Encoding.UTF8);

    private static JsonObject Schema(CustomerFieldSchema schema)
    {
        var fields = new JsonArray();
        foreach (var field in schema.Fields)
        {
            fields.Add((JsonNode)new JsonObject
            {
                ["name"] = field.Name,
                ["type"] = JsonNamingPolicy.CamelCase.ConvertName(field.Type.ToString()),
                ["default"] = Value(field.Default),
            });
        }

        return new JsonObject { ["fields"] = fields };
    }

    private static JsonObject Customer(Customer customer)
    {
        var fields = new JsonObject();
        foreach (var (name, value) in customer.Fields.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            fields[name] = Value(value);
        }

        return new JsonObject { ["id"] = customer.Id, ["timeZone"] = customer.TimeZoneId, ["fields"] = fields };
    }

    /// <summary>A field value in the form the request bodies accept: date-times as <c>{"dateTime": "..."}</c>.</summary>
    internal static JsonNode? Value(FieldValue value) => value.Type switch
    {
        null => null,
        FieldType.String => JsonValue.Create(value.AsString()),
        FieldType.Number => JsonValue.Create(value.AsNumber()),
        FieldType.Boolean => JsonValue.Create(value.AsBoolean()),
        FieldType.DateTime => new JsonObject { ["dateTime"] = value.AsDateTime().ToString("O", CultureInfo.InvariantCulture) },
        FieldType.StringList => new JsonArray([.. value.AsStringList().Select(s => (JsonNode?)JsonValue.Create(s))]),
        _ => throw new InvalidOperationException($"Field type {value.Type} has no JSON form."),
    };
}
