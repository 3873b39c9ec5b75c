using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Storage.Tests.PostgreSql;

/// <summary>
/// Entries of different kinds on two hosts of one schema at once (an event entry on one, a list entry on the other):
/// never two live enrollments of one customer in the journey, and the entry cap is exact.
/// </summary>
[RequiresPostgreSql]
public sealed class PostgreSqlEntryTests : IAsyncLifetime
{
    private readonly string _schema = PostgreSqlTestServer.NewSchema();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => PostgreSqlTestServer.DropSchemaAsync(_schema).AsTask();

    [Fact]
    public async Task Event_and_list_entries_on_two_hosts_at_once_enroll_each_customer_once_and_stop_at_the_cap()
    {
        await using var dataA = PostgreSqlTestServer.CreateDataSource();
        await using var dataB = PostgreSqlTestServer.CreateDataSource();
        Campaign[] campaigns = [new Campaign("hello", Channel.Push, "Hello")];
        await using var a = TwoHosts.Services(dataA, _schema, "host-a", new GateSender("nobody"), campaigns);
        await using var b = TwoHosts.Services(dataB, _schema, "host-b", new GateSender("nobody"), campaigns);
        var managerA = a.GetRequiredService<IJourneyManager>();
        var managerB = b.GetRequiredService<IJourneyManager>();
        await managerA.CreateAsync(JourneyBuilder.Create("j", "J").EnterOnEvent("go").ReEnterAfterExit().LimitEntries(30)
            .Steps(p => p.Send(Channel.Push, "hello", id: "push"))
            .Build());
        await managerA.ActivateAsync("j");
        var customers = Enumerable.Range(0, 40).Select(i => $"c{i}").ToArray();

        // Neither engine runs: the enrollments stay live, so every second entry of a customer must be refused.
        using var start = new ManualResetEventSlim();
        var byEvent = Task.Run(async () =>
        {
            start.Wait();
            foreach (var id in customers)
            {
                await managerA.PublishAsync([new CustomerEvent(id, "go", [], DateTimeOffset.UtcNow)]);
            }
        });
        var byList = Task.Run(async () =>
        {
            start.Wait();
            foreach (var id in customers)
            {
                await managerB.EnrollAsync("j", [id]);
            }
        });
        start.Set();
        await Task.WhenAll(byEvent, byList);

        var enrollments = await a.GetRequiredService<IEnrollmentStore>().ListByJourneyAsync("j", null).ToListAsync();
        Assert.Equal(30, enrollments.Count);
        Assert.Equal(30, enrollments.Select(e => e.CustomerId).Distinct(StringComparer.Ordinal).Count());
        Assert.All(enrollments, e => Assert.False(e.IsEnded));
    }
}
