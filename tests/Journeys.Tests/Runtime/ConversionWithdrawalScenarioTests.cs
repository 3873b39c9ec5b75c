using Journeys.Building;
using Journeys.Messaging;
using Journeys.Model;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Tests.Runtime;

/// <summary>A customer who converts gets none of the journey's messages that had not gone out yet.</summary>
public sealed class ConversionWithdrawalScenarioTests
{
    [Fact]
    public async Task A_reminder_held_for_quiet_hours_is_not_sent_in_the_morning_after_the_customer_converts_at_night_and_counts_as_withdrawn()
    {
        // 23:00 in Madrid: the cart reminder and another journey's push to the same customer are held until 08:00 local.
        await using var host = await SendPolicyScenarioTests.StartAtNightInMadridAsync();
        await host.Manager.CreateAsync(JourneyBuilder.Create("cart", "Cart").EnterOnEvent("cart").ConvertOn("purchase")
            .Steps(p => p.Send(Channel.Push, "tips", id: "reminder").Delay(TimeSpan.FromDays(2), id: "later").Send(Channel.Push, "tips", id: "last"))
            .Build());
        await host.Manager.ActivateAsync("cart");
        await host.Manager.CreateAsync(JourneyBuilder.Create("other", "Other").EnterOnEvent("cart").Steps(p => p.Send(Channel.Push, "tips", id: "push")).Build());
        await host.Manager.ActivateAsync("other");
        await host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "cart", [], host.Time.GetUtcNow())]);
        var outbox = host.Services.GetRequiredService<IOutboxStore>();
        var eight = new DateTimeOffset(2026, 5, 5, 6, 0, 0, TimeSpan.Zero);
        EngineHost.Eventually(() => host.Count("cart", "later", StatisticCounter.Entered) == 1 && host.Count("other", null, StatisticCounter.Completed) == 1, "cart waits, other completed");

        // Both held in the store, not still with the dispatcher: leased here as they come back, then given back held.
        var held = new List<OutboxMessage>();
        EngineHost.Eventually(() => SendPolicyScenarioTests.HeldCount(outbox, eight, held) == 2, "the pushes held until 08:00 local");
        await outbox.CompleteAsync("test", [.. held.Select(m => new OutboxResult(m.Message.MessageId, SendResult.Transient("held"), eight, []))]);

        // 23:30: the customer buys.
        host.Advance(TimeSpan.FromMinutes(30));
        await host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "purchase", [], host.Time.GetUtcNow())]);
        EngineHost.Eventually(() => host.Count("cart", null, StatisticCounter.Converted) == 1, "the conversion");
        Assert.Equal(1, host.Count("cart", "reminder", StatisticCounter.Withdrawn));
        Assert.Equal(1, host.Count("cart", "later", StatisticCounter.Converted));

        // 08:00 local: the other journey's push goes; the reminder does not.
        host.Advance(TimeSpan.FromHours(9));
        EngineHost.Eventually(() => host.Count("other", "push", StatisticCounter.Sent) == 1, "the other journey's push");
        Assert.Equal("other", Assert.Single(host.Push.Messages).JourneyId);
        Assert.Null(await outbox.GetNextDueAsync());
        Assert.Equal((0, 0, 0), (host.Count("cart", "reminder", StatisticCounter.Sent), host.Count("cart", "reminder", StatisticCounter.Failed), host.Count("cart", "reminder", StatisticCounter.Cancelled)));
    }

    [Fact]
    public async Task A_retargeting_reminder_held_for_quiet_hours_is_not_sent_in_the_morning_after_the_customer_buys_at_night_and_the_journey_goes_on()
    {
        // 23:00 in Madrid: the welcome push, and at 23:10 the retargeting node's cart reminder, are held until 08:00 local.
        await using var host = await SendPolicyScenarioTests.StartAtNightInMadridAsync();
        await host.Manager.CreateAsync(JourneyBuilder.Create("cart", "Cart").EnterOnEvent("cart")
            .Steps(p => p
                .Send(Channel.Push, "tips", id: "welcome")
                .Retargeting("purchase", TimeSpan.FromDays(2), r => r
                    .Remind(TimeSpan.FromMinutes(10), Channel.Push, "tips")
                    .OnConverted(c => c.Delay(TimeSpan.FromDays(1), id: "later"))
                .OnExhausted(x => x.Exit("no purchase")), id: "retarget"))
            .Build());
        await host.Manager.ActivateAsync("cart");
        await host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "cart", [], host.Time.GetUtcNow())]);
        EngineHost.Eventually(() => host.Count("cart", "retarget", StatisticCounter.Entered) == 1, "the customer waits at the retargeting node");
        host.Advance(TimeSpan.FromMinutes(10));
        var outbox = host.Services.GetRequiredService<IOutboxStore>();
        var eight = new DateTimeOffset(2026, 5, 5, 6, 0, 0, TimeSpan.Zero);

        // Both held in the store, not still with the dispatcher: leased here as they come back, then given back held.
        var held = new List<OutboxMessage>();
        EngineHost.Eventually(() => SendPolicyScenarioTests.HeldCount(outbox, eight, held) == 2, "the pushes held until 08:00 local");
        await outbox.CompleteAsync("test", [.. held.Select(m => new OutboxResult(m.Message.MessageId, SendResult.Transient("held"), eight, []))]);

        // 23:30: the customer buys, the retargeting node's own conversion event: it is left by onConverted.
        host.Advance(TimeSpan.FromMinutes(20));
        await host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "purchase", [], host.Time.GetUtcNow())]);
        EngineHost.Eventually(() => host.Count("cart", "later", StatisticCounter.Entered) == 1, "the node after onConverted");
        Assert.Equal((1, 1), (host.Count("cart", "retarget", StatisticCounter.Converted), host.Count("cart", "retarget", StatisticCounter.Withdrawn)));

        // 08:00 local: the welcome push goes (an earlier node's message is not withdrawn); the reminder does not.
        host.Advance(TimeSpan.FromHours(9));
        EngineHost.Eventually(() => host.Count("cart", "welcome", StatisticCounter.Sent) == 1, "the welcome push");
        Assert.Equal("welcome", Assert.Single(host.Push.Messages).NodeId);
        Assert.Null(await outbox.GetNextDueAsync());
        Assert.Equal((0, 0, 0), (host.Count("cart", "retarget", StatisticCounter.Sent), host.Count("cart", "retarget", StatisticCounter.Failed), host.Count("cart", "retarget", StatisticCounter.Cancelled)));
        Assert.Equal(EnrollmentStatus.Waiting, Assert.Single(await host.Services.GetRequiredService<IEnrollmentStore>().GetByCustomerAsync("c1@example.com")).Status);
    }
}
