using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Tests.Runtime;

/// <summary>
/// A message the channel's rate limiter refuses (its queue full) never reaches the provider and is not sent later: it
/// must not keep one of the customer's frequency-cap places, or the customer's next message is capped too.
/// </summary>
public sealed class RateLimitedCapTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_push_the_rate_limiter_refuses_gives_its_frequency_cap_place_back_so_the_customers_next_message_is_sent()
    {
        // One permit per second and no queue: of the two customers' pushes, sent one right after the other, the second
        // finds the bucket empty and is refused ("rate limited", counted failed). The limiter refills on the real clock
        // once a second; the two sends are microseconds apart.
        await using var host = await EngineHost.StartAsync(
            T0,
            o =>
            {
                o.ShardCount = 1;
                o.SendPolicy.FrequencyCap = 1;
                o.ChannelPolicies["push"] = new ChannelPolicyOptions { PermitsPerSecond = 1, RateLimitQueueLimit = 0, Timeout = TimeSpan.FromHours(24) };
            },
            extend: j => j.AddCampaigns(new Campaign("note", Channel.Email, "A note for you")));
        await host.Manager.CreateAsync(JourneyBuilder.Create("two", "Two")
            .EnterFromList(["c1@example.com", "c2@example.com"])
            .Steps(p => p
                .Send(Channel.Push, "tips", id: "push")
                .Delay(TimeSpan.FromHours(1), id: "later")
                .Send(Channel.Email, "note", id: "email"))
            .Build());
        await host.Manager.ActivateAsync("two");

        EngineHost.Eventually(
            () => host.Count("two", "push", StatisticCounter.Sent) + host.Count("two", "push", StatisticCounter.Failed) == 2,
            "both pushes settled");
        Assert.Equal(1, host.Count("two", "push", StatisticCounter.Failed));
        var pushed = Assert.Single(host.Push.Messages).CustomerId;

        host.Advance(TimeSpan.FromHours(1));

        // The customer who got the push has used their one place: their e-mail is capped. The other got nothing: theirs goes.
        EngineHost.Eventually(
            () => host.Count("two", "email", StatisticCounter.Sent) + host.Count("two", "email", StatisticCounter.Capped) == 2,
            () => $"both e-mails settled (sent {host.Count("two", "email", StatisticCounter.Sent)}, capped {host.Count("two", "email", StatisticCounter.Capped)})");
        Assert.Equal(1, host.Count("two", "email", StatisticCounter.Capped));
        Assert.NotEqual(pushed, Assert.Single(host.Email.Messages).CustomerId);
    }
}
