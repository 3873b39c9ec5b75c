using Journeys.Building;
using Journeys.Messaging;
using Journeys.PostgreSql;
using Journeys.Runtime;
using Journeys.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Journeys.Storage.Tests.PostgreSql;

/// <summary>
/// A stop on one host withdraws a message another host's dispatcher already took (handed over by its commit, queued
/// behind a slow send): the cancel's <c>NOTIFY</c> tells that host, whose dispatcher then checks with the store before
/// sending the batch, and drops it.
/// </summary>
[RequiresPostgreSql]
public sealed class PostgreSqlWithdrawalTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly string _schema = PostgreSqlTestServer.NewSchema();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => PostgreSqlTestServer.DropSchemaAsync(_schema).AsTask();

    [Fact]
    public async Task A_stop_on_another_host_withdraws_a_message_this_hosts_dispatcher_holds()
    {
        // Host A only manages (its engine never runs); host B runs the engine with one shard, so one dispatcher loop,
        // held sending the blocker's push while c0's push is handed over behind it.
        var push = new GateSender("blocker");
        await using var dataA = PostgreSqlTestServer.CreateDataSource();
        await using var dataB = PostgreSqlTestServer.CreateDataSource();
        await using var a = Services(dataA, "host-a", new GateSender("nobody"));
        await using var b = Services(dataB, "host-b", push);
        var managerA = a.GetRequiredService<IJourneyManager>();
        await managerA.CreateAsync(JourneyBuilder.Create("gate", "Gate").EnterOnEvent("block").Steps(p => p.Send(Channel.Push, "hello", id: "push")).Build());
        await managerA.ActivateAsync("gate");
        await managerA.CreateAsync(JourneyBuilder.Create("j", "J").EnterOnEvent("go").Steps(p => p.Send(Channel.Push, "hello", id: "push")).Build());
        await managerA.ActivateAsync("j");

        var hosted = b.GetServices<IHostedService>().ToArray();
        foreach (var service in hosted)
        {
            await service.StartAsync(default);
        }

        try
        {
            await hosted.OfType<PostgreSqlNotificationListener>().Single().Listening.WaitAsync(TimeSpan.FromSeconds(20));
            var managerB = b.GetRequiredService<IJourneyManager>();
            var engine = b.GetRequiredService<JourneyEngine>();
            var guard = b.GetRequiredService<JourneyStopGuard>();
            await managerB.PublishAsync([new CustomerEvent("blocker", "block", [], Now)]);
            Eventually(() => push.Holding, "host B's dispatcher held by the blocker's push");
            await managerB.PublishAsync([new CustomerEvent("c0", "go", [], Now)]);
            Eventually(() => engine.HandedOver == 1, "c0's push handed over to host B's held dispatcher");
            var before = guard.Withdrawals;

            await managerA.StopAsync("j");

            Eventually(() => guard.Withdrawals > before, "host B told of the withdrawal");

            // A push queued after c0's marks when the dispatcher is past it.
            await managerB.PublishAsync([new CustomerEvent("after", "block", [], Now)]);
            Eventually(() => engine.HandedOver == 2, "the marker's push handed over behind c0's");
            push.Release();
            Eventually(() => push.Sent.Contains("after"), "the marker's push");

            Assert.DoesNotContain("c0", push.Sent);
            var statistics = await managerA.GetStatisticsAsync("j");
            Assert.Equal((0, 1), (statistics.Get("push", StatisticCounter.Sent), statistics.Get("push", StatisticCounter.Cancelled)));
        }
        finally
        {
            push.Release();
            foreach (var service in hosted.Reverse())
            {
                await service.StopAsync(default);
            }
        }
    }

    private ServiceProvider Services(NpgsqlDataSource dataSource, string owner, GateSender push)
    {
        var services = new ServiceCollection();
        services.AddJourneys(j => j
            .UsePostgreSql(dataSource, o => o.SchemaName = _schema)
            .AddSender(Channel.Push, push)
            .AddCampaigns(new Campaign("hello", Channel.Push, "Hello"))
            .Configure(o =>
            {
                o.OwnerId = owner;
                o.ShardCount = 1;
            }));
        return services.BuildServiceProvider();
    }

    private static void Eventually(Func<bool> condition, string what) =>
        Assert.True(SpinWait.SpinUntil(condition, TimeSpan.FromSeconds(20)), $"Timed out waiting for: {what}");
}
