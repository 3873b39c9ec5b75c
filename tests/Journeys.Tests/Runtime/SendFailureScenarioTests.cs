using Journeys.Building;
using Journeys.Storage;

namespace Journeys.Tests.Runtime;

/// <summary>A permanent send failure is final: not retried, counted as failed at its node, and the customer moves on.</summary>
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
}
