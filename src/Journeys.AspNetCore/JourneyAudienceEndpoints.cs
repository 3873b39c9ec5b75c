using Journeys.AspNetCore.Contracts;
using Journeys.Audiences;
using Journeys.Model;
using Journeys.Runtime;
using Journeys.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Journeys.AspNetCore;

/// <summary>
/// Puts customers into a journey: <c>PUT /journeys/{id}/customers</c> (JSON ids and/or customers with fields).
/// The CSV variant (<c>PUT /journeys/{id}/customers/csv</c>) is in <see cref="CsvImportEndpoints"/>.
/// </summary>
internal static class JourneyAudienceEndpoints
{
    public static void Map(RouteGroupBuilder group, JourneysApi api)
    {
        group.MapPut("/journeys/{id}/customers", (string id, HttpContext context, [FromServices] IJourneyManager manager, [FromServices] IJourneyStore store, [FromServices] ICustomerStore customerStore, [FromServices] IAudienceManager audiences) => PutAsync(id, context, manager, store, customerStore, audiences, api))
            .WithName("Journeys_PutCustomers")
            .WithSummary("Put customers into an active journey, by id or with their fields")
            .WithDescription("Body: {\"customerIds\": [...]} and/or {\"customers\": [{\"id\", \"fields\", \"timeZone\"}]}. Customers with fields are created or replaced first (all or nothing); then every customer is enrolled under the journey's entry rules, and the answer counts the outcomes.")
            .Accepts<PutCustomersRequest>(RequestBodies.Json)
            .Produces<PutCustomersResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
    }

    private const string OuterWhiteSpace = "a customer id has white space at its start or end (ids are compared exactly; the CSV import trims them, so such an id could never be named by a file).";

    private static bool HasOuterWhiteSpace(string id) => char.IsWhiteSpace(id[0]) || char.IsWhiteSpace(id[^1]);

    private static async Task<IResult> PutAsync(string id, HttpContext context, IJourneyManager manager, IJourneyStore store, ICustomerStore customerStore, IAudienceManager audiences, JourneysApi api)
    {
        RequestBodies.MediaType(context.Request, RequestBodies.Json);
        var body = await RequestBodies.ReadAsync(context, api.Options).ConfigureAwait(false);
        var request = RequestBodies.ReadJson(body, ApiJsonContext.Api.PutCustomersRequest);

        var ids = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var customers = new List<Customer>();
        for (var i = 0; i < (request.CustomerIds?.Count ?? 0); i++)
        {
            var customerId = request.CustomerIds![i];
            if (string.IsNullOrWhiteSpace(customerId))
            {
                throw ApiProblemException.BadRequest($"Invalid JSON at $.customerIds[{i}]: a customer id is empty.", $"$.customerIds[{i}]");
            }

            if (HasOuterWhiteSpace(customerId))
            {
                throw ApiProblemException.BadRequest($"Invalid JSON at $.customerIds[{i}]: {OuterWhiteSpace}", $"$.customerIds[{i}]");
            }

            ApiProblemException.ThrowIfCustomerIdTooLong(customerId, $"$.customerIds[{i}]");

            if (seen.Add(customerId))
            {
                ids.Add(customerId);
            }
        }

        var idsOnly = ids.Count;
        for (var i = 0; i < (request.Customers?.Count ?? 0); i++)
        {
            var path = $"$.customers[{i}]";
            var customer = request.Customers![i] ?? throw ApiProblemException.BadRequest($"Invalid JSON at {path}: a customer is null.", path);
            if (string.IsNullOrWhiteSpace(customer.Id))
            {
                throw ApiProblemException.BadRequest($"Invalid JSON at {path}.id: a customer id is empty.", $"{path}.id");
            }

            if (HasOuterWhiteSpace(customer.Id))
            {
                throw ApiProblemException.BadRequest($"Invalid JSON at {path}.id: {OuterWhiteSpace}", $"{path}.id");
            }

            ApiProblemException.ThrowIfCustomerIdTooLong(customer.Id, $"{path}.id");

            if (!seen.Add(customer.Id))
            {
                throw ApiProblemException.BadRequest($"Invalid JSON at {path}.id: customer '{customer.Id}' is given twice.", $"{path}.id");
            }

            customers.Add(new Customer(customer.Id, ApiMapping.Fields(customer.Fields, $"{path}.fields"), customer.TimeZone));
            ids.Add(customer.Id);
        }

        if (ids.Count == 0)
        {
            throw ApiProblemException.BadRequest("The body names no customer: give 'customerIds', 'customers' or both.", "$");
        }

        if (customers.Count > 0)
        {
            CheckAgainstSchema(customers, await audiences.GetFieldsAsync(context.RequestAborted).ConfigureAwait(false));
        }

        var record = await manager.GetAsync(id, context.RequestAborted).ConfigureAwait(false) ?? throw JourneyLifecycleEndpoints.NoJourney(id);
        RefuseSending(id);
        if (!await IsActiveAsync(store, record, context.RequestAborted).ConfigureAwait(false))
        {
            throw ApiProblemException.Conflict($"Journey '{id}' is not active: start it before putting customers into it.");
        }

        // The manager's own refusals of an entry (a customer list that accepts no additions: 409, reason listClosed)
        // before anything is written, as the library's list entry checks them.
        await manager.EnrollAsync(id, [], context.RequestAborted).ConfigureAwait(false);

        var upserted = default(CustomerUpsertResult);
        if (customers.Count > 0)
        {
            (upserted, _) = await manager.PutCustomersAsync(customers, context.RequestAborted).ConfigureAwait(false);
        }

        // An id that is no customer yet is created with its id, as the library's list entry (EnrollListAsync) does:
        // an enrolled customer has a record (GET /customers/{id}, its deletion, the exports). Created by a merge that
        // sets nothing (IAudienceManager.PutCustomersAsync), never by a replace: a customer that another writer (an
        // import, the engine's update node) created since the read keeps its fields.
        if (idsOnly > 0)
        {
            var stored = await customerStore.GetManyAsync(ids[..idsOnly], context.RequestAborted).ConfigureAwait(false);
            var missing = new List<CustomerInput>();
            for (var i = 0; i < idsOnly; i++)
            {
                if (stored[i] is null)
                {
                    missing.Add(new CustomerInput(ids[i]));
                }
            }

            if (missing.Count > 0)
            {
                var report = await audiences.PutCustomersAsync(missing, context.RequestAborted).ConfigureAwait(false);
                upserted = new CustomerUpsertResult(upserted.Created + report.Created, upserted.Updated);
            }
        }

        IReadOnlyList<EnrollmentOutcome> outcomes;
        try
        {
            outcomes = await manager.EnrollAsync(id, ids, context.RequestAborted).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // The journey was stopped (or deleted) after the check above: the customers' fields are their own resource
            // and stay as put; the answer says so, and that no one was enrolled. Any other InvalidOperationException (a
            // store that failed to write) is the server's and goes to the host's error handling as it is.
            var current = await manager.GetAsync(id, CancellationToken.None).ConfigureAwait(false);
            if (current is not null && await IsActiveAsync(store, current, CancellationToken.None).ConfigureAwait(false))
            {
                throw;
            }

            throw ApiProblemException.Conflict(customers.Count > 0
                ? $"Journey '{id}' was stopped while the customers were being put: their fields were saved ({upserted.Created} created, {upserted.Updated} updated) and no customer was enrolled."
                : $"Journey '{id}' was stopped while the customers were being put: no customer was enrolled.");
        }

        var counts = new int[Enum.GetValues<EnrollmentOutcomeKind>().Length];
        foreach (var outcome in outcomes)
        {
            counts[(int)outcome.Kind]++;
        }

        return TypedResults.Json(
            new PutCustomersResponse(
                id,
                upserted.Created,
                upserted.Updated,
                counts[(int)EnrollmentOutcomeKind.Created],
                counts[(int)EnrollmentOutcomeKind.DuplicateActive],
                counts[(int)EnrollmentOutcomeKind.ReEntryRefused],
                counts[(int)EnrollmentOutcomeKind.CapReached],
                counts[(int)EnrollmentOutcomeKind.OutsideWindow]),
            ApiJsonContext.Api.PutCustomersResponse);
    }

    /// <summary>
    /// A sending's journey takes the audience its sending was given: customers put into it would be sent the campaign
    /// outside the sending's counts (its targeted and enrolled progress), so the journey routes refuse them (409).
    /// </summary>
    internal static void RefuseSending(string id)
    {
        if (Journeys.Sendings.SendingJourneys.IsSending(id))
        {
            throw ApiProblemException.Conflict($"Journey '{id}' belongs to a sending: customers cannot be put into it. Send the campaign to more customers with a new sending (POST /sendings/list or /sendings/csv).");
        }
    }

    /// <summary>
    /// What <c>PUT /customers</c> refuses too, checked before anything is written: a value of a schema field that is
    /// not of the field's type (it would be stored as given, and conditions on the field would not read it), and a
    /// time zone that is not a known IANA id (it would be replaced by the journey's without a word). Fields the schema
    /// does not define are stored with the type their JSON gives, as before.
    /// </summary>
    private static void CheckAgainstSchema(List<Customer> customers, CustomerFieldSchema schema)
    {
        for (var i = 0; i < customers.Count; i++)
        {
            var customer = customers[i];
            if (customer.TimeZoneId is { } zone && !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
            {
                throw ApiProblemException.BadRequest($"Invalid JSON at $.customers[{i}].timeZone: '{zone}' is not a known IANA time zone.", $"$.customers[{i}].timeZone");
            }

            foreach (var (name, value) in customer.Fields)
            {
                if (value.Type is { } given && schema.TryGetField(name, out var field) && given != field.Type)
                {
                    var path = $"$.customers[{i}].fields.{name}";
                    throw ApiProblemException.BadRequest(
                        $"Invalid JSON at {path}: customer field '{field.Name}' is a {TypeName(field.Type)}, the value a {TypeName(given)}{(field.Type == FieldType.DateTime ? " (give a date-time as {\"dateTime\": \"...\"})" : string.Empty)}.",
                        path);
                }
            }
        }
    }

    private static string TypeName(FieldType type) => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(type.ToString());

    /// <summary>
    /// Whether a version runs: the latest may be a draft of the next version while an earlier one is active. Checked
    /// before anything is written, so a refused request leaves no customer changed.
    /// </summary>
    internal static async Task<bool> IsActiveAsync(IJourneyStore store, JourneyRecord latest, CancellationToken cancellationToken)
    {
        for (var version = latest.Journey.Version; version >= 1; version--)
        {
            var record = version == latest.Journey.Version
                ? latest
                : await store.GetVersionAsync(latest.Journey.Id, version, cancellationToken).ConfigureAwait(false);
            switch (record?.Journey.Status)
            {
                case JourneyStatus.Active:
                    return true;
                case JourneyStatus.Stopped or JourneyStatus.Archived:
                    return false;
            }
        }

        return false;
    }
}
