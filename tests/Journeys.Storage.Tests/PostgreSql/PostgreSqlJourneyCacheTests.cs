using System.Collections.Concurrent;
using Journeys.Building;
using Journeys.Messaging;
using Journeys.Model;
using Journeys.Runtime;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Storage.Tests.PostgreSql;

/// <summary>
/// A journey deleted and created again with its id on one host starts at version 1 anew: another host that compiled
/// the deleted version 1 must run the new definition, not its old copy (the save's and the delete's <c>NOTIFY</c> tell it
/// to forget).
/// </summary>
[RequiresPostgreSql]
public sealed class PostgreSqlJourneyCacheTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly string _schema = PostgreSqlTestServer.NewSchema();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => PostgreSqlTestServer.DropSchemaAsync(_schema).AsTask();

    [Fact]
    public async Task A_journey_deleted_and_created_again_on_another_host_runs_its_new_definition_here()
    {
        // Host A only manages (its engine never runs); host B runs the engine and takes the entries.
        var push = new CampaignRecorder();
        await using var dataA = PostgreSqlTestServer.CreateDataSource();
        await using var dataB = PostgreSqlTestServer.CreateDataSource();
        Campaign[] campaigns = [new Campaign("hello", Channel.Push, "Hello"), new Campaign("bye", Channel.Push, "Bye")];
        await using var a = TwoHosts.Services(dataA, _schema, "host-a", new CampaignRecorder(), campaigns);
        await using var b = TwoHosts.Services(dataB, _schema, "host-b", push, campaigns);
        var managerA = a.GetRequiredService<IJourneyManager>();

        // Only gold customers enter: c0's event makes host B compile version 1 without enrolling anyone, so the id may
        // be taken again once the journey is deleted (a deleted journey that had enrollments keeps its id).
        var gold = Condition.Eq("plan", "gold");
        await managerA.CreateAsync(JourneyBuilder.Create("j", "J").EnterOnEvent("go", gold).Steps(p => p.Send(Channel.Push, "hello", id: "push")).Build());
        await managerA.ActivateAsync("j");

        var hosted = await TwoHosts.StartAsync(b);
        try
        {
            var managerB = b.GetRequiredService<IJourneyManager>();
            var cacheB = b.GetRequiredService<CompiledJourneyCache>();
            await managerB.PublishAsync([new CustomerEvent("c0", "go", System.Collections.Immutable.ImmutableDictionary<string, FieldValue>.Empty.Add("plan", "basic"), Now)]);
            Assert.Equal("push", (await cacheB.GetAsync("j", 1, default))?.Definition.StartNodeId);
            var before = cacheB.Invalidations;

            Assert.True(await managerA.DeleteAsync("j"));
            await managerA.CreateAsync(JourneyBuilder.Create("j", "J again").EnterOnEvent("go").Steps(p => p.Send(Channel.Push, "bye", id: "bye")).Build());
            await managerA.ActivateAsync("j");

            // The delete, the create and the activation each told host B (in commit order).
            TwoHosts.Eventually(() => cacheB.Invalidations >= before + 3, "host B told of the deletion, the new draft and its activation");
            await managerB.PublishAsync([new CustomerEvent("c1", "go", [], Now)]);
            TwoHosts.Eventually(() => push.Sent.ContainsKey("c1"), "c1's push");

            Assert.Equal("bye", push.Sent["c1"]);
            Assert.False(push.Sent.ContainsKey("c0"));
        }
        finally
        {
            await TwoHosts.StopAsync(hosted);
        }
    }

    [Fact]
    public async Task A_customer_erased_on_another_host_is_out_of_the_list_this_host_compiled()
    {
        await using var dataA = PostgreSqlTestServer.CreateDataSource();
        await using var dataB = PostgreSqlTestServer.CreateDataSource();
        Campaign[] campaigns = [new Campaign("hello", Channel.Push, "Hello")];
        await using var a = TwoHosts.Services(dataA, _schema, "host-a", new CampaignRecorder(), campaigns);
        await using var b = TwoHosts.Services(dataB, _schema, "host-b", new CampaignRecorder(), campaigns);
        var managerA = a.GetRequiredService<IJourneyManager>();

        // Its window opens in a day: the list's intake is pending, nobody entered.
        await managerA.CreateAsync(JourneyBuilder.Create("list", "List").EnterFromList(["x", "y"]).EntryWindow(Now.AddDays(1), null).Steps(p => p.Send(Channel.Push, "hello")).Build());
        await managerA.ActivateAsync("list");

        var hosted = await TwoHosts.StartAsync(b);
        try
        {
            var cacheB = b.GetRequiredService<CompiledJourneyCache>();
            Assert.Equal(["x", "y"], ((CustomerListEntry)(await cacheB.GetAsync("list", 1, default))!.Definition.Entry).CustomerIds);
            var before = cacheB.Invalidations;

            await a.GetRequiredService<Journeys.Audiences.IAudienceManager>().EraseCustomerAsync("x");

            TwoHosts.Eventually(() => cacheB.Invalidations > before, "host B told of the erasure");
            Assert.Equal(["y"], ((CustomerListEntry)(await cacheB.GetAsync("list", 1, default))!.Definition.Entry).CustomerIds);
        }
        finally
        {
            await TwoHosts.StopAsync(hosted);
        }
    }

    /// <summary>Records the campaign of each customer's send.</summary>
    private sealed class CampaignRecorder : IChannelSender
    {
        public ConcurrentDictionary<string, string> Sent { get; } = new(StringComparer.Ordinal);

        public ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            Sent[message.CustomerId] = message.CampaignId;
            return ValueTask.FromResult(SendResult.Sent);
        }
    }
}
