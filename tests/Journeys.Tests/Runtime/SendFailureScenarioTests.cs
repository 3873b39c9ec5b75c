using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Tests.Runtime;

/// <summary>
/// A permanent send failure is final: not retried, counted as failed at its node, and the customer moves on. A send
/// refused by the channel's open circuit is not a failure: it is held in the outbox and sent once the break is over.
/// </summary>
public sealed class SendFailureScenarioTests
{
    [Fact]
    public async Task A_permanent_send_failure_is_not_retried_counts_failed_at_its_node_and_the_enrollment_goes_on()
    {
        await using var host = await EngineHost.StartAsync(new DateTimeOffset(2026, 5, 4, 10, 0, 0, TimeSpan.Zero));
        await host.Manager.CreateAsync(JourneyBuilder.Create("two", "Two").EnterOnEvent("go")
            .Steps(p => p
                .Send(Channel.Push, "tips", id: "push")
                .Delay(TimeSpan.FromHours(1), id: "hour")
                .Send(Channel.Email, "welcome", v => v.Bind("name", "firstName", "there"), id: "email"))
            .Build());
        await host.Manager.ActivateAsync("two");
        host.Push.FailNextPermanently(1, "unknown device token");

        await host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "go", [], host.Time.GetUtcNow())]);
        EngineHost.Eventually(() => host.Count("two", "push", StatisticCounter.Failed) == 1, "the push failed");
        host.Advance(TimeSpan.FromHours(1));
        EngineHost.Eventually(() => host.Email.Messages.Count == 1, "the e-mail after the delay");

        // The failure is counted once all attempts are over: one attempt means it was not retried.
        Assert.Equal((1, 0, 0L), (host.Push.Attempts, host.Push.Messages.Count, host.Count("two", "push", StatisticCounter.Sent)));
        Assert.Equal("Welcome, Name1!", host.Email.Messages[0].Body);
        EngineHost.Eventually(() => host.Count("two", null, StatisticCounter.Completed) == 1, "the enrollment completed");
    }

    [Fact]
    public async Task A_message_refused_by_an_open_circuit_is_held_and_sent_after_the_break_not_counted_failed()
    {
        var start = new DateTimeOffset(2026, 5, 4, 10, 0, 0, TimeSpan.Zero);
        await using var host = await EngineHost.StartAsync(start, o => o.ChannelPolicies["Push"] = OpensAfterTwoFailures());
        await host.Manager.CreateAsync(JourneyBuilder.Create("one", "One").EnterOnEvent("go")
            .Steps(p => p.Send(Channel.Push, "tips", id: "push"))
            .Build());
        await host.Manager.ActivateAsync("one");

        // Two transient failures (final: no retries configured) open the circuit.
        host.Push.FailNextTransiently(2);
        await host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "go", [], start), new CustomerEvent("c2@example.com", "go", [], start)]);
        EngineHost.Eventually(() => host.Count("one", "push", StatisticCounter.Failed) == 2, "two failed pushes");

        await host.Manager.PublishAsync([new CustomerEvent("c3@example.com", "go", [], start)]);
        var outbox = host.Services.GetRequiredService<IOutboxStore>();
        EngineHost.Eventually(() => outbox.GetNextDueAsync().AsTask().GetAwaiter().GetResult() == start.AddSeconds(30), "the third push held until the break ends");
        Assert.Equal((2, 0L), (host.Push.Attempts, host.Count("one", "push", StatisticCounter.Failed) - 2));

        host.Advance(TimeSpan.FromSeconds(30));
        EngineHost.Eventually(() => host.Count("one", "push", StatisticCounter.Sent) == 1, "the held push sent");
        Assert.Equal("c3@example.com", Assert.Single(host.Push.Messages).CustomerId);
        Assert.Equal(2, host.Count("one", "push", StatisticCounter.Failed));
    }

    [Fact]
    public async Task A_message_held_by_an_open_circuit_gives_its_frequency_cap_place_back_until_it_is_sent()
    {
        // Cap 1 a day. c3's push is reserved, then held by the open circuit: not attempted, so its place is given back
        // and an e-mail to c3 meanwhile takes it; after the break the push reserves again and is capped.
        var start = new DateTimeOffset(2026, 5, 4, 10, 0, 0, TimeSpan.Zero);
        await using var host = await EngineHost.StartAsync(start, o =>
        {
            o.SendPolicy = new SendPolicyOptions { FrequencyCap = 1, FrequencyCapWindow = TimeSpan.FromDays(1) };
            o.ChannelPolicies["Push"] = OpensAfterTwoFailures();
        });
        await host.Manager.CreateAsync(JourneyBuilder.Create("one", "One").EnterOnEvent("go").Steps(p => p.Send(Channel.Push, "tips", id: "push")).Build());
        await host.Manager.ActivateAsync("one");
        await host.Manager.CreateAsync(JourneyBuilder.Create("mail", "Mail").EnterOnEvent("mail")
            .Steps(p => p.Send(Channel.Email, "welcome", v => v.Bind("name", "firstName", "there"), id: "email")).Build());
        await host.Manager.ActivateAsync("mail");

        host.Push.FailNextTransiently(2);
        await host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "go", [], start), new CustomerEvent("c2@example.com", "go", [], start)]);
        EngineHost.Eventually(() => host.Count("one", "push", StatisticCounter.Failed) == 2, "two failed pushes open the circuit");
        await host.Manager.PublishAsync([new CustomerEvent("c3@example.com", "go", [], start)]);
        var outbox = host.Services.GetRequiredService<IOutboxStore>();
        EngineHost.Eventually(() => outbox.GetNextDueAsync().AsTask().GetAwaiter().GetResult() == start.AddSeconds(30), "c3's push held until the break ends");

        await host.Manager.PublishAsync([new CustomerEvent("c3@example.com", "mail", [], start)]);
        EngineHost.Eventually(() => host.Email.Messages.Count == 1, "the e-mail to c3, in the place the held push gave back");

        host.Advance(TimeSpan.FromSeconds(30));
        EngineHost.Eventually(() => host.Count("one", "push", StatisticCounter.Capped) == 1, "the held push capped after the break");
        Assert.Empty(host.Push.Messages);
        Assert.Equal(0, host.Count("one", "push", StatisticCounter.Sent));
    }

    /// <summary>No retries; the circuit opens after two failures in 30 s and stays open 30 s.</summary>
    private static ChannelPolicyOptions OpensAfterTwoFailures() => new()
    {
        MaxRetryAttempts = 0,
        CircuitBreakerFailureRatio = 0.5,
        CircuitBreakerMinimumThroughput = 2,
        CircuitBreakerSamplingDuration = TimeSpan.FromSeconds(30),
        CircuitBreakerBreakDuration = TimeSpan.FromSeconds(30),
    };
}
