using Journeys.Building;
using Journeys.Messaging;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Tests.Runtime;

/// <summary>The dispatcher runs in-process sends inline but lets sends that really wait overlap.</summary>
public sealed class DispatcherConcurrencyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Sends_that_wait_overlap_within_one_outbox_batch()
    {
        // Each send waits until three sends are in flight at once: sequential sending would never get there.
        var sender = new RendezvousSender(3);
        await using var host = await EngineHost.StartAsync(T0, o => o.ShardCount = 1, extend: j => j
            .AddSender(Channel.Sms, sender)
            .AddCampaigns(new Campaign("gated-sms", Channel.Sms, "Hello")));
        // One customer, three sends in one run: one checkpoint, so one commit hands the three messages to the
        // dispatcher together (three customers' runs could land in different shard batches and so different hand-offs).
        await host.Manager.CreateAsync(JourneyBuilder.Create("gated", "Gated").EnterOnEvent("go")
            .Steps(p => p
                .Send(Channel.Sms, "gated-sms", id: "sms-1")
                .Send(Channel.Sms, "gated-sms", id: "sms-2")
                .Send(Channel.Sms, "gated-sms", id: "sms-3"))
            .Build());
        await host.Manager.ActivateAsync("gated");

        await host.Manager.PublishAsync([new CustomerEvent("c0@example.com", "go", [], T0)]);

        string[] nodes = ["sms-1", "sms-2", "sms-3"];
        EngineHost.Eventually(() => nodes.Sum(n => host.Count("gated", n, StatisticCounter.Sent)) == 3, "three sends");
        Assert.Equal(0, nodes.Sum(n => host.Count("gated", n, StatisticCounter.Failed)));
        Assert.Equal(3, sender.MaxInFlight);
    }

    private sealed class RendezvousSender(int expected) : IChannelSender
    {
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _inFlight;
        private int _maxInFlight;

        public int MaxInFlight => Volatile.Read(ref _maxInFlight);

        public async ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            var now = Interlocked.Increment(ref _inFlight);
            InterlockedMax(ref _maxInFlight, now);
            if (now >= expected)
            {
                _all.TrySetResult();
            }

            try
            {
                // Bounded: a dispatcher that sends one at a time makes this a permanent failure, not a hang.
                await _all.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
                return SendResult.Sent;
            }
            catch (TimeoutException)
            {
                return SendResult.Permanent("the sends did not overlap");
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }

        private static void InterlockedMax(ref int target, int value)
        {
            var current = Volatile.Read(ref target);
            while (value > current)
            {
                var seen = Interlocked.CompareExchange(ref target, value, current);
                if (seen == current)
                {
                    return;
                }

                current = seen;
            }
        }
    }
}
