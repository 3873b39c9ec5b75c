using System.Net;
using System.Reflection;
using System.Text;
using Journeys.Audiences;
using Journeys.Sendings;
using Journeys.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.AspNetCore.Tests;

/// <summary>
/// The endpoints beyond the journey lifecycle, with the input that made them answer 500 (an exception the routes did
/// not map) or answer wrongly: null items in a batch, blank or slash-holding ids in the address, an interval that is not
/// a number, customers put into a sending's journey, a date-time in the form GET answers, a CSV in another charset.
/// </summary>
public sealed class EndpointAuditTests : IAsyncLifetime
{
    private ApiHost _host = null!;

    private HttpClient Client => _host.Client;

    public async Task InitializeAsync() => _host = await ApiHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static StringContent Body(string json) => JourneyEndpointTests.Body(json);

    private async Task<Customer?> CustomerAsync(string id) => await _host.Services.GetRequiredService<ICustomerStore>().GetAsync(id);

    [Fact]
    public async Task A_null_item_in_a_batch_is_400_naming_its_index_and_nothing_is_written()
    {
        await ApiAssert.Json(await Client.PostAsync("/journeys-api/journeys", JourneyEndpointTests.Document(ApiHost.Tips())), HttpStatusCode.Created);
        await ApiAssert.Json(await Client.PutAsync("/journeys-api/journeys/tips-journey/start", null), HttpStatusCode.OK);

        var put = await ApiAssert.Problem(await Client.PutAsync("/journeys-api/customers", Body("""{"customers": [{"id": "n1"}, null]}""")), HttpStatusCode.BadRequest);
        Assert.Equal("$.customers[1]", put.GetProperty("path").GetString());
        var into = await ApiAssert.Problem(await Client.PutAsync("/journeys-api/journeys/tips-journey/customers", Body("""{"customers": [{"id": "n1"}, null]}""")), HttpStatusCode.BadRequest);
        Assert.Equal("$.customers[1]", into.GetProperty("path").GetString());
        Assert.Null(await CustomerAsync("n1"));

        var sending = await ApiAssert.Problem(
            await Client.PostAsync("/journeys-api/sendings/all", Body("""{"campaignId": "greeting", "sendingId": "s-null", "variables": [null]}""")),
            HttpStatusCode.BadRequest);
        Assert.Equal("$.variables[0]", sending.GetProperty("path").GetString());
        await ApiAssert.Problem(await Client.GetAsync("/journeys-api/sendings/s-null"), HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("1e300")]
    public async Task A_live_statistics_interval_that_is_not_a_usable_number_is_400(string interval)
    {
        await ApiAssert.Json(await Client.PostAsync("/journeys-api/journeys", JourneyEndpointTests.Document(ApiHost.Tips())), HttpStatusCode.Created);

        var problem = await ApiAssert.Problem(await Client.GetAsync($"/journeys-api/journeys/tips-journey/statistics/live?intervalSeconds={interval}"), HttpStatusCode.BadRequest);
        Assert.Equal("query:intervalSeconds", problem.GetProperty("path").GetString());
    }

    [Theory]
    [InlineData("PUT", "/journeys-api/journeys/tips-journey/stop?drain=maybe", "drain", "maybe")]
    [InlineData("PUT", "/journeys-api/journeys/tips-journey/stop?drain=true&drain=false", "drain", "true,false")]
    [InlineData("GET", "/journeys-api/journeys/tips-journey/statistics?version=abc", "version", "abc")]
    [InlineData("GET", "/journeys-api/journeys/tips-journey/statistics?version=99999999999", "version", "99999999999")]
    [InlineData("GET", "/journeys-api/journeys/tips-journey/statistics/customers.csv?version=1.5", "version", "1.5")]
    [InlineData("GET", "/journeys-api/journeys/tips-journey/statistics/live?intervalSeconds=soon", "intervalSeconds", "soon")]
    public async Task A_query_value_that_does_not_parse_is_a_problem_naming_the_parameter_not_an_empty_400(string method, string url, string parameter, string value)
    {
        await ApiAssert.Json(await Client.PostAsync("/journeys-api/journeys", JourneyEndpointTests.Document(ApiHost.Tips())), HttpStatusCode.Created);
        await ApiAssert.Json(await Client.PutAsync("/journeys-api/journeys/tips-journey/start", null), HttpStatusCode.OK);

        var problem = await ApiAssert.Problem(await Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), url)), HttpStatusCode.BadRequest);

        Assert.Equal("query:" + parameter, problem.GetProperty("path").GetString());
        Assert.Contains($"'{value}'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var journey = await ApiAssert.Json(await Client.GetAsync("/journeys-api/journeys/tips-journey"), HttpStatusCode.OK);
        Assert.Equal("active", journey.GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("GET", "/journeys-api/customers/%20")]
    [InlineData("DELETE", "/journeys-api/customers/%20")]
    [InlineData("DELETE", "/journeys-api/customer-fields/%20")]
    [InlineData("GET", "/journeys-api/sendings/%20")]
    [InlineData("PUT", "/journeys-api/sendings/%20/stop")]
    public async Task A_blank_id_in_the_address_is_404_not_a_server_error(string method, string url)
    {
        var problem = await ApiAssert.Problem(await Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), url)), HttpStatusCode.NotFound);
        Assert.Contains("' '", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Customers_are_not_put_into_a_sending_s_journey_through_the_journey_routes()
    {
        await ApiAssert.Json(await Client.PostAsync("/journeys-api/sendings/list", Body("""{"campaignId": "tips", "sendingId": "s1", "customerIds": ["c1"]}""")), HttpStatusCode.Accepted);

        var json = await ApiAssert.Problem(
            await Client.PutAsync("/journeys-api/journeys/sending:s1/customers", Body("""{"customerIds": ["c2"], "customers": [{"id": "new-one"}]}""")),
            HttpStatusCode.Conflict);
        Assert.Contains("/sendings", json.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var csv = await ApiAssert.Problem(await Client.PutAsync("/journeys-api/journeys/sending:s1/customers/csv", CsvImportEndpointTests.Csv("customerId\nnew-two\n")), HttpStatusCode.Conflict);
        Assert.Contains("/sendings", csv.GetProperty("detail").GetString(), StringComparison.Ordinal);

        Assert.Null(await CustomerAsync("new-one"));
        Assert.Null(await CustomerAsync("new-two"));
        var enrolled = await _host.Services.GetRequiredService<IEnrollmentStore>().GetByCustomerAsync("c2");
        Assert.DoesNotContain(enrolled, e => e.JourneyId == "sending:s1");
        var sending = await ApiAssert.Json(await Client.GetAsync("/journeys-api/sendings/s1"), HttpStatusCode.OK);
        Assert.Equal(1, sending.GetProperty("progress").GetProperty("enrolled").GetInt32());
    }

    [Fact]
    public async Task Ids_put_into_a_journey_that_are_no_customers_yet_are_created_as_the_list_entry_does()
    {
        var journey = ApiHost.Tips() with { Entry = new CustomerListEntry([]) };
        await ApiAssert.Json(await Client.PostAsync("/journeys-api/journeys", JourneyEndpointTests.Document(journey)), HttpStatusCode.Created);
        await ApiAssert.Json(await Client.PutAsync("/journeys-api/journeys/tips-journey/start", null), HttpStatusCode.OK);

        var answer = await ApiAssert.Json(
            await Client.PutAsync("/journeys-api/journeys/tips-journey/customers", Body("""{"customerIds": ["c0", "ghost"], "customers": [{"id": "n1"}]}""")),
            HttpStatusCode.OK);

        Assert.Equal((2, 0, 3), (answer.GetProperty("customersCreated").GetInt32(), answer.GetProperty("customersUpdated").GetInt32(), answer.GetProperty("enrolled").GetInt32()));
        var ghost = await ApiAssert.Json(await Client.GetAsync("/journeys-api/customers/ghost"), HttpStatusCode.OK);
        Assert.Equal("ghost", ghost.GetProperty("id").GetString());
        Assert.True((await CustomerAsync("c0"))!.Fields["vip"].AsBoolean());
        ApiHost.Eventually(() => _host.Push.Messages.Count == 3, "three pushes");
    }

    [Fact]
    public async Task The_export_s_file_name_is_encoded_for_any_sending_id()
    {
        const string id = "q\"é;x";
        await ApiAssert.Json(await Client.PostAsync("/journeys-api/sendings/list", Body("""{"campaignId": "tips", "sendingId": "q\"é;x", "customerIds": ["c1"]}""")), HttpStatusCode.Accepted);

        var response = await Client.GetAsync($"/journeys-api/journeys/{Uri.EscapeDataString(SendingJourneys.JourneyIdOf(id))}/statistics/customers.csv");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var disposition = response.Content.Headers.ContentDisposition;
        Assert.NotNull(disposition);
        Assert.Equal("attachment", disposition.DispositionType);
        Assert.Equal($"sending:{id}-customers.csv", disposition.FileNameStar);
        Assert.All(response.Content.Headers.GetValues("Content-Disposition").Single(), c => Assert.True(c < 128, "the header is ASCII"));
    }

    [Fact]
    public async Task Ids_with_a_slash_are_addressable_by_their_escaped_form()
    {
        await ApiAssert.Json(await Client.PutAsync("/journeys-api/customers", Body("""{"customers": [{"id": "team/ana"}]}""")), HttpStatusCode.OK);
        var customer = await ApiAssert.Json(await Client.GetAsync("/journeys-api/customers/team%2Fana"), HttpStatusCode.OK);
        Assert.Equal("team/ana", customer.GetProperty("id").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync("/journeys-api/customers/team%2Fana")).StatusCode);
        Assert.Null(await CustomerAsync("team/ana"));

        var created = await Client.PostAsync("/journeys-api/sendings/list", Body("""{"campaignId": "tips", "sendingId": "spring/2026", "customerIds": ["c1"]}"""));
        await ApiAssert.Json(created, HttpStatusCode.Accepted);
        var location = created.Headers.Location!.ToString();
        Assert.Equal("/journeys-api/sendings/spring%2F2026", location);
        var read = await ApiAssert.Json(await Client.GetAsync(location), HttpStatusCode.OK);
        Assert.Equal("spring/2026", read.GetProperty("sendingId").GetString());
        var stopped = await ApiAssert.Json(await Client.PutAsync(location + "/stop", null), HttpStatusCode.OK);
        Assert.Equal("stopped", stopped.GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_sending_id_with_a_slash_is_addressable_on_the_journey_routes_by_its_escaped_form()
    {
        // A sending's journey 'sending:spring/2026' is read, exported and deleted through the journey routes; the escaped
        // slash stayed '%2F' there ("There is no journey 'sending:spring%2F2026'").
        await ApiAssert.Json(await Client.PostAsync("/journeys-api/sendings/list", Body("""{"campaignId": "tips", "sendingId": "spring/2026", "customerIds": ["c1"]}""")), HttpStatusCode.Accepted);
        var journey = "/journeys-api/journeys/" + Uri.EscapeDataString("sending:spring/2026");

        var document = await ApiAssert.Json(await Client.GetAsync(journey), HttpStatusCode.OK);
        Assert.Equal("sending:spring/2026", document.GetProperty("id").GetString());
        var statistics = await ApiAssert.Json(await Client.GetAsync(journey + "/statistics"), HttpStatusCode.OK);
        Assert.Equal("sending:spring/2026", statistics.GetProperty("journeyId").GetString());
        var export = await Client.GetAsync(journey + "/statistics/customers.csv");
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        Assert.Contains("c1,1,", await export.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync(journey)).StatusCode);
        await ApiAssert.Problem(await Client.GetAsync("/journeys-api/sendings/spring%2F2026"), HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("/journeys-api/customers/team%2Fana", 0, "team%2Fana", "team/ana")]
    [InlineData("/journeys-api/customers/team%2fana", 0, "team%2fana", "team/ana")]
    [InlineData("/journeys-api/customers/100%252Fx", 0, "100%2Fx", "100%2Fx")]
    [InlineData("/journeys-api/customers/a%2F%252F/?x=1", 0, "a%2F%2F", "a/%2F")]
    [InlineData("/journeys-api/sendings/spring%2F2026/stop", 1, "spring%2F2026", "spring/2026")]
    [InlineData("/journeys-api/customers/other", 0, "a%2Fb", "a%2Fb")]
    public void A_route_value_with_an_escaped_slash_is_read_from_the_raw_target(string rawTarget, int segmentsAfter, string routeValue, string id)
    {
        // As Kestrel gives them: the route value decoded but for %2F (a literal "%2F" was sent as %252F), the raw target as sent.
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()!.RawTarget = rawTarget;

        Assert.Equal(id, RouteIds.Read(context, routeValue, "Customer", segmentsAfter));
    }

    [Fact]
    public async Task A_date_time_field_takes_the_form_get_answers_with()
    {
        await ApiAssert.Json(await Client.PutAsync("/journeys-api/customer-fields/since", Body("""{"type": "dateTime"}""")), HttpStatusCode.OK);

        await ApiAssert.Json(await Client.PutAsync("/journeys-api/customers", Body("""{"customers": [{"id": "d1", "fields": {"since": {"dateTime": "2026-01-01T09:00:00+02:00"}}}]}""")), HttpStatusCode.OK);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 7, 0, 0, TimeSpan.Zero), (await CustomerAsync("d1"))!.Fields["since"].AsDateTime());

        // What GET answers goes back unchanged.
        var read = await ApiAssert.Json(await Client.GetAsync("/journeys-api/customers/d1"), HttpStatusCode.OK);
        var again = $$$"""{"customers": [{"id": "d2", "fields": {"since": {{{read.GetProperty("fields").GetProperty("since").GetRawText()}}} }}]}""";
        await ApiAssert.Json(await Client.PutAsync("/journeys-api/customers", Body(again)), HttpStatusCode.OK);
        Assert.Equal((await CustomerAsync("d1"))!.Fields["since"], (await CustomerAsync("d2"))!.Fields["since"]);

        // The object form keeps its rule: an offset is required. A string field does not take it.
        var refused = await ApiAssert.Problem(
            await Client.PutAsync("/journeys-api/customers", Body("""{"customers": [{"id": "d3", "fields": {"since": {"dateTime": "2026-01-01T09:00:00"}}}]}""")),
            HttpStatusCode.BadRequest);
        Assert.Equal("$.customers[0].fields.since.dateTime", refused.GetProperty("path").GetString());
        await ApiAssert.Json(await Client.PutAsync("/journeys-api/customer-fields/name", Body("""{"type": "string"}""")), HttpStatusCode.OK);
        var wrongType = await ApiAssert.Problem(
            await Client.PutAsync("/journeys-api/customers", Body("""{"customers": [{"id": "d3", "fields": {"name": {"dateTime": "2026-01-01T09:00:00Z"}}}]}""")),
            HttpStatusCode.BadRequest);
        Assert.Equal("$.customers[0].fields.name", Assert.Single(wrongType.GetProperty("problems").EnumerateArray()).GetProperty("path").GetString());
        Assert.Null(await CustomerAsync("d3"));
    }

    [Fact]
    public async Task A_csv_in_a_charset_other_than_utf8_is_415_and_nothing_is_written()
    {
        var latin1 = new ByteArrayContent(Encoding.Latin1.GetBytes("customerId\nJosé\n"));
        latin1.Headers.TryAddWithoutValidation("Content-Type", "text/csv; charset=iso-8859-1");

        var problem = await ApiAssert.Problem(await Client.PutAsync("/journeys-api/customers/csv", latin1), HttpStatusCode.UnsupportedMediaType);
        Assert.Contains("iso-8859-1", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Null(await CustomerAsync("Jos\uFFFD"));

        var utf8 = new ByteArrayContent(Encoding.UTF8.GetBytes("customerId\nJosé\n"));
        utf8.Headers.TryAddWithoutValidation("Content-Type", "text/csv; charset=UTF-8");
        await ApiAssert.Json(await Client.PutAsync("/journeys-api/customers/csv", utf8), HttpStatusCode.OK);
        Assert.NotNull(await CustomerAsync("José"));
    }

    [Fact]
    public async Task An_event_time_without_an_offset_is_400_naming_it_and_nothing_is_published()
    {
        await ApiAssert.Json(await Client.PostAsync("/journeys-api/journeys", JourneyEndpointTests.Document(ApiHost.Tips())), HttpStatusCode.Created);
        await ApiAssert.Json(await Client.PutAsync("/journeys-api/journeys/tips-journey/start", null), HttpStatusCode.OK);
        ApiHost.Eventually(() => _host.Push.Messages.Count == 5, "five pushes");

        var one = await ApiAssert.Problem(
            await Client.PostAsync("/journeys-api/events", Body("""{"customerId": "c0", "name": "purchase", "time": "2026-03-02T09:00:00"}""")),
            HttpStatusCode.BadRequest);
        Assert.Equal("$.time", one.GetProperty("path").GetString());
        var batch = await ApiAssert.Problem(
            await Client.PostAsync("/journeys-api/events", Body("""[{"customerId": "c0", "name": "purchase", "time": "2026-03-02T09:00:00Z"}, {"customerId": "c1", "name": "purchase", "time": "2026-03-02"}]""")),
            HttpStatusCode.BadRequest);
        Assert.Equal("$[1].time", batch.GetProperty("path").GetString());

        await ApiAssert.Json(
            await Client.PostAsync("/journeys-api/events", Body("""{"customerId": "c2", "name": "purchase", "time": "2026-03-02T10:00:00+01:00"}""")),
            HttpStatusCode.Accepted);
        ApiHost.Eventually(() => _host.Manager.GetStatisticsAsync("tips-journey").AsTask().Result.Get(StatisticCounter.Converted) == 1, "c2 converts");
        var statistics = await _host.Manager.GetStatisticsAsync("tips-journey");
        Assert.Equal(1, statistics.Get(StatisticCounter.Converted));
    }

    [Fact]
    public async Task A_client_that_leaves_after_its_upload_does_not_cut_the_import_short()
    {
        // The audience manager reads the whole upload, then the client goes away (the request is aborted), then the
        // import runs: it must run to its end, as a durable store writes a file batch by batch (a cancelled import
        // would leave a part of the file written) and an enrollment pass would stop half way.
        await using var host = await ApiHost.StartAsync(services: AbortAfterUpload);
        var rows = string.Concat(Enumerable.Range(0, 50).Select(i => $"gone{i}\n"));

        await Assert.ThrowsAnyAsync<Exception>(() => host.Client.PutAsync("/journeys-api/customers/csv", CsvImportEndpointTests.Csv("customerId\n" + rows)));

        var store = host.Services.GetRequiredService<ICustomerStore>();
        ApiHost.Eventually(() => store.GetAsync("gone49").AsTask().Result is not null, "the whole file imported after the client left");
        for (var i = 0; i < 50; i++)
        {
            Assert.NotNull(await store.GetAsync($"gone{i}"));
        }
    }

    [Fact]
    public async Task A_client_that_leaves_during_its_upload_leaves_nothing_written()
    {
        var failed = await Record.ExceptionAsync(() => Client.PutAsync("/journeys-api/customers/csv", new BrokenUpload("customerId\nhalf1\nhalf2\n")));
        Assert.NotNull(failed);

        // Imports take turns: once the next one is answered, the broken one has ended.
        await ApiAssert.Json(await Client.PutAsync("/journeys-api/customers/csv", CsvImportEndpointTests.Csv("customerId\nafter1\n")), HttpStatusCode.OK);
        Assert.NotNull(await CustomerAsync("after1"));
        Assert.Null(await CustomerAsync("half1"));
        Assert.Null(await CustomerAsync("half2"));
    }

    /// <summary>A text/csv upload whose sender fails after its first rows (a client that goes away).</summary>
    private sealed class BrokenUpload : HttpContent
    {
        private readonly byte[] _start;

        public BrokenUpload(string start)
        {
            _start = Encoding.UTF8.GetBytes(start);
            Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/csv");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(_start);
            await stream.FlushAsync();
            throw new IOException("The client went away during its upload.");
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    private static void AbortAfterUpload(IServiceCollection services)
    {
        services.AddHttpContextAccessor();
        var registered = services.Single(d => d.ServiceType == typeof(IAudienceManager));
        services.Remove(registered);
        services.AddSingleton(provider =>
        {
            var inner = (IAudienceManager)ActivatorUtilities.CreateInstance(provider, registered.ImplementationType!);
            var proxy = DispatchProxy.Create<IAudienceManager, AbortAfterReading>();
            ((AbortAfterReading)(object)proxy).Initialize(inner, provider.GetRequiredService<IHttpContextAccessor>());
            return proxy;
        });
    }

    /// <summary>Passes every call on; <c>ImportCsvAsync</c> first reads the whole file, then aborts the request.</summary>
    public class AbortAfterReading : DispatchProxy
    {
        private IAudienceManager _inner = null!;
        private IHttpContextAccessor _accessor = null!;

        internal void Initialize(IAudienceManager inner, IHttpContextAccessor accessor) => (_inner, _accessor) = (inner, accessor);

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod!.Name == nameof(IAudienceManager.ImportCsvAsync))
            {
                return new ValueTask<AudienceReport>(ReadThenAbortAsync((Stream)args![0]!, (CsvImportOptions?)args[1], (CancellationToken)args[2]!));
            }

            try
            {
                return targetMethod.Invoke(_inner, args);
            }
            catch (TargetInvocationException ex) when (ex.InnerException is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerException);
                throw;
            }
        }

        private async Task<AudienceReport> ReadThenAbortAsync(Stream csv, CsvImportOptions? options, CancellationToken cancellationToken)
        {
            var copy = new MemoryStream();
            await csv.CopyToAsync(copy, cancellationToken);
            copy.Position = 0;
            _accessor.HttpContext!.Abort();
            return await _inner.ImportCsvAsync(copy, options, cancellationToken);
        }
    }
}
