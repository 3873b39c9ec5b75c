using Journeys.Building;
using Journeys.Runtime;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Tests.Runtime;

public sealed class UpdateCustomerReentryScenarioTests
{
    private static readonly DateTimeOffset Start = new(2026, 5, 4, 10, 0, 0, TimeSpan.Zero);

    private static JourneyDefinition Promote(string id, bool vip) => JourneyBuilder.Create(id, id).EnterOnEvent("promote-" + id)
        .Steps(p => p.UpdateCustomer("vip", vip, id: "set-vip"))
        .Build();

    private static JourneyDefinition VipWelcome(string id) => JourneyBuilder.Create(id, id).EnterWhen(Condition.Eq("vip", true))
        .Steps(p => p.Send(Channel.Push, "vip-tips", id: "push"))
        .Build();

    [Fact]
    public async Task A_customer_whose_fields_an_update_node_changes_enters_the_active_filter_journeys_it_now_matches()
    {
        await using var host = await EngineHost.StartAsync(Start);
        await host.Manager.CreateAsync(VipWelcome("vip-welcome"));
        var (_, atActivation) = await host.Manager.ActivateAsync("vip-welcome");
        Assert.Equal(10, atActivation); // c0, c4, ..., c36
        EngineHost.Eventually(() => host.Push.Messages.Count == 10, "the VIPs' welcome");

        await host.Manager.CreateAsync(Promote("promote", vip: true));
        await host.Manager.ActivateAsync("promote");
        await host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "promote-promote", [], host.Time.GetUtcNow())]);

        EngineHost.Eventually(() => host.Push.Messages.Any(m => m.CustomerId == "c1@example.com"), "c1's VIP welcome after the update node");
        Assert.Equal(1, host.Count("promote", "set-vip", StatisticCounter.Entered));
        EngineHost.Eventually(() => host.Count("vip-welcome", null, StatisticCounter.Completed) == 11, "c1 completed the VIP journey");
        var customer = await host.Services.GetRequiredService<ICustomerStore>().GetAsync("c1@example.com");
        Assert.True(customer!.Fields["vip"].AsBoolean());

        // Updated again (still a VIP): it already went through the journey, and re-entry is never, so no second message.
        await host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "promote-promote", [], host.Time.GetUtcNow())]);
        EngineHost.Eventually(() => host.Count("promote", null, StatisticCounter.Entered) == 1, "the promote journey saw the event");
        Assert.Single(host.Push.Messages, m => m.CustomerId == "c1@example.com");
    }

    [Fact]
    public async Task An_update_that_does_not_make_the_customer_match_or_a_stopped_filter_journey_enrolls_nobody()
    {
        await using var host = await EngineHost.StartAsync(Start);
        await host.Manager.CreateAsync(VipWelcome("stopped-welcome"));
        await host.Manager.ActivateAsync("stopped-welcome");
        await host.Manager.StopAsync("stopped-welcome", drain: true);
        await host.Manager.CreateAsync(VipWelcome("vip-welcome"));
        await host.Manager.ActivateAsync("vip-welcome");
        EngineHost.Eventually(() => host.Push.Messages.Count == 20, "both journeys' activation sends");

        await host.Manager.CreateAsync(Promote("demote", vip: false));
        await host.Manager.ActivateAsync("demote");
        await host.Manager.CreateAsync(Promote("promote", vip: true));
        await host.Manager.ActivateAsync("promote");
        await host.Manager.PublishAsync(
        [
            new CustomerEvent("c2@example.com", "promote-demote", [], host.Time.GetUtcNow()),
            new CustomerEvent("c3@example.com", "promote-promote", [], host.Time.GetUtcNow()),
        ]);

        EngineHost.Eventually(() => host.Push.Messages.Any(m => m.CustomerId == "c3@example.com"), "c3's welcome");
        EngineHost.Eventually(() => host.Count("demote", null, StatisticCounter.Completed) == 1, "c2's update committed");
        Assert.DoesNotContain(host.Push.Messages, m => m.CustomerId == "c2@example.com");
        Assert.Equal(10, host.Count("stopped-welcome", null, StatisticCounter.Entered));
        Assert.Equal(11, host.Count("vip-welcome", null, StatisticCounter.Entered));
    }
}
