using System.Collections.Concurrent;
using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Tests.Runtime;

/// <summary>Each shard's handed-over messages are sent by their own dispatcher loop, in commit order.</summary>
public sealed class HandoffDispatchTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_send_stuck_for_a_customer_of_one_shard_does_not_hold_back_the_messages_of_the_other_shard()
    {
        var sender = new GatedSender();
        await using var host = await EngineHost.StartAsync(T0, LongSends, extend: j => j
            .AddSender(Channel.Sms, sender)
            .AddCampaigns(new Campaign("gated-sms", Channel.Sms, "Hello")));
        await host.Manager.CreateAsync(JourneyBuilder.Create("gated", "Gated").EnterOnEvent("go")
            .Steps(p => p.Send(Channel.Sms, "gated-sms", id: "sms"))
            .Build());
        await host.Manager.ActivateAsync("gated");

        // EngineHost runs two shards; the pump routes a customer by this hash, and so is its commit's hand-off queued.
        var customers = Enumerable.Range(0, 40).Select(i => $"c{i}@example.com").ToArray();
        var stuck = customers.First(c => ShardOf(c) == 0);
        var other = customers.First(c => ShardOf(c) == 1);
        sender.Block(stuck);

        await host.Manager.PublishAsync([new CustomerEvent(stuck, "go", [], T0)]);
        EngineHost.Eventually(() => sender.Started.Contains(stuck), "the stuck customer's send to start");
        await host.Manager.PublishAsync([new CustomerEvent(other, "go", [], T0)]);

        // With one dispatcher for both shards the second hand-off would wait behind the first one's send.
        EngineHost.Eventually(() => sender.Finished.Contains(other), "the other shard's customer's send to finish");
        Assert.DoesNotContain(stuck, sender.Finished);

        sender.Release();
        EngineHost.Eventually(() => host.Count("gated", "sms", StatisticCounter.Sent) == 2, "both sends to be recorded");
        Assert.Equal([other, stuck], sender.Finished.ToArray());
    }

    [Fact]
    public async Task Messages_of_one_customer_committed_one_after_another_are_sent_in_commit_order()
    {
        var sender = new GatedSender();
        await using var host = await EngineHost.StartAsync(T0, LongSends, extend: j => j
            .AddSender(Channel.Sms, sender)
            .AddCampaigns(new Campaign("first-sms", Channel.Sms, "First"), new Campaign("second-sms", Channel.Sms, "Second")));
        await host.Manager.CreateAsync(JourneyBuilder.Create("two", "Two").EnterOnEvent("go")
            .Steps(p => p.Send(Channel.Sms, "first-sms", id: "first").WaitForEvent("next", TimeSpan.FromDays(1), id: "wait").Send(Channel.Sms, "second-sms", id: "second"))
            .Build());
        await host.Manager.ActivateAsync("two");
        var customer = "c1@example.com";

        // The first message's send is held while the second is committed: the second must wait for it, not pass it.
        sender.Block(customer);
        await host.Manager.PublishAsync([new CustomerEvent(customer, "go", [], T0)]);
        EngineHost.Eventually(() => sender.Started.Contains(customer), "the first send to start");
        host.Time.Advance(TimeSpan.FromMinutes(1));
        await host.Manager.PublishAsync([new CustomerEvent(customer, "next", [], host.Time.GetUtcNow())]);
        EngineHost.Eventually(() => host.Count("two", null, StatisticCounter.Completed) == 1, "the second send to be committed");
        Assert.Single(sender.Started);

        sender.Release();
        EngineHost.Eventually(() => host.Count("two", "second", StatisticCounter.Sent) == 1, "the second send to be recorded");
        Assert.Equal(["First", "Second"], sender.Bodies.ToArray());
    }

    // A held send must not time out or be retried on the fake clock (the second test moves it while a send is held).
    private static void LongSends(JourneysOptions options)
    {
        options.DefaultChannelPolicy.Timeout = TimeSpan.FromHours(1);
        options.DefaultChannelPolicy.MaxRetryAttempts = 0;
    }

    private static int ShardOf(string customerId) => LeaseRenewal.ShardOf(customerId, 2);

    /// <summary>Sends of blocked customers wait until released (in real time, bounded); every start and finish is noted in order.</summary>
    private sealed class GatedSender : IChannelSender
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ConcurrentDictionary<string, bool> _blocked = new(StringComparer.Ordinal);

        public ConcurrentQueue<string> Started { get; } = new();

        public ConcurrentQueue<string> Finished { get; } = new();

        public ConcurrentQueue<string> Bodies { get; } = new();

        public void Block(string customerId) => _blocked[customerId] = true;

        public void Release() => _gate.TrySetResult();

        public async ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            Started.Enqueue(message.CustomerId);
            if (_blocked.ContainsKey(message.CustomerId))
            {
                await _gate.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
            }

            Bodies.Enqueue(message.Body);
            Finished.Enqueue(message.CustomerId);
            return SendResult.Sent;
        }
    }
}
