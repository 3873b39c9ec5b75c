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
    public async Task A_field_an_update_node_wrote_is_what_a_run_after_a_delay_reads_from_the_store_and_the_other_fields_stay()
    {
        // The resumed run reads the customer from the store again (its slots are not carried over the delay), so the
        // filter and the template after the delay see the update only if the store's write of the field is right.
        await using var host = await EngineHost.StartAsync(Start);
        await host.Manager.CreateAsync(JourneyBuilder.Create("rename", "rename").EnterOnEvent("rename")
            .Steps(p => p
                .UpdateCustomer("firstName", "Zoe", id: "set-name")
                .Delay(TimeSpan.FromHours(1), id: "wait")
                .Filter(f => f.When(Condition.Eq("firstName", "Zoe")).Otherwise(o => o.Exit("not-renamed", id: "not-renamed")), id: "check")
                .Send(Channel.Email, "welcome", v => v.Bind("name", "firstName", "friend"), id: "greet"))
            .Build());
        await host.Manager.ActivateAsync("rename");
        await host.Manager.PublishAsync(
        [
            new CustomerEvent("c4@example.com", "rename", [], host.Time.GetUtcNow()),
            new CustomerEvent("c5@example.com", "rename", [], host.Time.GetUtcNow()),
        ]);
        EngineHost.Eventually(() => host.Count("rename", "wait", StatisticCounter.Entered) == 2, "both updated and waiting");
        Assert.Empty(host.Email.Messages);

        host.Advance(TimeSpan.FromHours(2));
        EngineHost.Eventually(() => host.Count("rename", null, StatisticCounter.Completed) == 2, "both resumed and completed");
        // Completion is counted at the commit; the dispatcher sends the committed messages after it.
        EngineHost.Eventually(() => host.Email.Messages.Count == 2, "both greetings sent");
        Assert.Equal(["Welcome, Zoe!", "Welcome, Zoe!"], host.Email.Messages.Select(m => m.Body));
        Assert.Equal(0, host.Count("rename", "not-renamed", StatisticCounter.Entered));
        var store = host.Services.GetRequiredService<ICustomerStore>();
        var c4 = (await store.GetAsync("c4@example.com"))!;
        var c5 = (await store.GetAsync("c5@example.com"))!;
        Assert.Equal(("Zoe", true), (c4.Fields["firstName"].AsString(), c4.Fields["vip"].AsBoolean()));
        Assert.Equal(("Zoe", false), (c5.Fields["firstName"].AsString(), c5.Fields["vip"].AsBoolean()));
        Assert.Equal("Name6", (await store.GetAsync("c6@example.com"))!.Fields["firstName"].AsString());
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
