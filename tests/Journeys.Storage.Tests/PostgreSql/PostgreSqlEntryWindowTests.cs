using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Storage.Tests.PostgreSql;

/// <summary>
/// A journey activated before its entry window opens, on two hosts of one schema, both running: its audience enters
/// once when the window opens, and a host that read the pending intake before the other claimed it enrolls nobody
/// again (re-entry after exit is allowed and everyone has finished, so a second intake would enroll everyone again).
/// </summary>
[RequiresPostgreSql]
public sealed class PostgreSqlEntryWindowTests : IAsyncLifetime
{
    private const int Customers = 20;
    private readonly string _schema = PostgreSqlTestServer.NewSchema();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => PostgreSqlTestServer.DropSchemaAsync(_schema).AsTask();

    [Fact]
    public async Task Two_hosts_enroll_the_audience_once_when_the_window_opens_and_a_stale_claim_enrolls_nobody()
    {
        await using var dataA = PostgreSqlTestServer.CreateDataSource();
        await using var dataB = PostgreSqlTestServer.CreateDataSource();
        Campaign[] campaigns = [new Campaign("hello", Channel.Push, "Hello")];
        var pushA = new RecordingChannelSender();
        var pushB = new RecordingChannelSender();
        await using var a = TwoHosts.Services(dataA, _schema, "host-a", pushA, campaigns);
        await using var b = TwoHosts.Services(dataB, _schema, "host-b", pushB, campaigns);
        var managerA = a.GetRequiredService<IJourneyManager>();
        await a.GetRequiredService<ICustomerStore>().UpsertAsync([.. Enumerable.Range(0, Customers).Select(i => new Customer($"c{i}"))]);
        var hostedA = await TwoHosts.StartAsync(a);
        var hostedB = await TwoHosts.StartAsync(b);
        try
        {
            var opens = DateTimeOffset.UtcNow.AddSeconds(2);
            await managerA.CreateAsync(JourneyBuilder.Create("j", "J").EnterAllCustomers().ReEnterAfterExit().EntryWindow(opens, null)
                .Steps(p => p.Send(Channel.Push, "hello", id: "push"))
                .Build());
            var (_, enrolled) = await managerA.ActivateAsync("j");
            Assert.Equal(0, enrolled);

            // What host B read before the intake was claimed.
            var stale = Assert.Single(await b.GetRequiredService<IJourneyStore>().ListIntakesAsync().ToListAsync());
            var record = (await b.GetRequiredService<IJourneyManager>().GetAsync("j"))!;
            Assert.Equal(opens, stale.OpensAt);

            TwoHosts.Eventually(() => Count(managerA, StatisticCounter.Completed) == Customers, "the audience's enrollments completed after the window opened");
            Assert.Empty(await a.GetRequiredService<IJourneyStore>().ListIntakesAsync().ToListAsync());
            Assert.Equal(record.ETag, (await managerA.GetAsync("j"))!.ETag);

            Assert.Null(await b.GetRequiredService<JourneyManager>().RunIntakeAsync(stale, record, null, CancellationToken.None));

            Assert.Equal(Customers, Count(managerA, StatisticCounter.Entered));
            Assert.Equal(Customers, pushA.Messages.Count + pushB.Messages.Count);
            var enrollments = await a.GetRequiredService<IEnrollmentStore>().ListByJourneyAsync("j", null).ToListAsync();
            Assert.Equal(Customers, enrollments.Count);
        }
        finally
        {
            await TwoHosts.StopAsync(hostedB);
            await TwoHosts.StopAsync(hostedA);
        }
    }

    private static long Count(IJourneyManager manager, StatisticCounter counter) =>
        manager.GetStatisticsAsync("j").AsTask().GetAwaiter().GetResult().Get(counter);
}
