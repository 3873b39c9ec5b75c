using Journeys.Audiences;
using Journeys.Building;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Journeys.Tests.Building;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static Journeys.Tests.Audiences.AudienceHost;

namespace Journeys.Tests.Audiences;

public sealed class ListEntryTests
{
    private static JourneyDefinition ListJourney() => JourneyBuilder.Create("promo", "Promo")
        .EnterFromList([])
        .NeverReEnter()
        .Steps(p => p.Delay(TimeSpan.FromDays(2), id: "wait"))
        .Build();

    [Fact]
    public async Task A_list_of_ids_enters_unknown_customers_are_created_and_duplicates_are_reported()
    {
        await using var host = await CreateAsync();
        await host.Audience.PutCustomersAsync([new CustomerInput("known", new Dictionary<string, object?> { ["age"] = 3 })]);
        await host.ActivateAsync(ListJourney());

        var report = await host.Audience.EnrollListAsync("promo", ["known", "new1", "new2", "new1"]);

        Assert.Equal((4L, 2, 3, 1), (report.RowsRead, report.Created, report.Enrolled, report.NotEnrolledCount));
        Assert.Equal(new NotEnrolledCustomer("new1", EnrollmentOutcomeKind.DuplicateActive), Assert.Single(report.NotEnrolled));
        Assert.NotNull(await host.Audience.GetCustomerAsync("new2"));
        Assert.Equal(3d, (await host.Audience.GetCustomerAsync("known"))!.GetField("age").AsNumber());

        var again = await host.Audience.EnrollListAsync("promo", ["known"]);
        Assert.Equal((0, 1), (again.Enrolled, again.NotEnrolledCount));
    }

    [Fact]
    public async Task Customers_by_fields_and_by_csv_enter_a_journey()
    {
        await using var host = await CreateAsync();
        await host.ActivateAsync(ListJourney());

        var byFields = await host.Audience.EnrollCustomersAsync("promo", [new CustomerInput("c1", new Dictionary<string, object?> { ["vip"] = true })]);
        Assert.Equal((1, 1), (byFields.Created, byFields.Enrolled));

        var byCsv = await host.Audience.EnrollCsvAsync("promo", Csv("customerId,age\nc1,5\nc2,6\n"));
        Assert.Equal((2L, 1, 1, 1, 1), (byCsv.RowsRead, byCsv.Created, byCsv.Updated, byCsv.Enrolled, byCsv.NotEnrolledCount));
        Assert.Equal("c1", Assert.Single(byCsv.NotEnrolled).CustomerId);
        Assert.Equal(6d, (await host.Audience.GetCustomerAsync("c2"))!.GetField("age").AsNumber());
        Assert.Single(await host.Enrollments.GetByCustomerAsync("c2"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_list_entry_into_an_all_customers_or_filter_journey_counts_each_customer_it_enrolls_once(bool spoolPath)
    {
        // The written customers also enter the all-customers and filter journeys; when the list's journey is one of them,
        // that entry used to come first, and the list then reported the customer it had just enrolled as not enrolled
        // (already active): enrolled 1 and not enrolled 1 for one customer.
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(T0));
        if (spoolPath)
        {
            services.AddSingleton<InMemoryCustomerStore>();
            services.AddSingleton<ICustomerStore>(sp => new PassThroughCustomerStore(sp.GetRequiredService<InMemoryCustomerStore>()));
        }

        services.AddJourneys();
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<ICustomerStore>().SaveSchemaAsync(SampleJourneys.Schema);
        var journeys = provider.GetRequiredService<IJourneyManager>();
        var audience = provider.GetRequiredService<IAudienceManager>();
        await journeys.CreateAsync(JourneyBuilder.Create("all", "All").EnterAllCustomers().Steps(p => p.Delay(TimeSpan.FromDays(2), id: "wait")).Build());
        await journeys.ActivateAsync("all");
        await journeys.CreateAsync(JourneyBuilder.Create("vips", "VIPs").EnterWhen(Condition.Eq("vip", true)).Steps(p => p.Delay(TimeSpan.FromDays(2), id: "wait")).Build());
        await journeys.ActivateAsync("vips");

        var list = await audience.EnrollListAsync("all", ["l1", "l2", "l1"]);
        Assert.Equal((2, 1), (list.Enrolled, list.NotEnrolledCount));
        Assert.Equal(new NotEnrolledCustomer("l1", EnrollmentOutcomeKind.DuplicateActive), Assert.Single(list.NotEnrolled));

        var byFields = await audience.EnrollCustomersAsync("vips", [new CustomerInput("f1", new Dictionary<string, object?> { ["vip"] = true })]);
        Assert.Equal((2, 0), (byFields.Enrolled, byFields.NotEnrolledCount)); // "vips" by the list, "all" as a new customer
        Assert.Empty(byFields.NotEnrolled);

        var byCsv = await audience.EnrollCsvAsync("vips", Csv("customerId,vip\nc1,yes\nc2,no\n"));
        Assert.Equal((4, 0), (byCsv.Enrolled, byCsv.NotEnrolledCount)); // both into "vips" by the list, both into "all"
        Assert.Empty(byCsv.NotEnrolled);

        var again = await audience.EnrollCsvAsync("vips", Csv("customerId,vip\nc1,yes\n"));
        Assert.Equal((0, 1), (again.Enrolled, again.NotEnrolledCount));
        Assert.Equal(new NotEnrolledCustomer("c1", EnrollmentOutcomeKind.DuplicateActive), Assert.Single(again.NotEnrolled));

        var enrollments = provider.GetRequiredService<IEnrollmentStore>();
        Assert.Equal(["all", "vips"], (await enrollments.GetByCustomerAsync("c1")).Select(e => e.JourneyId).Order());
        Assert.Equal(["all", "vips"], (await enrollments.GetByCustomerAsync("c2")).Select(e => e.JourneyId).Order());
    }

    [Fact]
    public async Task A_list_journey_stopped_after_the_customers_are_written_is_refused_and_they_still_enter_the_all_customers_journeys()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(T0));
        services.AddSingleton<InMemoryCustomerStore>();
        services.AddSingleton<StoppingStore>();
        services.AddSingleton<ICustomerStore>(sp => sp.GetRequiredService<StoppingStore>());
        services.AddJourneys();
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<ICustomerStore>().SaveSchemaAsync(SampleJourneys.Schema);
        var journeys = provider.GetRequiredService<IJourneyManager>();
        await journeys.CreateAsync(JourneyBuilder.Create("all", "All").EnterAllCustomers().Steps(p => p.Delay(TimeSpan.FromDays(2), id: "wait")).Build());
        await journeys.ActivateAsync("all");
        await journeys.CreateAsync(ListJourney());
        await journeys.ActivateAsync("promo");
        provider.GetRequiredService<StoppingStore>().AfterMerge = async () => await journeys.StopAsync("promo");

        var refused = await Assert.ThrowsAsync<JourneyLifecycleException>(() => provider.GetRequiredService<IAudienceManager>()
            .EnrollCustomersAsync("promo", [new CustomerInput("c1", new Dictionary<string, object?> { ["vip"] = true })]).AsTask());

        Assert.Equal(JourneyLifecycleRefusal.NotActive, refused.Reason);
        Assert.True((await provider.GetRequiredService<IAudienceManager>().GetCustomerAsync("c1"))!.GetField("vip").AsBoolean());
        Assert.Equal(["all"], (await provider.GetRequiredService<IEnrollmentStore>().GetByCustomerAsync("c1")).Select(e => e.JourneyId));
    }

    private sealed class StoppingStore(InMemoryCustomerStore inner) : PassThroughCustomerStore(inner), ICustomerStore
    {
        public Func<Task>? AfterMerge { get; set; }

        public async ValueTask<CustomerMergeResult> MergeAsync(IReadOnlyList<CustomerPatch> patches, CancellationToken cancellationToken = default)
        {
            var merged = await Inner.MergeAsync(patches, cancellationToken);
            if (AfterMerge is { } after)
            {
                AfterMerge = null;
                await after();
            }

            return merged;
        }
    }

    [Fact]
    public async Task A_journey_whose_list_accepts_no_additions_refuses_every_list_entry_before_anything_is_written()
    {
        // CustomerListEntry.AcceptsAdditions false: "more ids may [not] be put into the journey later (by API or CSV)".
        // It was not enforced: every list entry enrolled into such a journey as into any other.
        await using var host = await CreateAsync();
        await host.ActivateAsync(JourneyBuilder.Create("closed", "Closed").EnterFromList(["c0"], acceptsAdditions: false)
            .Steps(p => p.Delay(TimeSpan.FromDays(2), id: "wait")).Build());
        Assert.Single(await host.Enrollments.GetByCustomerAsync("c0")); // its own list entered at activation

        var refusals = new[]
        {
            await Assert.ThrowsAsync<JourneyLifecycleException>(() => host.Journeys.EnrollAsync("closed", ["c1"]).AsTask()),
            await Assert.ThrowsAsync<JourneyLifecycleException>(() => host.Audience.EnrollListAsync("closed", ["c2"]).AsTask()),
            await Assert.ThrowsAsync<JourneyLifecycleException>(() => host.Audience.EnrollCustomersAsync("closed", [new CustomerInput("c3")]).AsTask()),
            await Assert.ThrowsAsync<JourneyLifecycleException>(() => host.Audience.EnrollCsvAsync("closed", Csv("customerId\nc4\n")).AsTask()),
        };

        Assert.All(refusals, r => Assert.Equal((JourneyLifecycleRefusal.ListClosed, "closed"), (r.Reason, r.JourneyId)));
        Assert.Empty(await host.AllCustomersAsync());
        foreach (var id in new[] { "c1", "c2", "c3", "c4" })
        {
            Assert.Empty(await host.Enrollments.GetByCustomerAsync(id));
        }
    }

    [Fact]
    public async Task A_journey_that_is_not_active_is_refused_before_anything_is_written()
    {
        await using var host = await CreateAsync();
        await host.Journeys.CreateAsync(ListJourney());

        var list = await Assert.ThrowsAsync<JourneyLifecycleException>(() => host.Audience.EnrollListAsync("promo", ["c1"]).AsTask());
        var csv = await Assert.ThrowsAsync<JourneyLifecycleException>(() => host.Audience.EnrollCsvAsync("promo", Csv("customerId\nc1\n")).AsTask());
        Assert.Equal((JourneyLifecycleRefusal.NotActive, JourneyLifecycleRefusal.NotActive), (list.Reason, csv.Reason));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => host.Audience.EnrollCustomersAsync("nope", [new CustomerInput("c1")]).AsTask());
        Assert.Empty(await host.AllCustomersAsync());
    }

    [Fact]
    public async Task A_journey_stopped_while_its_csv_is_read_is_refused_and_nothing_is_written()
    {
        // EnrollCsvAsync checks the journey before it reads the file; a stop while a long file is read (an upload) came
        // to light only at the enrollment, after the file's customers had been written.
        await using var host = await CreateAsync();
        await host.ActivateAsync(ListJourney());
        var file = new StopAtEnd(Csv("customerId,age\nc1,5\nc2,6\n"), () => host.Journeys.StopAsync("promo").AsTask());

        var error = await Assert.ThrowsAsync<JourneyLifecycleException>(() => host.Audience.EnrollCsvAsync("promo", file).AsTask());

        Assert.Equal(JourneyLifecycleRefusal.NotActive, error.Reason);
        Assert.Empty(await host.AllCustomersAsync());
    }

    /// <summary>A CSV stream that runs an action when it is read to its end (the last chunk of an upload arriving after a stop).</summary>
    private sealed class StopAtEnd(Stream inner, Func<Task> atEnd) : Stream
    {
        private bool _done;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            if (read == 0 && !_done)
            {
                _done = true;
                await atEnd();
            }

            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
