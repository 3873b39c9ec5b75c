using System.Collections.Immutable;
using System.Text;
using Journeys.Audiences;
using Journeys.Building;
using Journeys.Runtime;
using Journeys.Sendings;
using Journeys.Storage;
using Journeys.Tests.Building;
using Journeys.Validation;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Tests.Runtime;

/// <summary>
/// Customer.MaxIdLength and JourneyDefinition.MaxIdLength through the public API: an id at the maximum works end to end,
/// one unit longer is refused at each entry point with the index, line or path named, and nothing is written.
/// </summary>
public sealed class IdLengthLimitTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);
    private EngineHost _host = null!;

    private IJourneyManager Manager => _host.Manager;

    private IAudienceManager Audience => _host.Services.GetRequiredService<IAudienceManager>();

    private ICustomerStore Customers => _host.Services.GetRequiredService<ICustomerStore>();

    private IEnrollmentStore Enrollments => _host.Services.GetRequiredService<IEnrollmentStore>();

    public async Task InitializeAsync() => _host = await EngineHost.StartAsync(T0);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>A customer id of exactly <see cref="Customer.MaxIdLength"/> UTF-16 code units: 128 emoji (4 UTF-8 bytes each) after a tag.</summary>
    private static string MaxId(char tag) => tag + string.Concat(Enumerable.Repeat("😀", (Customer.MaxIdLength - 2) / 2)) + "x";

    /// <summary>One code unit over the maximum.</summary>
    private static string OverId(char tag) => MaxId(tag) + "y";

    private static MemoryStream Csv(string text) => new(Encoding.UTF8.GetBytes(text));

    private static JourneyDefinition ListJourney(string id = "list", params string[] ids) => JourneyBuilder.Create(id, "List")
        .EnterFromList(ids)
        .ReEnterAfterExit()
        .Steps(p => p.Send(Channel.Push, "tips", id: "push").Exit("done", id: "done"))
        .Build();

    private async Task<int> EnrollmentsOfAsync(string customerId) => (await Enrollments.GetByCustomerAsync(customerId)).Count;

    [Fact]
    public void The_limits_are_the_documented_ones()
    {
        Assert.Equal(256, Customer.MaxIdLength);
        Assert.Equal(128, JourneyDefinition.MaxIdLength);
        Assert.Equal(120, SendingJourneys.MaxSendingIdLength);
        Assert.Equal(Customer.MaxIdLength, MaxId('a').Length);
        Assert.Equal(Customer.MaxIdLength + 1, OverId('a').Length);
    }

    [Fact]
    public async Task Customer_ids_at_the_maximum_enter_get_their_message_and_publish_events_through_every_entry_point()
    {
        var fromList = MaxId('l');
        await Audience.PutCustomersAsync([new CustomerInput(fromList)]);
        var journeyId = new string('j', JourneyDefinition.MaxIdLength);
        await Manager.CreateAsync(ListJourney(journeyId, fromList));
        await Manager.ActivateAsync(journeyId);

        var put = MaxId('p');
        var imported = MaxId('c');
        await Audience.PutCustomersAsync([new CustomerInput(put)]);
        await Audience.ImportCsvAsync(Csv($"customerId\n{imported}\n"));
        var listed = await Audience.EnrollListAsync(journeyId, [put, imported]);
        Assert.Equal(2, listed.Enrolled);
        var (upserted, _) = await Manager.PutCustomersAsync([new Customer(MaxId('m'))]);
        Assert.Equal(1, upserted.Created);
        Assert.Single(await Manager.EnrollAsync(journeyId, [MaxId('m')]));
        await Manager.PublishAsync([new CustomerEvent(fromList, "clicked", ImmutableDictionary<string, FieldValue>.Empty, T0) { Id = "e1" }]);

        string[] expected = [fromList, put, imported, MaxId('m')];
        EngineHost.Eventually(() => expected.All(id => _host.Push.Messages.Any(m => m.CustomerId == id)), "a push to each id at the maximum");
        Assert.NotNull(await Audience.GetCustomerAsync(imported));
    }

    [Fact]
    public async Task A_sending_id_at_its_maximum_makes_a_journey_id_at_the_maximum_and_sends_to_a_customer_id_at_the_maximum()
    {
        var customer = MaxId('s');
        await Audience.PutCustomersAsync([new CustomerInput(customer)]);
        var sendingId = new string('s', SendingJourneys.MaxSendingIdLength);

        await _host.Sendings.SendToListAsync(new SendingRequest("tips") { SendingId = sendingId }, new[] { customer, OverId('s') }.ToAsyncEnumerable());

        Assert.Equal(JourneyDefinition.MaxIdLength, SendingJourneys.JourneyIdOf(sendingId).Length);
        EngineHost.Eventually(() => _host.Push.Messages.Any(m => m.CustomerId == customer), "the sending's push");
        var status = await _host.Sendings.GetAsync(sendingId);
        Assert.Equal(1, status!.Progress.Unknown); // the longer id names no customer: counted unknown, skipped
        await Assert.ThrowsAsync<ArgumentException>(async () =>
            await _host.Sendings.SendToListAsync(new SendingRequest("tips") { SendingId = sendingId + "x" }, new[] { customer }.ToAsyncEnumerable()));
    }

    [Fact]
    public async Task The_journey_manager_refuses_a_customer_id_one_over_the_maximum_naming_its_index_and_writes_nothing()
    {
        await Manager.CreateAsync(ListJourney());
        await Manager.ActivateAsync("list");

        var enroll = await Assert.ThrowsAsync<ArgumentException>(async () => await Manager.EnrollAsync("list", ["c1@example.com", OverId('e')]));
        Assert.Contains("customer id at index 1 is 257 characters long; customer ids have at most 256 (Customer.MaxIdLength", enroll.Message, StringComparison.Ordinal);
        Assert.Equal(0, await EnrollmentsOfAsync("c1@example.com"));

        // The whole customers of the journey manager's put are checked as the audience manager's inputs are.
        var put = await Assert.ThrowsAsync<CustomerInputException>(async () => await Manager.PutCustomersAsync([new Customer("fresh"), new Customer(OverId('p'))]));
        var problem = Assert.Single(put.Problems);
        Assert.Equal(1, problem.Index);
        Assert.StartsWith("the customer id is 257 characters long", problem.Message, StringComparison.Ordinal);
        Assert.Null(await Customers.GetAsync("fresh"));

        var publish = await Assert.ThrowsAsync<ArgumentException>(async () => await Manager.PublishAsync(
            [new CustomerEvent("c1@example.com", "signup", ImmutableDictionary<string, FieldValue>.Empty, T0), new CustomerEvent(OverId('v'), "signup", ImmutableDictionary<string, FieldValue>.Empty, T0)]));
        Assert.Contains("Event at index 1 has a customer id that is 257 characters long", publish.Message, StringComparison.Ordinal);

        // The stores' own check, for a caller of the store contract.
        var store = await Assert.ThrowsAsync<ArgumentException>(async () => await Enrollments.EnrollAsync(
            [new EnrollmentRequest(Guid.NewGuid(), "list", 1, OverId('r'), "push", T0, EntryRules.Default, EquatableArray<string>.Empty)]));
        Assert.Contains("Enrollment request at index 0 has a customer id that is 257 characters long", store.Message, StringComparison.Ordinal);
        Assert.Equal(0, await EnrollmentsOfAsync(OverId('r')));
    }

    [Fact]
    public async Task The_audience_manager_refuses_a_customer_id_one_over_the_maximum_naming_its_index_or_line_and_writes_nothing()
    {
        await Manager.CreateAsync(ListJourney());
        await Manager.ActivateAsync("list");

        var put = await Assert.ThrowsAsync<CustomerInputException>(async () => await Audience.PutCustomersAsync([new CustomerInput("fresh"), new CustomerInput(OverId('p'))]));
        var problem = Assert.Single(put.Problems);
        Assert.Equal(1, problem.Index);
        Assert.StartsWith("the customer id is 257 characters long", problem.Message, StringComparison.Ordinal);
        Assert.Null(await Customers.GetAsync("fresh"));

        await Assert.ThrowsAsync<CustomerInputException>(async () => await Audience.EnrollCustomersAsync("list", [new CustomerInput("fresh"), new CustomerInput(OverId('p'))]));
        Assert.Null(await Customers.GetAsync("fresh"));

        var list = await Assert.ThrowsAsync<ArgumentException>(async () => await Audience.EnrollListAsync("list", ["c1@example.com", OverId('l')]));
        Assert.Contains("customer id at index 1 is 257 characters long", list.Message, StringComparison.Ordinal);
        Assert.Equal(0, await EnrollmentsOfAsync("c1@example.com"));

        foreach (var import in new Func<Stream, Task>[] { s => Audience.ImportCsvAsync(s).AsTask(), s => Audience.EnrollCsvAsync("list", s).AsTask() })
        {
            var csv = await Assert.ThrowsAsync<CsvImportException>(() => import(Csv($"customerId\nfresh\n{OverId('c')}\nc2@example.com\n")));
            var row = Assert.Single(csv.Problems);
            Assert.Equal(3, row.Line);
            Assert.Equal("customerId", row.Column);
            Assert.StartsWith("the customer id is 257 characters long", row.Message, StringComparison.Ordinal);
            Assert.Null(await Customers.GetAsync("fresh"));
            Assert.Equal(0, await EnrollmentsOfAsync("c2@example.com"));
        }

        var lenient = await Audience.ImportCsvAsync(Csv($"customerId\nfresh\n{OverId('c')}\n"), new CsvImportOptions { Mode = CsvImportMode.ImportValidRows });
        Assert.Equal(1, lenient.Created);
        Assert.Equal(3, Assert.Single(lenient.Problems).Line);
    }

    [Fact]
    public async Task A_csv_sending_with_a_customer_id_one_over_the_maximum_imports_and_sends_nothing()
    {
        var error = await Assert.ThrowsAsync<CsvImportException>(async () =>
            await _host.Sendings.SendToCsvAsync(new SendingRequest("tips") { SendingId = "csv" }, Csv($"customerId\nfresh\n{OverId('c')}\n")));

        Assert.Equal(3, Assert.Single(error.Problems).Line);
        Assert.Null(await Customers.GetAsync("fresh"));
        Assert.Null(await _host.Sendings.GetAsync("csv"));
        Assert.Empty(_host.Push.Messages);
    }

    [Fact]
    public void The_builder_and_validation_refuse_list_ids_and_journey_ids_over_the_maximum()
    {
        var builder = Assert.Throws<ArgumentException>(() => JourneyBuilder.Create("list", "List").EnterFromList(["c1", OverId('b')]));
        Assert.Contains("customer id at index 1 is 257 characters long", builder.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => JourneyBuilder.Create(new string('j', JourneyDefinition.MaxIdLength + 1), "Long"));

        var journey = ListJourney() with
        {
            Id = new string('j', JourneyDefinition.MaxIdLength + 1),
            Entry = new CustomerListEntry(new EquatableArray<string>(["c1", OverId('b')])),
        };
        var result = JourneyValidator.Validate(journey, SampleJourneys.Schema, SampleJourneys.Campaigns);

        var id = Assert.Single(result.Errors, d => d.Code == DiagnosticCodes.InvalidJourneyId);
        Assert.Equal("id", id.Path);
        Assert.StartsWith("The journey id is 129 characters long; journey ids have at most 128", id.Message, StringComparison.Ordinal);
        var customer = Assert.Single(result.Errors, d => d.Code == DiagnosticCodes.InvalidCustomerId);
        Assert.Equal("entry.customerIds[1]", customer.Path);
        Assert.Contains("at position 2 that is 257 characters long", customer.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(JourneyValidator.Validate(ListJourney(new string('j', JourneyDefinition.MaxIdLength), MaxId('b')), SampleJourneys.Schema, SampleJourneys.Campaigns).Errors,
            d => d.Code is DiagnosticCodes.InvalidJourneyId or DiagnosticCodes.InvalidCustomerId);
    }

    [Fact]
    public async Task Updating_a_journey_with_an_id_over_the_maximum_says_so()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(async () =>
            await Manager.UpdateAsync(ListJourney() with { Id = new string('j', JourneyDefinition.MaxIdLength + 1) }, null));

        Assert.Contains("journey ids have at most 128", error.Message, StringComparison.Ordinal);
    }
}
