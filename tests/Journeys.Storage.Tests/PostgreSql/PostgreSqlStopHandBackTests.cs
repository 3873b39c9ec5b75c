using System.Collections.Concurrent;
using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Storage.Tests.PostgreSql;

/// <summary>
/// A host that stops gracefully gives back the leases of the work it will not do, and the other hosts, woken by the
/// release's <c>NOTIFY</c>, take it at once: the leases here last 10 minutes, the wait 20 seconds (less than the
/// engines' 30-second <see cref="JourneysOptions.MaxIdle"/> backstop).
/// </summary>
[RequiresPostgreSql]
public sealed class PostgreSqlStopHandBackTests : IAsyncLifetime
{
    private readonly string _schema = PostgreSqlTestServer.NewSchema();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => PostgreSqlTestServer.DropSchemaAsync(_schema).AsTask();

    [Fact]
    public async Task A_stopping_host_hands_the_messages_queued_for_its_dispatcher_to_a_running_host_at_once()
    {
        await using var dataA = PostgreSqlTestServer.CreateDataSource();
        await using var dataB = PostgreSqlTestServer.CreateDataSource();
        Campaign[] campaigns = [new Campaign("hello", Channel.Push, "Hello")];
        var hanging = new HangingSender();
        var pushB = new RecordingChannelSender();
        var lease = TimeSpan.FromMinutes(10);

        // Host A commits one enrollment per batch: its dispatcher hangs on the first push while the second is handed to it
        // by the next commit and waits behind it, leased to A.
        await using var a = TwoHosts.Services(dataA, _schema, "host-a", hanging, campaigns, shardCount: 1, leaseDuration: lease, extend: s => s.Configure<JourneysOptions>(o => o.BatchSize = 1));
        await using var b = TwoHosts.Services(dataB, _schema, "host-b", pushB, campaigns, shardCount: 1, leaseDuration: lease);
        var managerA = a.GetRequiredService<IJourneyManager>();
        var hostedA = await TwoHosts.StartAsync(a);
        var hostedB = await TwoHosts.StartAsync(b);
        var stoppedA = false;
        try
        {
            await managerA.CreateAsync(JourneyBuilder.Create("j", "J").EnterOnEvent("go")
                .Steps(p => p.Send(Channel.Push, "hello", id: "push"))
                .Build());
            await managerA.ActivateAsync("j");
            var now = DateTimeOffset.UtcNow;
            await managerA.PublishAsync([new CustomerEvent("ana", "go", [], now), new CustomerEvent("bob", "go", [], now)]);
            TwoHosts.Eventually(
                () => hanging.Started.Count == 1 && managerA.GetStatisticsAsync("j").AsTask().GetAwaiter().GetResult().Get(StatisticCounter.Completed) == 2,
                "both enrollments committed on host A, its first push's send under way");
            Assert.Empty(pushB.Messages);

            await TwoHosts.StopAsync(hostedA);
            stoppedA = true;

            TwoHosts.Eventually(() => pushB.Messages.Count == 1, "the push host A never took sent by host B well before its lease would have expired");
            var started = Assert.Single(hanging.Started);
            Assert.Equal(started == "ana" ? "bob" : "ana", Assert.Single(pushB.Messages).CustomerId);
        }
        finally
        {
            await TwoHosts.StopAsync(hostedB);
            if (!stoppedA)
            {
                await TwoHosts.StopAsync(hostedA);
            }
        }
    }

    /// <summary>Hangs on the first message until its send is cancelled (the host stops); sends the others.</summary>
    private sealed class HangingSender : IChannelSender
    {
        public ConcurrentQueue<string> Started { get; } = new();

        public async ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            Started.Enqueue(message.CustomerId);
            if (Started.Count == 1)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            return SendResult.Sent;
        }
    }
}
