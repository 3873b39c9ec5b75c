using System.Net;
using System.Text.Json;

namespace Journeys.AspNetCore.Tests;

public sealed class AuthorizationAndOpenApiTests
{
    private static readonly string[] Routes =
    [
        "GET /journeys", "POST /journeys", "GET /journeys/x", "PUT /journeys/x", "DELETE /journeys/x", "GET /journeys/x/check",
        "POST /journeys/x/clone", "PUT /journeys/x/start", "PUT /journeys/x/stop", "POST /journeys/x/states", "GET /journeys/x/states/s",
        "PUT /journeys/x/states/s", "DELETE /journeys/x/states/s", "PUT /journeys/x/customers", "POST /events",
        "GET /journeys/x/statistics", "GET /journeys/x/statistics/live", "GET /journeys/x/statistics/customers.csv", "PUT /customers", "GET /customers/x", "DELETE /customers/x", "GET /customer-fields",
        "PUT /customer-fields/x", "DELETE /customer-fields/x", "PUT /customers/csv", "PUT /journeys/x/customers/csv",
        "POST /sendings/all", "POST /sendings/list", "POST /sendings/csv", "GET /sendings", "GET /sendings/x", "PUT /sendings/x/stop",
        "GET /engine",
    ];

    public static TheoryData<string> AllRoutes() => [.. Routes];

    private static HttpRequestMessage Request(string route, string prefix = "/journeys-api")
    {
        var parts = route.Split(' ');
        var content = parts[1].EndsWith("/csv", StringComparison.Ordinal) ? JourneyEndpointTests.Body("customerId\nc1\n", "text/csv") : JourneyEndpointTests.Body("{}");
        return new HttpRequestMessage(new HttpMethod(parts[0]), prefix + parts[1]) { Content = content };
    }

    [Theory]
    [MemberData(nameof(AllRoutes))]
    public async Task Every_route_requires_an_authenticated_user_by_default(string route)
    {
        await using var host = await ApiHost.StartAsync();
        using var anonymous = host.AnonymousClient();

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(Request(route))).StatusCode);
    }

    [Theory]
    [MemberData(nameof(AllRoutes))]
    public async Task A_named_policy_refuses_a_user_without_its_claim(string route)
    {
        await using var host = await ApiHost.StartAsync(o => o.AuthorizationPolicy = "journeys-admin");
        using var unscoped = host.AnonymousClient();
        unscoped.DefaultRequestHeaders.Add("X-Test-User", "someone");

        Assert.Equal(HttpStatusCode.Forbidden, (await unscoped.SendAsync(Request(route))).StatusCode);
        using var anonymous = host.AnonymousClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(Request(route))).StatusCode);
    }

    [Fact]
    public async Task A_user_with_the_policy_claim_and_an_anonymous_opt_in_get_through()
    {
        await using (var host = await ApiHost.StartAsync(o => o.AuthorizationPolicy = "journeys-admin"))
        {
            await ApiAssert.Json(await host.Client.GetAsync("/journeys-api/journeys"), HttpStatusCode.OK);
        }

        await using var open = await ApiHost.StartAsync(o => o.AllowAnonymous = true);
        using var anonymous = open.AnonymousClient();
        await ApiAssert.Json(await anonymous.GetAsync("/journeys-api/journeys"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task Contradictory_or_invalid_options_are_refused_when_mapping()
    {
        var both = await Assert.ThrowsAsync<InvalidOperationException>(() => ApiHost.StartAsync(o => { o.AllowAnonymous = true; o.AuthorizationPolicy = "p"; }));
        Assert.Contains("AllowAnonymous", both.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => ApiHost.StartAsync(o => o.MaxRequestBodySize = 0));
    }

    [Fact]
    public async Task The_openapi_document_describes_every_operation_with_its_name_and_summary()
    {
        await using var host = await ApiHost.StartAsync(o => o.AllowAnonymous = true, withOpenApi: true);
        var document = await ApiAssert.Json(await host.Client.GetAsync("/openapi/v1.json"), HttpStatusCode.OK);

        var operations = new List<(string Route, string OperationId, string Summary)>();
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                if (operation.Value.ValueKind == JsonValueKind.Object && operation.Value.TryGetProperty("operationId", out var id))
                {
                    operations.Add(($"{operation.Name.ToUpperInvariant()} {path.Name}", id.GetString()!, operation.Value.GetProperty("summary").GetString()!));
                }
            }
        }

        Assert.Equal(Routes.Length, operations.Count);
        Assert.Contains(operations, o => o.Route == "POST /journeys-api/journeys" && o.OperationId == "Journeys_Create");
        Assert.Contains(operations, o => o.Route == "PUT /journeys-api/journeys/{id}/start" && o.OperationId == "Journeys_Start");
        Assert.Contains(operations, o => o.Route == "POST /journeys-api/events" && o.OperationId == "Journeys_PublishEvents");
        Assert.All(operations, o => Assert.False(string.IsNullOrWhiteSpace(o.Summary)));
        // A journey asked for as states that the format cannot express is 406 (docs/http-api.md): the document says so.
        var get = document.GetProperty("paths").GetProperty("/journeys-api/journeys/{id}").GetProperty("get").GetProperty("responses");
        Assert.Equal(["200", "404", "406"], get.EnumerateObject().Select(r => r.Name).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("/journeys-api/journeys/{id}/stop", "put", "drain", "boolean")]
    [InlineData("/journeys-api/journeys/{id}/statistics", "get", "version", "integer")]
    [InlineData("/journeys-api/journeys/{id}/statistics/customers.csv", "get", "version", "integer")]
    [InlineData("/journeys-api/journeys/{id}/statistics/live", "get", "intervalSeconds", "number")]
    [InlineData("/journeys-api/journeys", "get", "limit", "integer")]
    [InlineData("/journeys-api/sendings", "get", "limit", "integer")]
    public async Task The_openapi_document_gives_the_query_values_the_endpoints_parse_themselves_their_real_type(string route, string method, string name, string type)
    {
        // The endpoints take these as strings so that a value that does not parse is a problem naming it (QueryValues);
        // a client generated from the document must still send a boolean / a number, not any text.
        await using var host = await ApiHost.StartAsync(o => o.AllowAnonymous = true, withOpenApi: true);
        var document = await ApiAssert.Json(await host.Client.GetAsync("/openapi/v1.json"), HttpStatusCode.OK);

        var parameter = document.GetProperty("paths").GetProperty(route).GetProperty(method).GetProperty("parameters")
            .EnumerateArray().Single(p => p.GetProperty("name").GetString() == name);
        Assert.Equal("query", parameter.GetProperty("in").GetString());
        Assert.False(parameter.TryGetProperty("required", out var required) && required.GetBoolean());
        var schema = parameter.GetProperty("schema");
        Assert.Equal(type, schema.GetProperty("type").ValueKind == JsonValueKind.Array
            ? schema.GetProperty("type").EnumerateArray().Select(t => t.GetString()).Single(t => t != "null")
            : schema.GetProperty("type").GetString());
    }
}
