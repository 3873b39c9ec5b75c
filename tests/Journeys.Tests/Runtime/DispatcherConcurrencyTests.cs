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
        await host.Manager.CreateAsync(JourneyBuilder.Create("gated", "Gated").EnterOnEvent("go")
            .Steps(p => p.Send(Channel.Sms, "gated-sms", id: "sms"))
            .Build());
        await host.Manager.ActivateAsync("gated");

        await host.Manager.PublishAsync([.. Enumerable.Range(0, 3).Select(i => new CustomerEvent($"c{i}@example.com", "go", [], T0))]);

        EngineHost.Eventually(() => host.Count("gated", "sms", StatisticCounter.Sent) == 3, "three sends");
        Assert.Equal(0, host.Count("gated", "sms", StatisticCounter.Failed));
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
