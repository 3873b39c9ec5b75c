using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Journeys.Tests.Shared;

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
        var journey = JourneyBuilder.Create("j", "J").EnterOnEvent("go").Steps(p => p.Send(Channel.Push, "hello", id: "push")).Build();

        var statistics = await WithdrawHeldAsync(journey, a => a.GetRequiredService<IJourneyManager>().StopAsync("j").AsTask());

        Assert.Equal((0, 1), (statistics.Get("push", StatisticCounter.Sent), statistics.Get("push", StatisticCounter.Cancelled)));
    }

    [Fact]
    public async Task A_conversion_committed_on_another_host_withdraws_a_message_this_hosts_dispatcher_holds()
    {
        // c0's enrollment waits after its push, and another host (here the test, through host A's store) commits its
        // conversion: the commit deletes the push and its NOTIFY tells host B.
        var journey = JourneyBuilder.Create("j", "J").EnterOnEvent("go").ConvertOn("purchase")
            .Steps(p => p.Send(Channel.Push, "hello", id: "push").Delay(TimeSpan.FromDays(1), id: "later")).Build();

        var statistics = await WithdrawHeldAsync(journey, async a =>
        {
            // c0 waits a day at "later": claimed as of then by host A, and committed converted.
            var storeA = a.GetRequiredService<IEnrollmentStore>();
            var claimed = Assert.Single(await storeA.ClaimAsync("host-a", DateTimeOffset.UtcNow.AddDays(2), 10, TimeSpan.FromMinutes(5))).Enrollment;
            Assert.Equal(("c0", "later"), (claimed.CustomerId, claimed.CurrentNodeId));
            var converted = claimed with { Status = EnrollmentStatus.Converted, WakeAt = null, AwaitedEvent = null, WakeEvents = [], EndReason = "goal:purchase", UpdatedAt = DateTimeOffset.UtcNow };
            Assert.True(Assert.Single(await storeA.CommitAsync("host-a", [new EnrollmentCheckpoint(converted, claimed.ConcurrencyToken, [], [], [])])));
        });

        Assert.Equal((0, 1), (statistics.Get("push", StatisticCounter.Sent), statistics.Get("push", StatisticCounter.Withdrawn)));
    }

    /// <summary>
    /// Host A only manages (its engine never runs); host B runs the engine with one shard, so one dispatcher loop, held
    /// sending the blocker's pushes (<see cref="GateSender.HoldingSteps"/>) while c0's push of <paramref name="journey"/> ("j", entered on "go") is handed over
    /// behind it. Then <paramref name="withdraw"/> runs with host A's services; host B must be told, and must not send
    /// c0's push. The statistics of "j" after that.
    /// </summary>
    private async Task<JourneyStatistics> WithdrawHeldAsync(JourneyDefinition journey, Func<IServiceProvider, Task> withdraw)
    {
        var push = new GateSender("blocker");
        await using var dataA = PostgreSqlTestServer.CreateDataSource();
        await using var dataB = PostgreSqlTestServer.CreateDataSource();
        Campaign[] campaigns = [new Campaign("hello", Channel.Push, "Hello")];
        await using var a = TwoHosts.Services(dataA, _schema, "host-a", new GateSender("nobody"), campaigns, shardCount: 1);
        await using var b = TwoHosts.Services(dataB, _schema, "host-b", push, campaigns, shardCount: 1);
        var managerA = a.GetRequiredService<IJourneyManager>();
        await managerA.CreateAsync(JourneyBuilder.Create("gate", "Gate").EnterOnEvent("block").Steps(p => GateSender.HoldingSteps(p, "hello")).Build());
        await managerA.ActivateAsync("gate");
        await managerA.CreateAsync(journey);
        await managerA.ActivateAsync("j");

        var hosted = await TwoHosts.StartAsync(b);
        try
        {
            var managerB = b.GetRequiredService<IJourneyManager>();
            var engine = b.GetRequiredService<JourneyEngine>();
            var guard = b.GetRequiredService<JourneyStopGuard>();
            await managerB.PublishAsync([new CustomerEvent("blocker", "block", [], Now)]);
            TwoHosts.Eventually(() => push.Holding, "host B's dispatcher held by the blocker's pushes");
            await managerB.PublishAsync([new CustomerEvent("c0", "go", [], Now)]);
            TwoHosts.Eventually(() => engine.HandedOver == 1, "c0's push handed over to host B's held dispatcher");
            var before = guard.Withdrawals;

            await withdraw(a);

            TwoHosts.Eventually(() => guard.Withdrawals > before, "host B told of the withdrawal");

            // A push queued after c0's marks when the dispatcher is past it.
            await managerB.PublishAsync([new CustomerEvent("after", "block", [], Now)]);
            TwoHosts.Eventually(() => engine.HandedOver == 1 + JourneysOptions.DefaultMaxConcurrentSends, "the marker's pushes handed over behind c0's");
            push.Release();
            TwoHosts.Eventually(() => push.Sent.Contains("after"), "the marker's push");

            Assert.DoesNotContain("c0", push.Sent);
            return await managerA.GetStatisticsAsync("j");
        }
        finally
        {
            push.Release();
            await TwoHosts.StopAsync(hosted);
        }
    }
}
