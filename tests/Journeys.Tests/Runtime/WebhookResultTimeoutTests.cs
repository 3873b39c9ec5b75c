using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Tests.Messaging;
using Journeys.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Tests.Runtime;

/// <summary>
/// A webhook call whose result did not come back in time (the dispatcher was busy: a slow provider, many calls at
/// once) sends the customer down the node's failure edge; the call, not sent yet, is then withdrawn, so the receiver
/// never hears about a customer who has already taken the failure path.
/// </summary>
public sealed class WebhookResultTimeoutTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_call_still_queued_when_its_result_times_out_is_withdrawn_and_never_made()
    {
        await using var server = new LoopbackHttpServer(200);
        var stores = new SharedInMemoryStores(new FakeTimeProvider(T0));
        var push = new GatedSender();

        // One shard, one item per batch: the first pushes' sends hang (SendLimit of them: the dispatcher is full), the
        // webhook call is handed to the dispatcher behind them. Leases outlast the test's clock steps.
        using var host = stores.BuildHost(j => j
            .AddSender(Channel.Push, push)
            .AddCampaigns(new Campaign("hello", Channel.Push, "Hello"))
            .ConfigureWebhooks(o =>
            {
                o.SigningSecret = "whsec_" + Convert.ToBase64String(new byte[32]);
                o.AllowedNetworks.Add("127.0.0.1");
                o.AllowedHttpHosts.Add("127.0.0.1");
            })
            .Configure(o =>
            {
                o.BatchSize = 1;
                o.LeaseDuration = TimeSpan.FromHours(1);
            }));
        await host.StartAsync();
        var manager = host.Services.GetRequiredService<IJourneyManager>();
        await manager.CreateAsync(JourneyBuilder.Create("pusher", "Pusher").EnterOnEvent("p")
            .Steps(p => GateSender.HoldingSteps(p, "hello"))
            .Build());
        await manager.CreateAsync(JourneyBuilder.Create("hooked", "Hooked").EnterOnEvent("go")
            .Steps(p => p.Webhook($"http://127.0.0.1:{server.Port}/hook", h => h
                .Retries(0)
                .OnSuccess(s => s.Exit("ok", id: "ok"))
                .OnFailure(f => f.Exit("ko", id: "ko")), id: "hook"))
            .Build());
        await manager.ActivateAsync("pusher");
        await manager.ActivateAsync("hooked");

        await manager.PublishAsync([new CustomerEvent("ana", "p", [], T0)]);
        EngineHost.Eventually(() => push.Started == JourneysOptions.DefaultMaxConcurrentSends, "the first pushes' sends under way");
        await manager.PublishAsync([new CustomerEvent("bob", "go", [], T0)]);
        EngineHost.Eventually(() => Count(manager, "hooked", "hook", StatisticCounter.Entered) == 1, "the call committed and queued");

        // Past the result timeout (10 s attempt + 5 min): the customer takes the failure edge.
        stores.Time.Advance(TimeSpan.FromMinutes(6));
        EngineHost.Eventually(() => Count(manager, "hooked", "ko", StatisticCounter.Exited) == 1, "the failure edge after the result timeout");
        Assert.Equal(1, Count(manager, "hooked", "hook", StatisticCounter.Failed));

        // The dispatcher goes on, in hand-off order: the queued call, then a later push, which shows it got past the call.
        push.Open();
        await manager.PublishAsync([new CustomerEvent("cy", "p", [], stores.Time.GetUtcNow())]);
        EngineHost.Eventually(() => push.Sent.Contains("cy"), "the later push sent");

        Assert.Empty(server.Requests);
        Assert.Equal(1, Count(manager, "hooked", "hook", StatisticCounter.Withdrawn));
        Assert.Equal(0, Count(manager, "hooked", "ok", StatisticCounter.Entered));
        await host.StopAsync();
    }

    private static long Count(IJourneyManager manager, string journeyId, string nodeId, StatisticCounter counter) =>
        manager.GetStatisticsAsync(journeyId).AsTask().GetAwaiter().GetResult().Get(nodeId, counter);

    /// <summary>Holds every send until opened (in real time); records whose sends completed.</summary>
    private sealed class GatedSender : IChannelSender
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _started;

        public int Started => Volatile.Read(ref _started);

        public System.Collections.Concurrent.ConcurrentBag<string> Sent { get; } = [];

        public void Open() => _open.TrySetResult();

        public async ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _started);
            await _open.Task.WaitAsync(cancellationToken);
            Sent.Add(message.CustomerId);
            return SendResult.Sent;
        }
    }
}
