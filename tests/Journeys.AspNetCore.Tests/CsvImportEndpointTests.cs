using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using Journeys.Audiences;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.AspNetCore.Tests;

public sealed class CsvImportEndpointTests : IAsyncLifetime
{
    private ApiHost _host = null!;

    private HttpClient Client => _host.Client;

    public async Task InitializeAsync()
    {
        _host = await ApiHost.StartAsync(o => o.MaxCsvBodySize = 4096);
        await ApiAssert.Json(await Client.PutAsync("/journeys-api/customer-fields/age", JourneyEndpointTests.Body("""{"type": "number"}""")), HttpStatusCode.OK);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    internal static StringContent Csv(string text) => new(text, Encoding.UTF8, "text/csv");

    internal static MultipartFormDataContent Multipart(string text)
    {
        var form = new MultipartFormDataContent { { new StringContent("ignored"), "comment" } };
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        file.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        form.Add(file, "file", "customers.csv");
        return form;
    }

    private async Task<Customer?> CustomerAsync(string id) => await _host.Services.GetRequiredService<IAudienceManager>().GetCustomerAsync(id);

    [Fact]
    public async Task A_csv_body_imports_customers_and_answers_the_report()
    {
        var report = await ApiAssert.Json(await Client.PutAsync("/journeys-api/customers/csv", Csv("customerId,age\nn1,30\nc0,41\n")), HttpStatusCode.OK);

        Assert.Equal((2, 1, 1), (report.GetProperty("rowsRead").GetInt32(), report.GetProperty("created").GetInt32(), report.GetProperty("updated").GetInt32()));
        Assert.Equal(0, report.GetProperty("problemCount").GetInt32());
        Assert.Equal(30d, (await CustomerAsync("n1"))!.Fields["age"].AsNumber());
        Assert.True((await CustomerAsync("c0"))!.Fields["vip"].AsBoolean());
    }

    [Fact]
    public async Task A_multipart_file_part_is_imported_with_the_separator_of_the_query()
    {
        var report = await ApiAssert.Json(await Client.PutAsync("/journeys-api/customers/csv?separator=%3B", Multipart("customerId;age\nm1;7\n")), HttpStatusCode.OK);

        Assert.Equal(1, report.GetProperty("created").GetInt32());
        Assert.Equal(7d, (await CustomerAsync("m1"))!.Fields["age"].AsNumber());
        await ApiAssert.Json(await Client.PutAsync("/journeys-api/customers/csv?separator=tab", Csv("customerId\tage\nm2\t8\n")), HttpStatusCode.OK);
        Assert.Equal(8d, (await CustomerAsync("m2"))!.Fields["age"].AsNumber());
    }

    [Fact]
    public async Task Bad_rows_are_400_with_lines_and_columns_and_nothing_is_written()
    {
        var problem = await ApiAssert.Problem(await Client.PutAsync("/journeys-api/customers/csv", Csv("customerId,age\nb1,30\nb2,old\nb3,x\n")), HttpStatusCode.BadRequest);

        Assert.Equal(2, problem.GetProperty("problemCount").GetInt32());
        Assert.Equal(3, problem.GetProperty("rowsRead").GetInt32());
        var first = problem.GetProperty("problems")[0];
        Assert.Equal((3, "age"), (first.GetProperty("line").GetInt32(), first.GetProperty("column").GetString()));
        Assert.Equal(4, problem.GetProperty("problems")[1].GetProperty("line").GetInt32());
        Assert.Null(await CustomerAsync("b1"));
    }

    [Fact]
    public async Task Valid_rows_mode_imports_the_good_rows_and_reports_the_bad_ones()
    {
        var report = await ApiAssert.Json(await Client.PutAsync("/journeys-api/customers/csv?mode=valid-rows", Csv("customerId,age\nv1,30\nv2,old\n")), HttpStatusCode.OK);

        Assert.Equal((1, 1), (report.GetProperty("created").GetInt32(), report.GetProperty("rejected").GetInt32()));
        Assert.Equal(3, report.GetProperty("problems")[0].GetProperty("line").GetInt32());
        Assert.NotNull(await CustomerAsync("v1"));
        Assert.Null(await CustomerAsync("v2"));
    }

    [Theory]
    [InlineData("separator=x", "query:separator")]
    [InlineData("mode=some", "query:mode")]
    public async Task Bad_query_options_are_400_naming_the_parameter(string query, string path)
    {
        var problem = await ApiAssert.Problem(await Client.PutAsync($"/journeys-api/customers/csv?{query}", Csv("customerId\nq1\n")), HttpStatusCode.BadRequest);
        Assert.Equal(path, problem.GetProperty("path").GetString());
    }

    [Fact]
    public async Task A_multipart_body_without_a_file_is_400_and_other_media_types_415()
    {
        var form = new MultipartFormDataContent { { new StringContent("customerId\nx1\n"), "notAFile" } };
        await ApiAssert.Problem(await Client.PutAsync("/journeys-api/customers/csv", form), HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await Client.PutAsync("/journeys-api/customers/csv", JourneyEndpointTests.Body("{}"))).StatusCode);
    }

    [Theory]
    [InlineData("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.csv\"\r\nContent-Type: text/csv\r\n\r\ncustomerId,age\r\nmp1,3\r\n")]
    [InlineData("customerId,age\r\nmp1,3\r\n")]
    public async Task A_malformed_multipart_body_is_400_and_nothing_is_written(string body)
    {
        // The first body ends before its closing boundary (a truncated upload), the second has no boundary at all: the
        // multipart reader throws IOException, which was a 500.
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=b");

        var problem = await ApiAssert.Problem(await Client.PutAsync("/journeys-api/customers/csv", content), HttpStatusCode.BadRequest);

        Assert.Contains("multipart", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Null(await CustomerAsync("mp1"));
    }

    [Fact]
    public async Task Cells_that_are_not_utf8_are_400_naming_line_and_column_and_nothing_is_written()
    {
        // A file saved as Latin-1 (or Windows-1252) and sent without a charset: its accents are not UTF-8. They were
        // stored as U+FFFD without a word ("Jos\uFFFD"), in ids too.
        await ApiAssert.Json(await Client.PutAsync("/journeys-api/customer-fields/name", JourneyEndpointTests.Body("""{"type": "string"}""")), HttpStatusCode.OK);
        var latin1 = new ByteArrayContent(Encoding.Latin1.GetBytes("customerId,name,age\nl1,Jos\u00e9,30\nl\u00e9,Ana,31\n"));
        latin1.Headers.ContentType = new MediaTypeHeaderValue("text/csv");

        var problem = await ApiAssert.Problem(await Client.PutAsync("/journeys-api/customers/csv", latin1), HttpStatusCode.BadRequest);

        Assert.Equal(2, problem.GetProperty("problemCount").GetInt32());
        var problems = problem.GetProperty("problems");
        Assert.Equal((2, "name"), (problems[0].GetProperty("line").GetInt32(), problems[0].GetProperty("column").GetString()));
        Assert.Equal((3, "customerId"), (problems[1].GetProperty("line").GetInt32(), problems[1].GetProperty("column").GetString()));
        Assert.Contains("UTF-8", problems[0].GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Null(await CustomerAsync("l1"));
        Assert.Null(await CustomerAsync("l\uFFFD"));
    }

    [Fact]
    public async Task An_empty_file_is_400_at_line_1()
    {
        var problem = await ApiAssert.Problem(await Client.PutAsync("/journeys-api/customers/csv", Csv("")), HttpStatusCode.BadRequest);

        var only = Assert.Single(problem.GetProperty("problems").EnumerateArray());
        Assert.Equal(1, only.GetProperty("line").GetInt32());
        Assert.Contains("empty", only.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_over_the_csv_limit_is_413_and_nothing_is_written()
    {
        var text = "customerId,age\n" + string.Concat(Enumerable.Range(0, 400).Select(i => $"big{i},{i}\n"));
        await ApiAssert.Problem(await Client.PutAsync("/journeys-api/customers/csv", Csv(text)), HttpStatusCode.RequestEntityTooLarge);
        await ApiAssert.Problem(await Client.PutAsync("/journeys-api/customers/csv", Multipart(text)), HttpStatusCode.RequestEntityTooLarge);

        // Without a Content-Length the limit is enforced while streaming.
        var streamed = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(text)));
        streamed.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        var chunked = new ChunkedContent(streamed);
        chunked.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        using var request = new HttpRequestMessage(HttpMethod.Put, "/journeys-api/customers/csv") { Content = chunked };
        await ApiAssert.Problem(await Client.SendAsync(request), HttpStatusCode.RequestEntityTooLarge);
        Assert.Null(await CustomerAsync("big0"));
    }

    [Fact]
    public async Task A_journey_csv_enrolls_the_customers_and_refuses_unknown_or_inactive_journeys()
    {
        await ApiAssert.Problem(await Client.PutAsync("/journeys-api/journeys/nope/customers/csv", Csv("customerId\nj1\n")), HttpStatusCode.NotFound);
        await ApiAssert.Json(await Client.PostAsync("/journeys-api/journeys", JourneyEndpointTests.Document(ApiHost.Tips())), HttpStatusCode.Created);
        var inactive = await ApiAssert.Problem(await Client.PutAsync("/journeys-api/journeys/tips-journey/customers/csv", Csv("customerId\nj1\n")), HttpStatusCode.Conflict);
        Assert.Contains("tips-journey", inactive.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Null(await CustomerAsync("j1"));

        await ApiAssert.Json(await Client.PutAsync("/journeys-api/journeys/tips-journey/start", null), HttpStatusCode.OK);
        var report = await ApiAssert.Json(await Client.PutAsync("/journeys-api/journeys/tips-journey/customers/csv", Multipart("customerId,age\nj1,20\nc0,\n")), HttpStatusCode.OK);
        Assert.Equal(2, report.GetProperty("rowsRead").GetInt32());
        Assert.Equal(1, report.GetProperty("created").GetInt32());
        Assert.True(report.GetProperty("enrolled").GetInt32() >= 1);
        Assert.True(report.GetProperty("notEnrolledCount").GetInt32() >= 1);
        Assert.Contains(report.GetProperty("notEnrolled").EnumerateArray(), c => c.GetProperty("customerId").GetString() == "c0");

        var bad = await ApiAssert.Problem(await Client.PutAsync("/journeys-api/journeys/tips-journey/customers/csv", Csv("customerId,age\nj2,old\n")), HttpStatusCode.BadRequest);
        Assert.Equal(2, bad.GetProperty("problems")[0].GetProperty("line").GetInt32());
    }

    [Fact]
    public async Task A_journey_stopped_after_the_route_checked_it_is_409_and_nothing_is_written()
    {
        // The audience manager stops the journey right before the import starts: the route's own check has passed,
        // the import's check refuses (InvalidOperationException), and the route answers 409 as for an inactive journey.
        await using var host = await ApiHost.StartAsync(services: StopJourneyBeforeCsvEnrollment);
        await ApiAssert.Json(await host.Client.PostAsync("/journeys-api/journeys", JourneyEndpointTests.Document(ApiHost.Tips())), HttpStatusCode.Created);
        await ApiAssert.Json(await host.Client.PutAsync("/journeys-api/journeys/tips-journey/start", null), HttpStatusCode.OK);

        var stopped = await ApiAssert.Problem(await host.Client.PutAsync("/journeys-api/journeys/tips-journey/customers/csv", Csv("customerId\nlate1\n")), HttpStatusCode.Conflict);

        Assert.Contains("'tips-journey' is not active", stopped.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Null(await host.Services.GetRequiredService<IAudienceManager>().GetCustomerAsync("late1"));
        var journey = await ApiAssert.Json(await host.Client.GetAsync("/journeys-api/journeys/tips-journey"), HttpStatusCode.OK);
        Assert.Equal("stopped", journey.GetProperty("status").GetString());
    }

    private static void StopJourneyBeforeCsvEnrollment(IServiceCollection services)
    {
        var registered = services.Single(d => d.ServiceType == typeof(IAudienceManager));
        services.Remove(registered);
        services.AddSingleton(provider =>
        {
            var inner = (IAudienceManager)ActivatorUtilities.CreateInstance(provider, registered.ImplementationType!);
            var proxy = DispatchProxy.Create<IAudienceManager, StopBeforeEnrollCsv>();
            ((StopBeforeEnrollCsv)(object)proxy).Initialize(inner, provider.GetRequiredService<Runtime.IJourneyManager>());
            return proxy;
        });
    }

    /// <summary>Passes every call on; <c>EnrollCsvAsync</c> first stops the journey it enrolls into.</summary>
    public class StopBeforeEnrollCsv : DispatchProxy
    {
        private IAudienceManager _inner = null!;
        private Runtime.IJourneyManager _journeys = null!;

        internal void Initialize(IAudienceManager inner, Runtime.IJourneyManager journeys) => (_inner, _journeys) = (inner, journeys);

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod!.Name == nameof(IAudienceManager.EnrollCsvAsync))
            {
                return new ValueTask<AudienceReport>(StopThenEnrollAsync((string)args![0]!, (Stream)args[1]!, (CsvImportOptions?)args[2], (CancellationToken)args[3]!));
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

        private async Task<AudienceReport> StopThenEnrollAsync(string journeyId, Stream csv, CsvImportOptions? options, CancellationToken cancellationToken)
        {
            await _journeys.StopAsync(journeyId, cancellationToken: cancellationToken);
            return await _inner.EnrollCsvAsync(journeyId, csv, options, cancellationToken);
        }
    }

    /// <summary>Content sent without a Content-Length (chunked).</summary>
    private sealed class ChunkedContent(HttpContent inner) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => inner.CopyToAsync(stream);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
