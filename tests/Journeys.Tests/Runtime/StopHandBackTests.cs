using System.Collections.Concurrent;
using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Tests.Runtime;

/// <summary>
/// A graceful stop hands back the work the engine claimed and will not do: the next host on the same stores (a rolling
/// deployment's new instance, or the restarted one) takes it at once, not after <see cref="JourneysOptions.LeaseDuration"/>.
/// The fake clock does not move in these tests until they say so: before the hand-back, that work waited 5 minutes.
/// </summary>
public sealed class StopHandBackTests
{
    private static readonly DateTimeOffset Start = new(2026, 5, 4, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Enrollments_claimed_and_not_committed_when_the_host_stops_are_run_by_the_next_host_at_once()
    {
        var stores = new SharedInMemoryStores(new FakeTimeProvider(Start));
        var logs = new ListLoggerProvider();

        // One item per batch: the first batch's commit hangs until the stop cancels it; the second customer's enrollment
        // is claimed (or created leased to the engine) and waits behind it.
        BlockingCommitStore? blocking = null;
        using (var host = stores.BuildHost(Journeys(new RecordingChannelSender()), logs, inner => blocking = new BlockingCommitStore(inner)))
        {
            await host.StartAsync();
            var manager = host.Services.GetRequiredService<IJourneyManager>();
            await CreateAsync(manager);
            await manager.PublishAsync([new CustomerEvent("ana@example.com", "go", [], Start), new CustomerEvent("bob@example.com", "go", [], Start)]);
            EngineHost.Eventually(() => blocking!.Blocked, "the first batch's commit under way");
            await host.StopAsync();
        }

        Assert.Contains(logs.Entries, e => e.EventId.Id == 54 && e.Message.StartsWith("Stopping: handed back 2 of the 2 ", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error);

        var push = new RecordingChannelSender();
        using (var host = stores.BuildHost(Journeys(push)))
        {
            await host.StartAsync();
            EngineHost.Eventually(() => push.Messages.Count == 2, () => $"both customers' pushes sent by the next host without the clock moving; sent {push.Messages.Count}");
            await host.StopAsync();
        }

        Assert.Equal(["ana@example.com", "bob@example.com"], push.Messages.Select(m => m.CustomerId).Order(StringComparer.Ordinal));
        Assert.Equal(Start, stores.Time.GetUtcNow());
    }

    [Fact]
    public async Task Messages_queued_for_the_dispatcher_are_sent_by_the_next_host_at_once_and_a_message_whose_send_started_waits_for_its_lease()
    {
        var stores = new SharedInMemoryStores(new FakeTimeProvider(Start));

        // The sender hangs on every message until the stop cancels it: the first SendLimit customers' sends fill the
        // dispatcher, and the last customer's message is committed behind them, never taken.
        string[] customers = [.. Enumerable.Range(0, JourneysOptions.DefaultMaxConcurrentSends + 1).Select(i => $"c{i:D2}")];
        var hanging = new HangingSender();
        using (var host = stores.BuildHost(Journeys(hanging)))
        {
            await host.StartAsync();
            var manager = host.Services.GetRequiredService<IJourneyManager>();
            await CreateAsync(manager);
            await manager.PublishAsync([.. customers.Select(c => new CustomerEvent(c, "go", [], Start))]);
            EngineHost.Eventually(
                () => hanging.Started.Count == JourneysOptions.DefaultMaxConcurrentSends && manager.GetStatisticsAsync("hello").AsTask().GetAwaiter().GetResult().Get(StatisticCounter.Completed) == customers.Length,
                () => $"every enrollment committed, SendLimit messages' sends under way; started {hanging.Started.Count}");
            await host.StopAsync();
        }

        var started = hanging.Started.ToHashSet(StringComparer.Ordinal);
        Assert.Equal(JourneysOptions.DefaultMaxConcurrentSends, started.Count);
        var other = Assert.Single(customers, c => !started.Contains(c));
        var push = new RecordingChannelSender();
        using (var host = stores.BuildHost(Journeys(push)))
        {
            await host.StartAsync();
            EngineHost.Eventually(() => push.Messages.Count == 1, "the message never taken by the stopped dispatcher sent by the next host without the clock moving");
            Assert.Equal(other, push.Messages.Single().CustomerId);

            // The messages whose sends started keep their leases (their provider may have taken them): sent once the
            // leases run out.
            stores.Time.Advance(TimeSpan.FromMinutes(5));
            EngineHost.Eventually(
                () =>
                {
                    stores.Time.Advance(TimeSpan.FromSeconds(1));
                    return push.Messages.Count == customers.Length;
                },
                "the started messages sent again after their leases expired");
            await host.StopAsync();
        }

        Assert.Equal(customers, push.Messages.Select(m => m.CustomerId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_message_waiting_for_an_earlier_send_to_its_customer_when_the_host_stops_is_sent_by_the_next_host_at_once()
    {
        var stores = new SharedInMemoryStores(new FakeTimeProvider(Start));

        // The first message's send hangs until the stop cancels it; the customer's second, committed while it hangs, waits
        // for it (a customer's messages go out in commit order) and is never begun: given back like a message never taken.
        var hanging = new HangingSender();
        using (var host = stores.BuildHost(Journeys(hanging)))
        {
            await host.StartAsync();
            var manager = host.Services.GetRequiredService<IJourneyManager>();
            await manager.CreateAsync(JourneyBuilder.Create("two", "Two").EnterOnEvent("go")
                .Steps(p => p.Send(Channel.Push, "hello", id: "first").WaitForEvent("next", TimeSpan.FromDays(1), id: "wait").Send(Channel.Push, "hello", id: "second"))
                .Build());
            await manager.ActivateAsync("two");
            await manager.PublishAsync([new CustomerEvent("ana", "go", [], Start)]);
            EngineHost.Eventually(() => hanging.Started.Count == 1, "the first message's send under way");
            await manager.PublishAsync([new CustomerEvent("ana", "next", [], Start)]);
            EngineHost.Eventually(
                () => manager.GetStatisticsAsync("two").AsTask().GetAwaiter().GetResult().Get(StatisticCounter.Completed) == 1,
                "the second message committed");
            await host.StopAsync();
        }

        Assert.Single(hanging.Started);
        var push = new RecordingChannelSender();
        using (var host = stores.BuildHost(Journeys(push)))
        {
            await host.StartAsync();
            EngineHost.Eventually(() => push.Messages.Count == 1, "the second message sent by the next host without the clock moving");
            Assert.Contains("/second/", push.Messages[0].MessageId, StringComparison.Ordinal);

            stores.Time.Advance(TimeSpan.FromMinutes(5));
            EngineHost.Eventually(
                () =>
                {
                    stores.Time.Advance(TimeSpan.FromSeconds(1));
                    return push.Messages.Count == 2;
                },
                "the first message sent again after its lease expired");
            Assert.Contains("/first/", push.Messages[1].MessageId, StringComparison.Ordinal);
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task The_rest_of_a_batch_behind_sends_under_way_is_sent_by_the_next_host_at_once_and_the_started_sends_wait_for_their_leases()
    {
        var stores = new SharedInMemoryStores(new FakeTimeProvider(Start));
        string[] customers = [.. Enumerable.Range(0, 40).Select(i => $"c{i:D2}")];

        // First the 40 pushes are committed and held by quiet hours (10:00 to 11:00 in the journey's zone, UTC), so they
        // wait in the store together. (Published to a running host, they may be committed in several batches, each handed
        // to the dispatcher on its own: the hanging sends of the first would keep the rest from ever being reached.)
        var quiet = new RecordingChannelSender();
        using (var host = stores.BuildHost(j => j.AddSender(Channel.Push, quiet).AddCampaigns(new Campaign("hello", Channel.Push, "Hello"))
            .Configure(o => (o.SendPolicy.QuietHoursStart, o.SendPolicy.QuietHoursEnd) = (new TimeOnly(10, 0), new TimeOnly(11, 0)))))
        {
            await host.StartAsync();
            var manager = host.Services.GetRequiredService<IJourneyManager>();
            await CreateAsync(manager);
            await manager.PublishAsync([.. customers.Select(c => new CustomerEvent(c, "go", [], Start))]);
            EngineHost.Eventually(
                () => manager.GetStatisticsAsync("hello").AsTask().GetAwaiter().GetResult().Get(StatisticCounter.Completed) == 40,
                "all 40 committed");
            await host.StopAsync();
        }

        Assert.Empty(quiet.Messages);

        // At 11:00 the next host claims the 40 in one batch: its dispatcher starts 16 sends at most at a time, and every
        // send hangs until the stop cancels it, so 24 are never begun.
        stores.Time.Advance(TimeSpan.FromHours(1));
        var hanging = new HangingSender();
        using (var host = stores.BuildHost(j => j.AddSender(Channel.Push, hanging).AddCampaigns(new Campaign("hello", Channel.Push, "Hello"))))
        {
            await host.StartAsync();
            EngineHost.Eventually(() => hanging.Started.Count == 16, () => $"16 sends under way; started {hanging.Started.Count}");
            await host.StopAsync();
        }

        var started = hanging.Started.ToHashSet(StringComparer.Ordinal);
        Assert.Equal(16, started.Count);
        var push = new RecordingChannelSender();
        using (var host = stores.BuildHost(Journeys(push)))
        {
            await host.StartAsync();
            EngineHost.Eventually(() => push.Messages.Count == 24, () => $"the 24 never begun sent by the next host without the clock moving; sent {push.Messages.Count}");
            Assert.DoesNotContain(push.Messages, m => started.Contains(m.CustomerId));

            stores.Time.Advance(TimeSpan.FromMinutes(5));
            EngineHost.Eventually(
                () =>
                {
                    stores.Time.Advance(TimeSpan.FromSeconds(1));
                    return push.Messages.Count == 40;
                },
                "the 16 started sends sent again after their leases expired");
            await host.StopAsync();
        }

        Assert.Equal(customers, push.Messages.Select(m => m.CustomerId).Order(StringComparer.Ordinal));
    }

    private static Action<IJourneysBuilder> Journeys(IChannelSender push) =>
        j => j.AddSender(Channel.Push, push)
            .AddCampaigns(new Campaign("hello", Channel.Push, "Hello"))
            .Configure(o => o.BatchSize = 1);

    private static async Task CreateAsync(IJourneyManager manager)
    {
        await manager.CreateAsync(JourneyBuilder.Create("hello", "Hello").EnterOnEvent("go")
            .Steps(p => p.Send(Channel.Push, "hello", id: "push"))
            .Build());
        await manager.ActivateAsync("hello");
    }

    /// <summary>The first commit waits until it is cancelled (the host stops); the others pass.</summary>
    private sealed class BlockingCommitStore(IEnrollmentStore inner) : DelegatingEnrollmentStore(inner)
    {
        private int _commits;

        public bool Blocked => Volatile.Read(ref _commits) > 0;

        public override async ValueTask<IReadOnlyList<bool>> CommitAsync(string owner, IReadOnlyList<EnrollmentCheckpoint> checkpoints, OutboxHandoff? outboxHandoff, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Increment(ref _commits) == 1)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            return await base.CommitAsync(owner, checkpoints, outboxHandoff, cancellationToken);
        }
    }

    /// <summary>Hangs on every message until its send is cancelled; records whose it was.</summary>
    private sealed class HangingSender : IChannelSender
    {
        public ConcurrentQueue<string> Started { get; } = new();

        public async ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            Started.Enqueue(message.CustomerId);
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return SendResult.Sent;
        }
    }
}
