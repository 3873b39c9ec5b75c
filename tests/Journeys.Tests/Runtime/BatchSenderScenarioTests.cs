using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Tests.Messaging;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Tests.Runtime;

/// <summary>
/// A channel whose sender takes batches (<see cref="IBatchChannelSender"/>): the dispatcher groups that channel's messages
/// up to the sender's size, checks the send policies per message first, and records each message's outcome as a single
/// send's; other channels' senders are still called once per message.
/// </summary>
public sealed class BatchSenderScenarioTests
{
    private static readonly DateTimeOffset Eight = new(2026, 5, 5, 6, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Messages_claimed_together_go_to_the_batch_sender_in_batches_of_its_size_and_each_is_recorded_on_its_own()
    {
        // c3's SMS fails for good inside its batch; the push channel's sender has no batch interface.
        var sms = new ScriptedBatchSender(4, (_, m) => m.CustomerId == "c3@example.com" ? SendResult.Permanent("invalid number") : SendResult.Sent);
        await using var host = await StartAtNightAsync(sms);
        await host.Manager.CreateAsync(JourneyBuilder.Create("night", "Night").EnterOnEvent("go")
            .Steps(p => p.Send(Channel.Sms, "sms-tips", id: "sms").Send(Channel.Push, "tips", id: "push"))
            .Build());
        await host.Manager.ActivateAsync("night");

        // Ten customers' SMS and push, all held by the quiet hours (a policy checked per message) until 08:00 local, then
        // put back held so that the dispatcher's one claim at 08:00 takes all twenty.
        var outbox = host.Services.GetRequiredService<IOutboxStore>();
        await HoldTenCustomersUntilEightAsync(host, 20);
        Assert.Empty(sms.Calls);

        host.Advance(TimeSpan.FromHours(9));
        EngineHost.Eventually(() => host.Count("night", "sms", StatisticCounter.Sent) == 9 && host.Count("night", "push", StatisticCounter.Sent) == 10, "the held messages sent");

        Assert.Equal([4, 4, 2], sms.Calls.Select(c => c.Length));
        Assert.Equal(10, sms.Calls.SelectMany(c => c).Distinct().Count());
        Assert.Equal(0, sms.SingleCalls);
        Assert.Equal(1, host.Count("night", "sms", StatisticCounter.Failed));
        Assert.Equal((10, 10), (host.Push.Attempts, host.Push.Messages.Count));
        Assert.Null(await outbox.GetNextDueAsync());
    }

    [Fact]
    public async Task A_batch_sender_wrapped_in_the_idempotent_decorator_still_gets_batches_and_a_message_repeated_after_a_crash_is_not_sent_twice()
    {
        var inner = new ScriptedBatchSender(4);
        var keys = new InMemoryIdempotencyKeyStore();
        var sms = IdempotentChannelSender.Wrap(inner, keys);
        await using var host = await StartAtNightAsync(sms);
        await host.Manager.CreateAsync(JourneyBuilder.Create("night", "Night").EnterOnEvent("go")
            .Steps(p => p.Send(Channel.Sms, "sms-tips", id: "sms"))
            .Build());
        await host.Manager.ActivateAsync("night");
        var outbox = host.Services.GetRequiredService<IOutboxStore>();
        var held = await HoldTenCustomersUntilEightAsync(host, 10);

        // A process that crashed had sent three of them (same keys, through the same key store) without recording it.
        var crashed = held.Take(3).Select(m => m.Message).ToArray();
        await ((IBatchChannelSender)sms).SendBatchAsync(crashed, new SendResult[3], default);
        Assert.Equal([3], inner.Calls.Select(c => c.Length));

        host.Advance(TimeSpan.FromHours(9));
        EngineHost.Eventually(() => host.Count("night", "sms", StatisticCounter.Sent) == 10, "the held SMS sent or found sent");

        // The seven others reached the inner sender in batch calls (claimed together: batches of up to 4), each key once.
        var after = inner.Batches.Skip(1).ToArray();
        Assert.Equal(7, after.Sum(b => b.Length));
        Assert.InRange(after.Length, 2, 3);
        Assert.Equal(0, inner.SingleCalls);
        var delivered = inner.Batches.SelectMany(b => b).Select(m => m.IdempotencyKey).ToArray();
        Assert.Equal(10, delivered.Length);
        Assert.Equal(10, delivered.Distinct().Count());
        Assert.Empty(after.SelectMany(b => b).Select(m => m.IdempotencyKey).Intersect(crashed.Select(m => m.IdempotencyKey)));
        Assert.Null(await outbox.GetNextDueAsync());
    }

    [Fact]
    public async Task Batch_calls_that_fail_for_every_message_open_the_circuit_and_the_next_messages_are_held_not_failed()
    {
        var start = new DateTimeOffset(2026, 5, 4, 10, 0, 0, TimeSpan.Zero);
        var sms = new ScriptedBatchSender(10, (call, _) => call < 2 ? SendResult.Transient("gateway down") : SendResult.Sent);
        await using var host = await EngineHost.StartAsync(
            start,
            o => o.ChannelPolicies["sms"] = new ChannelPolicyOptions
            {
                MaxRetryAttempts = 0,
                CircuitBreakerMinimumThroughput = 2,
                CircuitBreakerBreakDuration = TimeSpan.FromSeconds(30),
            },
            extend: j => j.AddSender(Channel.Sms, sms).AddCampaigns(new Campaign("sms-tips", Channel.Sms, "Tips by SMS")));
        await host.Manager.CreateAsync(JourneyBuilder.Create("one", "One").EnterOnEvent("go")
            .Steps(p => p.Send(Channel.Sms, "sms-tips", id: "sms"))
            .Build());
        await host.Manager.ActivateAsync("one");

        // Two calls in which every message failed transiently (final: no retries) open the circuit.
        for (var i = 1; i <= 2; i++)
        {
            await host.Manager.PublishAsync([new CustomerEvent($"c{i}@example.com", "go", [], start)]);
            EngineHost.Eventually(() => host.Count("one", "sms", StatisticCounter.Failed) == i, $"failed SMS {i}");
        }

        await host.Manager.PublishAsync([new CustomerEvent("c3@example.com", "go", [], start)]);
        var outbox = host.Services.GetRequiredService<IOutboxStore>();
        EngineHost.Eventually(() => outbox.GetNextDueAsync().AsTask().GetAwaiter().GetResult() == start.AddSeconds(30), "the third SMS held until the break ends");
        Assert.Equal(2, sms.Calls.Count);

        host.Advance(TimeSpan.FromSeconds(30));
        EngineHost.Eventually(() => host.Count("one", "sms", StatisticCounter.Sent) == 1, "the held SMS sent");
        Assert.Equal("c3@example.com", Assert.Single(sms.Batches[2]).CustomerId);
        Assert.Equal(2, host.Count("one", "sms", StatisticCounter.Failed));
    }

    [Fact]
    public void The_batch_size_is_the_senders_capped_at_the_channels_permits_per_second_and_a_single_sender_stays_single()
    {
        using var provider = Services(
            j => j.AddSender(Channel.Sms, new ScriptedBatchSender(100)).AddSender(Channel.Email, new ScriptedBatchSender(5)).AddSender(Channel.Push, new RecordingChannelSender()),
            o => o.ChannelPolicies["sms"] = new ChannelPolicyOptions { PermitsPerSecond = 3 });
        var registry = provider.GetRequiredService<SenderRegistry>();

        Assert.True(registry.TryGet(Channel.Sms, out var sms));
        Assert.Equal(3, sms.MaxBatchSize);
        Assert.True(registry.TryGet(Channel.Email, out var email));
        Assert.Equal(5, email.MaxBatchSize);
        Assert.True(registry.TryGet(Channel.Push, out var push));
        Assert.Null(push.BatchPipeline);
        Assert.NotNull(push.Pipeline);
    }

    [Fact]
    public void A_batch_sender_that_declares_no_batch_size_is_refused_with_its_channel_named()
    {
        using var provider = Services(j => j.AddSender(Channel.Sms, new ScriptedBatchSender(0)));

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<SenderRegistry>());
        Assert.Contains("channel 'sms'", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxBatchSize 0", error.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Services(Action<IJourneysBuilder> senders, Action<JourneysOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddJourneys(j =>
        {
            senders(j);
            j.Configure(o => configure?.Invoke(o));
        });
        return services.BuildServiceProvider();
    }

    // Publishes "go" for ten customers and waits for their messages to be held by the quiet hours until 08:00 local, then
    // puts them back held, so that the dispatcher's one claim at 08:00 takes them all; returns them.
    private static async Task<List<OutboxMessage>> HoldTenCustomersUntilEightAsync(EngineHost host, int messages)
    {
        await host.Manager.PublishAsync([.. Enumerable.Range(0, 10).Select(i => new CustomerEvent($"c{i}@example.com", "go", [], host.Time.GetUtcNow()))]);
        var outbox = host.Services.GetRequiredService<IOutboxStore>();
        var held = new List<OutboxMessage>();
        EngineHost.Eventually(() => SendPolicyScenarioTests.HeldCount(outbox, Eight, held) == messages, $"{messages} messages held until 08:00 local");
        await outbox.CompleteAsync("test", [.. held.Select(m => new OutboxResult(m.Message.MessageId, SendResult.Transient("held"), Eight, []))]);
        return held;
    }

    // 23:00 in Madrid, inside quiet hours 22:00-08:00 local, with the batch sender on the SMS channel.
    private static Task<EngineHost> StartAtNightAsync(IChannelSender sms) => EngineHost.StartAsync(
        new DateTimeOffset(2026, 5, 4, 21, 0, 0, TimeSpan.Zero),
        o =>
        {
            o.SendPolicy = new SendPolicyOptions { QuietHoursStart = new TimeOnly(22, 0), QuietHoursEnd = new TimeOnly(8, 0) };
            o.LeaseDuration = TimeSpan.FromDays(1);
        },
        timeZone: "Europe/Madrid",
        extend: j => j.AddSender(Channel.Sms, sms).AddCampaigns(new Campaign("sms-tips", Channel.Sms, "Tips by SMS")));
}
