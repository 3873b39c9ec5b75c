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
        // One permit per second and no queue: of six customers' pushes, sent one right after the other, those that find
        // the bucket empty are refused ("rate limited", counted failed). The limiter refills on the real clock once a
        // second, so on a loaded machine a push now and then finds a new permit; with six, some are refused all the same
        // (until 2026-12-02 the test had two customers, and a gap of a second between their two sends failed it).
        string[] customers = [.. Enumerable.Range(1, 6).Select(i => $"c{i}@example.com")];
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
            .EnterFromList(customers)
            .Steps(p => p
                .Send(Channel.Push, "tips", id: "push")
                .Delay(TimeSpan.FromHours(1), id: "later")
                .Send(Channel.Email, "note", id: "email"))
            .Build());
        await host.Manager.ActivateAsync("two");

        EngineHost.Eventually(
            () => host.Count("two", "push", StatisticCounter.Sent) + host.Count("two", "push", StatisticCounter.Failed) == customers.Length,
            "every push settled");
        var pushed = host.Push.Messages.Select(m => m.CustomerId).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(customers.Length - pushed.Count, host.Count("two", "push", StatisticCounter.Failed));
        Assert.InRange(pushed.Count, 1, customers.Length - 1);

        host.Advance(TimeSpan.FromHours(1));

        // A customer who got the push has used their one place: their e-mail is capped. The others got nothing: theirs go.
        EngineHost.Eventually(
            () => host.Count("two", "email", StatisticCounter.Sent) + host.Count("two", "email", StatisticCounter.Capped) == customers.Length,
            () => $"every e-mail settled (sent {host.Count("two", "email", StatisticCounter.Sent)}, capped {host.Count("two", "email", StatisticCounter.Capped)})");
        Assert.Equal(pushed.Count, host.Count("two", "email", StatisticCounter.Capped));
        Assert.Equal(customers.Except(pushed).Order(), host.Email.Messages.Select(m => m.CustomerId).Order());
    }
}
