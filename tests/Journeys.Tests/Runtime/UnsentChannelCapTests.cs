using Journeys.Building;
using Microsoft.Extensions.DependencyInjection;
using Journeys.Runtime;
using Journeys.Storage;

namespace Journeys.Tests.Runtime;

/// <summary>A message on a channel with no sender is never attempted: it must not use one of the customer's frequency-cap places.</summary>
public sealed class UnsentChannelCapTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_message_on_a_channel_without_a_sender_fails_without_taking_a_frequency_cap_place()
    {
        await using var host = await EngineHost.StartAsync(
            T0,
            o => o.SendPolicy.FrequencyCap = 1,
            extend: j => j.AddCampaigns(new Campaign("sms-hello", Channel.Sms, "Hello")));
        await host.Manager.CreateAsync(JourneyBuilder.Create("two", "Two")
            .EnterFromList(["c1@example.com"])
            .Steps(p => p
                .Send(Channel.Sms, "sms-hello", id: "sms")
                .Send(Channel.Push, "tips", id: "push"))
            .Build());
        await host.Manager.ActivateAsync("two");

        EngineHost.Eventually(() => host.Count("two", "sms", StatisticCounter.Failed) == 1, "the SMS to fail: no sender");
        EngineHost.Eventually(
            () => host.Count("two", "push", StatisticCounter.Sent) + host.Count("two", "push", StatisticCounter.Capped) == 1,
            "the push to be settled");
        Assert.Equal(0, host.Count("two", "push", StatisticCounter.Capped));
        Assert.Single(host.Push.Messages);
    }
}
