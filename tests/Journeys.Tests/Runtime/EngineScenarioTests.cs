using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Tests.Building;
using Journeys.Validation;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Tests.Runtime;

/// <summary>Whole journeys through the hosted engine on the in-memory store, driven by a fake clock.</summary>
public sealed class EngineScenarioTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);
    private EngineHost _host = null!;

    private IJourneyManager Manager => _host.Manager;

    private FakeTimeProvider Clock => _host.Time;

    private RecordingChannelSender PushSender => _host.Push;

    private RecordingChannelSender EmailSender => _host.Email;

    public async Task InitializeAsync() => _host = await EngineHost.StartAsync(T0);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    internal static JourneyDefinition Welcome() => JourneyBuilder.Create("welcome", "Welcome")
        .EnterOnEvent("signed_up")
        .ConvertOn("purchase")
        .Steps(p => p
            .Send(Channel.Email, "welcome", v => v.Bind("name", "firstName", "there"), id: "welcome-email")
            .Delay(TimeSpan.FromDays(1), id: "one-day")
            .Filter(f => f
                .When(Condition.Eq("vip", true), vip => vip.Send(Channel.Push, "vip-tips", id: "vip-push"))
                .Otherwise(o => o.Send(Channel.Push, "tips", id: "tips-push")), id: "is-vip")
            .WaitForEvent(FeedbackEvents.Clicked, TimeSpan.FromDays(2), w => w
                .OnEvent(c => c.Exit("clicked", id: "clicked"))
                .OnTimeout(t => t.Exit("ignored", id: "ignored")), id: "wait-click"))
        .Build();

    private static void Eventually(Func<bool> condition, string what) => EngineHost.Eventually(condition, what);

    private long Count(string? nodeId, StatisticCounter counter) => _host.Count("welcome", nodeId, counter);

    private void Advance(TimeSpan by) => _host.Advance(by);

    [Fact]
    public async Task Customers_who_sign_up_flow_through_sends_delays_filters_and_waits()
    {
        await Manager.CreateAsync(Welcome());
        var (active, enrolled) = await Manager.ActivateAsync("welcome");
        Assert.Equal((JourneyStatus.Active, 0), (active.Journey.Status, enrolled));

        await Manager.PublishAsync([.. Enumerable.Range(0, 40).Select(i => new CustomerEvent($"c{i}@example.com", "signed_up", [], T0))]);
        Eventually(() => EmailSender.Messages.Count == 40, "40 welcome e-mails");
        Assert.Contains(EmailSender.Messages, m => m.Body == "Welcome, Name7!");
        Assert.Empty(PushSender.Messages);

        // Their results recorded too: a conversion withdraws the enrollment's messages still in the outbox, so a welcome
        // e-mail whose result was not yet recorded when its customer bought would count as withdrawn, not sent.
        Eventually(() => Count("welcome-email", StatisticCounter.Sent) == 40, "40 welcome e-mails counted as sent");

        // Ten of them buy before the day is over: converted, they get no push.
        await Manager.PublishAsync([.. Enumerable.Range(0, 10).Select(i => new CustomerEvent($"c{i}@example.com", "purchase", [], T0.AddHours(2)))]);
        Eventually(() => Count(null, StatisticCounter.Converted) == 10, "10 conversions");

        Advance(TimeSpan.FromDays(1));
        Eventually(() => PushSender.Messages.Count == 30, "30 pushes after the delay");
        Assert.Equal(7, PushSender.Messages.Count(m => m.CampaignId == "vip-tips")); // c12, c16, ... c36
        Eventually(() => Count("tips-push", StatisticCounter.Sent) == 23, "sent counted");

        // Five customers click their push: the click counts at the node that sent it, and their wait ends.
        var clicks = Enumerable.Range(10, 5)
            .Select(i => PushSender.Messages.Single(m => m.CustomerId == $"c{i}@example.com"))
            .Select(m => new CustomerEvent(m.CustomerId, FeedbackEvents.Clicked, [], Clock.GetUtcNow(), m.MessageId))
            .ToList();
        await Manager.PublishAsync(clicks);
        Eventually(() => Count("clicked", StatisticCounter.Exited) == 5, "5 clicked exits");
        var afterClicks = await Manager.GetStatisticsAsync("welcome");
        Assert.Equal(5, afterClicks.Get("tips-push", StatisticCounter.Clicked) + afterClicks.Get("vip-push", StatisticCounter.Clicked));

        Advance(TimeSpan.FromDays(2));
        Eventually(() => Count("ignored", StatisticCounter.Exited) == 25, "25 timeouts");

        var statistics = await Manager.GetStatisticsAsync("welcome");
        Assert.Equal(40, statistics.Get(StatisticCounter.Entered));
        Assert.Equal(40, statistics.Get("welcome-email", StatisticCounter.Sent));
        Assert.Equal(afterClicks.Get("tips-push", StatisticCounter.Clicked) / 23d, statistics.ClickRate("tips-push"));
        Assert.Equal(30, statistics.Get("wait-click", StatisticCounter.Entered));
        Assert.Equal(30, statistics.Get(StatisticCounter.Exited));
    }

    [Fact]
    public async Task An_invalid_journey_is_not_activated_and_the_error_lists_its_problems()
    {
        var broken = JourneyBuilder.Create("welcome", "Welcome").EnterAllCustomers()
            .Steps(p => p.Send(Channel.Push, "no-such-campaign")).Build();
        await Manager.CreateAsync(broken);

        var ex = await Assert.ThrowsAsync<JourneyValidationException>(async () => await Manager.ActivateAsync("welcome"));
        Assert.Contains(ex.Diagnostics, d => d.Code == DiagnosticCodes.UnknownCampaign);
        Assert.Equal(JourneyStatus.Draft, (await Manager.GetAsync("welcome"))!.Journey.Status);
    }

    [Fact]
    public async Task Stopping_cancels_waiting_enrollments_and_ends_intake()
    {
        await Manager.CreateAsync(Welcome());
        await Manager.ActivateAsync("welcome");
        await Manager.PublishAsync([new CustomerEvent("c1@example.com", "signed_up", [], T0)]);
        Eventually(() => EmailSender.Messages.Count == 1, "welcome e-mail");

        var (_, cancelled) = await Manager.StopAsync("welcome");
        Assert.Equal(1, cancelled);

        await Manager.PublishAsync([new CustomerEvent("c2@example.com", "signed_up", [], T0)]);
        Advance(TimeSpan.FromDays(1));
        Assert.Equal(0, (await Manager.GetStatisticsAsync("welcome")).Get("is-vip", StatisticCounter.Entered));
        Assert.Single(EmailSender.Messages);
    }

    [Fact]
    public async Task Updating_an_active_journey_makes_a_new_version_and_running_enrollments_finish_the_old_one()
    {
        await Manager.CreateAsync(Welcome());
        await Manager.ActivateAsync("welcome");
        await Manager.PublishAsync([new CustomerEvent("c1@example.com", "signed_up", [], T0)]);
        Eventually(() => EmailSender.Messages.Count == 1, "welcome e-mail of version 1");

        // Version 2 sends the same push to everyone after the day.
        var v2 = JourneyBuilder.Create("welcome", "Welcome v2").EnterOnEvent("signed_up")
            .Steps(p => p.Send(Channel.Email, "welcome", v => v.Bind("name", "firstName", "there"), id: "welcome-email")
                .Delay(TimeSpan.FromDays(1), id: "one-day")
                .Send(Channel.Push, "tips", id: "everyone-push"))
            .Build();
        var draft = await Manager.UpdateAsync(v2, null);
        Assert.Equal((2, JourneyStatus.Draft), (draft.Journey.Version, draft.Journey.Status));
        await Manager.ActivateAsync("welcome");

        await Manager.PublishAsync([new CustomerEvent("c4@example.com", "signed_up", [], T0)]);
        Eventually(() => EmailSender.Messages.Count == 2, "welcome e-mail of version 2");

        Advance(TimeSpan.FromDays(1));
        Eventually(() => PushSender.Messages.Count == 2, "both pushes");
        Assert.Equal("tips", PushSender.Messages.Single(m => m.CustomerId == "c1@example.com").CampaignId); // v1: c1 is not VIP
        Assert.Equal("everyone-push", PushSender.Messages.Single(m => m.CustomerId == "c4@example.com").NodeId); // v2, though c4 is VIP
        Assert.Equal(1, (await Manager.GetStatisticsAsync("welcome", 1)).Get(StatisticCounter.Entered));
        Assert.Equal(1, (await Manager.GetStatisticsAsync("welcome", 2)).Get(StatisticCounter.Entered));
    }

    [Fact]
    public async Task Statistics_can_be_watched_live()
    {
        await Manager.CreateAsync(Welcome());
        await Manager.ActivateAsync("welcome");
        using var cts = new CancellationTokenSource();
        var snapshots = new List<JourneyStatistics>();
        var watch = Task.Run(async () =>
        {
            await foreach (var snapshot in Manager.WatchStatisticsAsync("welcome", TimeSpan.FromMinutes(1), cts.Token))
            {
                snapshots.Add(snapshot);
                if (snapshots.Count == 2)
                {
                    break;
                }
            }
        });

        Eventually(() => snapshots.Count == 1, "first snapshot");
        await Manager.PublishAsync([new CustomerEvent("c1@example.com", "signed_up", [], T0)]);
        Eventually(() => EmailSender.Messages.Count == 1 && Count(null, StatisticCounter.Entered) == 1, "one entry");
        Clock.Advance(TimeSpan.FromMinutes(1));
        await watch;

        Assert.Equal(0, snapshots[0].Get(StatisticCounter.Entered));
        Assert.Equal(1, snapshots[1].Get(StatisticCounter.Entered));
    }

    [Fact]
    public async Task A_webhook_call_goes_through_the_outbox_and_its_result_event_routes_the_customer()
    {
        // No ConfigureWebhooks: the dispatcher fails the call for good, publishes the result, and the customer takes onFailure.
        var journey = JourneyBuilder.Create("hooked", "Hooked").EnterOnEvent("go")
            .Steps(p => p.Webhook("https://crm.example.com/hook", h => h
                .Fields("email")
                .OnSuccess(s => s.Exit("ok", id: "ok"))
                .OnFailure(f => f.Exit("ko", id: "ko")), id: "hook"))
            .Build();
        await Manager.CreateAsync(journey);
        await Manager.ActivateAsync("hooked");

        await Manager.PublishAsync([new CustomerEvent("c1@example.com", "go", [], T0)]);

        Eventually(() => _host.Count("hooked", "ko", StatisticCounter.Exited) == 1, "the failure path");
        Assert.Equal(1, _host.Count("hooked", "hook", StatisticCounter.Failed));
        Assert.Equal(0, _host.Count("hooked", "ok", StatisticCounter.Entered));
    }

    [Fact]
    public async Task Filter_audiences_enroll_who_matches_at_activation_and_who_comes_to_match_later()
    {
        var journey = JourneyBuilder.Create("vips", "VIPs").EnterWhen(Condition.Eq("vip", true))
            .Steps(p => p.Send(Channel.Push, "vip-tips", id: "vip-push"))
            .Build();
        await Manager.CreateAsync(journey);

        var (_, atActivation) = await Manager.ActivateAsync("vips");
        Assert.Equal(10, atActivation); // c0, c4, ..., c36
        Eventually(() => PushSender.Messages.Count == 10, "10 VIP pushes");

        var promoted = new Customer("c1@example.com", new Dictionary<string, FieldValue> { ["firstName"] = "Name1", ["vip"] = true });
        var stillNot = new Customer("c2@example.com", new Dictionary<string, FieldValue> { ["firstName"] = "Name2", ["vip"] = false });
        var newcomer = new Customer("new@example.com", new Dictionary<string, FieldValue> { ["vip"] = true });
        var (upserted, enrolled) = await Manager.PutCustomersAsync([promoted, stillNot, newcomer]);

        Assert.Equal((1, 2, 2), (upserted.Created, upserted.Updated, enrolled));
        Eventually(() => PushSender.Messages.Count == 12, "2 more pushes");

        // Putting them again enrolls no one twice (re-entry: never).
        Assert.Equal(0, (await Manager.PutCustomersAsync([promoted])).Enrolled);
    }

    [Fact]
    public async Task The_event_that_enrolls_a_customer_is_not_replayed_to_the_new_enrollment()
    {
        // A post-purchase journey waits for a second purchase: the first one, which enrolled the customer, must not count.
        var journey = JourneyBuilder.Create("repeat", "Repeat buyers").EnterOnEvent("purchase")
            .Steps(p => p.WaitForEvent("purchase", TimeSpan.FromDays(7), w => w
                .OnEvent(e => e.Exit("repeat", id: "repeat"))
                .OnTimeout(t => t.Exit("once", id: "once")), id: "wait-second"))
            .Build();
        await Manager.CreateAsync(journey);
        await Manager.ActivateAsync("repeat");

        await Manager.PublishAsync([new CustomerEvent("c1@example.com", "purchase", [], T0)]);
        Eventually(() => _host.Count("repeat", "wait-second", StatisticCounter.Entered) == 1, "waiting for a second purchase");
        Assert.Equal(0, _host.Count("repeat", "repeat", StatisticCounter.Entered));

        await Manager.PublishAsync([new CustomerEvent("c1@example.com", "purchase", [], T0.AddDays(1))]);
        Eventually(() => _host.Count("repeat", "repeat", StatisticCounter.Exited) == 1, "the second purchase");
    }
}
