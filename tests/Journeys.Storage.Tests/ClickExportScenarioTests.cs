using System.Text;
using Journeys.Building;
using Journeys.Messaging;
using Journeys.PostgreSql;
using Journeys.Runtime;
using Journeys.Sendings;
using Journeys.Statistics;
using Journeys.Storage.Tests.PostgreSql;
using Journeys.Storage.Tests.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Journeys.Storage.Tests;

/// <summary>
/// The per-customer export's <c>clicked</c> on a durable store, through the public API: clicks after a sending's
/// enrollments completed count in their rows, and a click that ends a running enrollment counts once.
/// </summary>
public abstract class ClickExportScenarioTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);

    protected abstract void UseStore(IJourneysBuilder journeys);

    [Fact]
    public async Task Clicks_after_the_end_and_while_running_count_once_each_in_the_export()
    {
        var time = new FakeTimeProvider(T0);
        var push = new RecordingChannelSender();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddJourneys(j =>
        {
            UseStore(j);
            j.AddSender(Channel.Push, push).AddCampaigns(new Campaign("tips", Channel.Push, "Tips")).Configure(o => o.ShardCount = 2);
        });
        await using var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().ToArray();
        foreach (var service in hosted)
        {
            await service.StartAsync(default);
        }

        try
        {
            var manager = provider.GetRequiredService<IJourneyManager>();
            var sendings = provider.GetRequiredService<ISendingManager>();
            var exporter = provider.GetRequiredService<IJourneyExporter>();
            var ids = Enumerable.Range(1, 6).Select(i => $"c{i}").ToArray();
            await provider.GetRequiredService<ICustomerStore>().UpsertAsync([.. ids.Select(id => new Customer(id))]);

            // A sending: every enrollment completes when its message is committed; c1..c3 click afterwards, c3 twice.
            await sendings.SendToListAsync(new SendingRequest("tips") { SendingId = "s" }, ids.ToAsyncEnumerable());
            Eventually(() => sendings.GetAsync("s").AsTask().GetAwaiter().GetResult()?.State == SendingState.Completed, "the sending to complete");
            Eventually(() => push.Messages.Count == 6, "six pushes");
            var byCustomer = push.Messages.ToDictionary(m => m.CustomerId, m => m.MessageId);
            time.Advance(TimeSpan.FromMinutes(5));
            await manager.PublishAsync([.. new[] { "c1", "c2", "c3", "c3" }.Select(c => new CustomerEvent(c, FeedbackEvents.Clicked, [], time.GetUtcNow(), byCustomer[c]))]);

            var rows = Rows(await ExportAsync(exporter, SendingJourneys.JourneyIdOf("s")));
            Assert.Equal(
                [("c1", "completed", "1"), ("c2", "completed", "1"), ("c3", "completed", "2"), ("c4", "completed", "0"), ("c5", "completed", "0"), ("c6", "completed", "0")],
                rows.Select(r => (r[0], r[3], r[6])));
            Assert.Equal(4, (await sendings.GetAsync("s"))!.Progress.Clicked);

            // A journey that waits for the click: the click ends the running enrollment and counts once.
            await manager.CreateAsync(JourneyBuilder.Create("wait", "Wait").EnterOnEvent("go")
                .Steps(p => p.Send(Channel.Push, "tips", id: "push")
                    .WaitForEvent(FeedbackEvents.Clicked, TimeSpan.FromDays(1), w => w
                        .CorrelatedTo("push")
                        .OnEvent(c => c.Exit("clicked", id: "clicked"))
                        .OnTimeout(t => t.Exit("ignored", id: "ignored")), id: "wait"))
                .Build());
            await manager.ActivateAsync("wait");
            await manager.PublishAsync([new CustomerEvent("c4", "go", [], time.GetUtcNow())]);
            Eventually(() => push.Messages.Count == 7, "the journey's push");
            Eventually(() => Count(manager, "wait", "wait", StatisticCounter.Entered) == 1, "the enrollment waiting for the click");
            var message = push.Messages.Single(m => m.JourneyId == "wait").MessageId;
            await manager.PublishAsync([new CustomerEvent("c4", FeedbackEvents.Clicked, [], time.GetUtcNow(), message)]);
            Eventually(() => Count(manager, "wait", "clicked", StatisticCounter.Entered) == 1, "the click to end the enrollment");

            var row = Assert.Single(Rows(await ExportAsync(exporter, "wait")));
            Assert.Equal(("c4", "exited", "1"), (row[0], row[3], row[6]));
            Assert.Equal(1, Count(manager, "wait", "push", StatisticCounter.Clicked));
        }
        finally
        {
            foreach (var service in hosted)
            {
                await service.StopAsync(default);
            }
        }
    }

    private static async Task<string> ExportAsync(IJourneyExporter exporter, string journeyId)
    {
        using var stream = new MemoryStream();
        await exporter.WriteCustomersCsvAsync(journeyId, null, stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string[][] Rows(string csv) =>
        [.. csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(line => line.Split(','))];

    private static long Count(IJourneyManager manager, string journeyId, string nodeId, StatisticCounter counter) =>
        manager.GetStatisticsAsync(journeyId).AsTask().GetAwaiter().GetResult().Get(nodeId, counter);

    private static void Eventually(Func<bool> condition, string what) =>
        Assert.True(SpinWait.SpinUntil(condition, TimeSpan.FromSeconds(30)), $"Timed out waiting for: {what}");
}

/// <summary>The click export scenario on a SQLite file.</summary>
public sealed class SqliteClickExportScenarioTests : ClickExportScenarioTests, IDisposable
{
    private readonly SqliteTestFile _file = new();

    public void Dispose() => _file.Dispose();

    protected override void UseStore(IJourneysBuilder journeys) => journeys.UseSqlite(_file.ConnectionString);
}

/// <summary>The click export scenario on a fresh schema of the PostgreSQL server in <c>JOURNEYS_TEST_POSTGRES</c>.</summary>
[RequiresPostgreSql]
public sealed class PostgreSqlClickExportScenarioTests : ClickExportScenarioTests, IAsyncLifetime
{
    private readonly string _schema = PostgreSqlTestServer.NewSchema();
    private NpgsqlDataSource? _dataSource;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
            await PostgreSqlTestServer.DropSchemaAsync(_schema);
        }
    }

    protected override void UseStore(IJourneysBuilder journeys)
    {
        _dataSource = PostgreSqlTestServer.CreateDataSource();
        journeys.UsePostgreSql(_dataSource, o => o.SchemaName = _schema);
    }
}
