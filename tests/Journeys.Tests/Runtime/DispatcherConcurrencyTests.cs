using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Tests.Runtime;

/// <summary>
/// The dispatcher runs in-process sends inline but lets sends that really wait overlap, within a batch and across
/// batches (at most <see cref="JourneysOptions.DefaultMaxConcurrentSends"/> of a loop at a time), keeping each customer's messages in
/// commit order.
/// </summary>
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

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_send_that_waits_does_not_hold_back_the_messages_committed_after_it(bool batches)
    {
        // One shard, so one dispatcher loop: before, it sent a hand-off's messages and waited for all of them before it
        // took the next, so one slow provider call (a webhook up to its timeout times its attempts) held every later
        // message of the loop.
        var sender = GatedSender.Create(batches);
        await using var host = await StartGatedAsync(sender, OneLoop);
        sender.Block("slow");

        await host.Manager.PublishAsync([new CustomerEvent("slow", "go", [], T0)]);
        EngineHost.Eventually(() => sender.Started.Contains("slow"), "the slow customer's send to start");
        await host.Manager.PublishAsync([new CustomerEvent("quick", "go", [], T0)]);

        EngineHost.Eventually(() => host.Count("gated", "sms", StatisticCounter.Sent) == 1, "the later message sent and recorded while the first waits");
        Assert.Equal(["quick"], sender.Finished);

        sender.Release();
        EngineHost.Eventually(() => host.Count("gated", "sms", StatisticCounter.Sent) == 2, "the first message sent and recorded once released");
        Assert.Equal(["quick", "slow"], sender.Finished);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_message_committed_while_an_earlier_send_to_its_customer_waits_goes_out_after_it_and_others_pass(bool batches)
    {
        // The loop no longer waits for the first send, but the customer's second message must: a customer's messages go
        // out in commit order. Another customer's message, committed with the second, does not wait.
        var sender = GatedSender.Create(batches);
        await using var host = await EngineHost.StartAsync(T0, OneLoop, extend: j => j
            .AddSender(Channel.Sms, sender)
            .AddCampaigns(new Campaign("first-sms", Channel.Sms, "First"), new Campaign("second-sms", Channel.Sms, "Second")));
        await host.Manager.CreateAsync(JourneyBuilder.Create("two", "Two").EnterOnEvent("go")
            .Steps(p => p.Send(Channel.Sms, "first-sms", id: "first").WaitForEvent("next", TimeSpan.FromDays(1), id: "wait").Send(Channel.Sms, "second-sms", id: "second"))
            .Build());
        await host.Manager.ActivateAsync("two");
        sender.Block("slow");
        await host.Manager.PublishAsync([new CustomerEvent("other", "go", [], T0)]);
        EngineHost.Eventually(() => host.Count("two", "first", StatisticCounter.Sent) == 1, "the other customer's first message");

        await host.Manager.PublishAsync([new CustomerEvent("slow", "go", [], T0)]);
        EngineHost.Eventually(() => sender.Started.Contains("slow"), "the slow customer's first send to start");
        host.Time.Advance(TimeSpan.FromMinutes(1));
        await host.Manager.PublishAsync([new CustomerEvent("slow", "next", [], host.Time.GetUtcNow()), new CustomerEvent("other", "next", [], host.Time.GetUtcNow())]);

        // Sent; recorded with the rest of its hand-off, once the slow customer's second message has been sent.
        EngineHost.Eventually(() => sender.Bodies.Contains("other:Second"), "the other customer's second message, past the waiting send");
        Assert.Equal(2, host.Count("two", null, StatisticCounter.Completed));
        Assert.Equal(["other:First", "other:Second"], sender.Bodies);
        Assert.Single(sender.Started, c => c == "slow");

        sender.Release();
        EngineHost.Eventually(() => host.Count("two", "second", StatisticCounter.Sent) == 2, "the slow customer's second message");
        Assert.Equal(["other:First", "other:Second", "slow:First", "slow:Second"], sender.Bodies);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(4)]
    [InlineData(40)]
    public async Task At_most_MaxConcurrentSends_sends_of_a_dispatcher_loop_wait_across_its_batches_and_the_rest_go_out_as_they_end(int? maxConcurrentSends)
    {
        // One shard, one enrollment per batch: every message is its own hand-off, and every send waits until released.
        var limit = maxConcurrentSends ?? JourneysOptions.DefaultMaxConcurrentSends;
        var sender = GatedSender.Create(batches: false);
        var customers = Enumerable.Range(0, limit + 8).Select(i => $"c{i:D2}").ToArray();
        foreach (var customer in customers)
        {
            sender.Block(customer);
        }

        await using var host = await StartGatedAsync(sender, o =>
        {
            OneLoop(o);
            o.BatchSize = 1;
            o.MaxConcurrentSends = limit;
        });

        await host.Manager.PublishAsync([.. customers.Select(c => new CustomerEvent(c, "go", [], T0))]);
        EngineHost.Eventually(() => host.Count("gated", null, StatisticCounter.Completed) == customers.Length, "every message committed");
        EngineHost.Eventually(() => sender.Started.Count == limit, () => $"{limit} sends waiting; started {sender.Started.Count}");
        Assert.Equal(limit, sender.MaxInFlight);

        sender.Release();
        EngineHost.Eventually(() => host.Count("gated", "sms", StatisticCounter.Sent) == customers.Length, "every message sent once released");
        Assert.Equal(customers, sender.Finished.Order(StringComparer.Ordinal));
        Assert.Equal(limit, sender.MaxInFlight);
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

    // An engine whose journey "gated" sends one SMS ("sms") through sender to each customer who publishes "go".
    private static async Task<EngineHost> StartGatedAsync(GatedSender sender, Action<JourneysOptions> configure)
    {
        var host = await EngineHost.StartAsync(T0, configure, extend: j => j
            .AddSender(Channel.Sms, sender)
            .AddCampaigns(new Campaign("gated-sms", Channel.Sms, "Hello")));
        try
        {
            await host.Manager.CreateAsync(JourneyBuilder.Create("gated", "Gated").EnterOnEvent("go")
                .Steps(p => p.Send(Channel.Sms, "gated-sms", id: "sms"))
                .Build());
            await host.Manager.ActivateAsync("gated");
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    // One shard, so one dispatcher loop; a held send must not time out or be retried on the fake clock (a test moves it
    // while a send is held).
    private static void OneLoop(JourneysOptions options)
    {
        options.ShardCount = 1;
        options.DefaultChannelPolicy.Timeout = TimeSpan.FromHours(1);
        options.DefaultChannelPolicy.MaxRetryAttempts = 0;
    }

    /// <summary>
    /// Sends of blocked customers wait until released (in real time, bounded); every start and finish is noted in order.
    /// <see cref="Create"/> with batches gives one that takes batches (<see cref="IBatchChannelSender"/>): a batch holding
    /// a blocked customer's message waits as a whole.
    /// </summary>
    private class GatedSender : IChannelSender
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _blocked = new(StringComparer.Ordinal);
        private int _inFlight;
        private int _maxInFlight;

        public System.Collections.Concurrent.ConcurrentQueue<string> Started { get; } = new();

        public System.Collections.Concurrent.ConcurrentQueue<string> Finished { get; } = new();

        /// <summary>customer:body of each message sent, in order.</summary>
        public System.Collections.Concurrent.ConcurrentQueue<string> Bodies { get; } = new();

        public int MaxInFlight => Volatile.Read(ref _maxInFlight);

        public void Block(string customerId) => _blocked[customerId] = true;

        public void Release() => _gate.TrySetResult();

        public static GatedSender Create(bool batches) => batches ? new GatedBatchSender() : new GatedSender();

        public virtual async ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            await SendAllAsync([message], cancellationToken);
            return SendResult.Sent;
        }

        protected async Task SendAllAsync(OutboundMessage[] messages, CancellationToken cancellationToken)
        {
            InterlockedMax(ref _maxInFlight, Interlocked.Increment(ref _inFlight));
            try
            {
                foreach (var message in messages)
                {
                    Started.Enqueue(message.CustomerId);
                }

                if (messages.Any(m => _blocked.ContainsKey(m.CustomerId)))
                {
                    await _gate.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
                }

                foreach (var message in messages)
                {
                    Bodies.Enqueue($"{message.CustomerId}:{message.Body}");
                    Finished.Enqueue(message.CustomerId);
                }
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }

    private sealed class GatedBatchSender : GatedSender, IBatchChannelSender
    {
        public int MaxBatchSize => 100;

        public override ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("a batch sender's messages go through SendBatchAsync");

        public async ValueTask SendBatchAsync(ReadOnlyMemory<OutboundMessage> messages, Memory<SendResult> results, CancellationToken cancellationToken)
        {
            await SendAllAsync(messages.ToArray(), cancellationToken);
            results.Span.Fill(SendResult.Sent);
        }
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
    }
}
