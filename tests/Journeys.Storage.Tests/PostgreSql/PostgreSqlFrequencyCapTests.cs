using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Storage.Tests.PostgreSql;

/// <summary>
/// The frequency cap across hosts of one PostgreSQL schema: the store keeps the record of sends, so a customer's cap is
/// one for all hosts, not one per host.
/// </summary>
[RequiresPostgreSql]
public sealed class PostgreSqlFrequencyCapTests : IAsyncLifetime
{
    private const int Customers = 40;
    private readonly string _schema = PostgreSqlTestServer.NewSchema();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => PostgreSqlTestServer.DropSchemaAsync(_schema).AsTask();

    [Fact]
    public async Task A_customer_capped_on_one_host_is_capped_on_the_other_and_two_hosts_at_once_send_each_customer_one()
    {
        await using var dataA = PostgreSqlTestServer.CreateDataSource();
        await using var dataB = PostgreSqlTestServer.CreateDataSource();
        await using var dataC = PostgreSqlTestServer.CreateDataSource();
        Campaign[] campaigns = [new Campaign("hello", Channel.Push, "Hello")];
        var pushA = new RecordingChannelSender();
        var pushB = new RecordingChannelSender();
        var pushC = new RecordingChannelSender();
        await using var a = TwoHosts.Services(dataA, _schema, "host-a", pushA, campaigns, extend: CapOnePerDay);
        await using var b = TwoHosts.Services(dataB, _schema, "host-b", pushB, campaigns, extend: CapOnePerDay);
        await using var c = TwoHosts.Services(dataC, _schema, "host-c", pushC, campaigns, extend: CapOnePerDay);
        var managerA = a.GetRequiredService<IJourneyManager>();
        var managerB = b.GetRequiredService<IJourneyManager>();
        foreach (var journeyId in new[] { "one", "two", "three", "four" })
        {
            await managerA.CreateAsync(JourneyBuilder.Create(journeyId, journeyId).EnterOnEvent("go-" + journeyId).Steps(p => p.Send(Channel.Push, "hello", id: "push")).Build());
            await managerA.ActivateAsync(journeyId);
        }

        // Host A alone sends journey one's pushes; then host B alone (its own memory empty) must find them in the store.
        var hostedA = await TwoHosts.StartAsync(a);
        await managerA.PublishAsync(Go("one", "c"));
        TwoHosts.Eventually(() => pushA.Messages.Count == Customers, "host A's pushes of journey one");
        await TwoHosts.StopAsync(hostedA);

        var hostedB = await TwoHosts.StartAsync(b);
        try
        {
            await managerB.PublishAsync(Go("two", "c"));
            TwoHosts.Eventually(() => Count(managerB, "two", StatisticCounter.Capped) == Customers, "journey two's pushes capped on host B");
            Assert.Empty(pushB.Messages);

            // Two hosts at once (B and a third, C), other customers, two journeys each: whichever host sends, one push
            // per customer.
            var hostedC = await TwoHosts.StartAsync(c);
            var managerC = c.GetRequiredService<IJourneyManager>();
            await Task.WhenAll(managerC.PublishAsync(Go("three", "d")).AsTask(), managerB.PublishAsync(Go("four", "d")).AsTask());
            TwoHosts.Eventually(
                () => Count(managerA, "three", StatisticCounter.Sent) + Count(managerA, "three", StatisticCounter.Capped) + Count(managerA, "four", StatisticCounter.Sent) + Count(managerA, "four", StatisticCounter.Capped) == 2 * Customers,
                "every push of journeys three and four sent or capped");

            var sent = pushA.Messages.Concat(pushB.Messages).Concat(pushC.Messages).Where(m => m.CustomerId.StartsWith('d')).ToList();
            Assert.Equal(Enumerable.Range(0, Customers).Select(i => $"d{i}").Order(StringComparer.Ordinal), sent.Select(m => m.CustomerId).Order(StringComparer.Ordinal));
            Assert.Equal(Customers, Count(managerA, "three", StatisticCounter.Capped) + Count(managerA, "four", StatisticCounter.Capped));
            await TwoHosts.StopAsync(hostedC);
        }
        finally
        {
            await TwoHosts.StopAsync(hostedB);
        }
    }

    private static void CapOnePerDay(IServiceCollection services) =>
        services.Configure<JourneysOptions>(o => o.SendPolicy = new SendPolicyOptions { FrequencyCap = 1, FrequencyCapWindow = TimeSpan.FromDays(1) });

    private static CustomerEvent[] Go(string journeyId, string prefix) =>
        [.. Enumerable.Range(0, Customers).Select(i => new CustomerEvent($"{prefix}{i}", "go-" + journeyId, [], DateTimeOffset.UtcNow))];

    private static long Count(IJourneyManager manager, string journeyId, StatisticCounter counter) =>
        manager.GetStatisticsAsync(journeyId).AsTask().GetAwaiter().GetResult().Get("push", counter);
}
