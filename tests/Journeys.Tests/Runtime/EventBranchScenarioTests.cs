using System.Collections.Immutable;
using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Serialization.StateDocuments;
using Journeys.Storage;
using Journeys.Tests.Building;
using Journeys.Validation;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Tests.Runtime;

/// <summary>A click wait whose links lead to different nodes (event branches), through the hosted engine on a fake clock.</summary>
public sealed class EventBranchScenarioTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);
    private EngineHost _host = null!;

    private IJourneyManager Manager => _host.Manager;

    public async Task InitializeAsync() => _host = await EngineHost.StartAsync(T0);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    internal static JourneyDefinition Links() => new(
        "links",
        "Links",
        1,
        JourneyStatus.Draft,
        new EventEntry("signed_up"),
        new EntryRules(),
        ExitRules.None,
        [
            new WaitForEventNode(
                "wait-click",
                FeedbackEvents.Clicked,
                TimeSpan.FromDays(1),
                null,
                "ignored",
                Branches: [new EventBranch(Condition.Contains("url", "/offer"), "offer"), new EventBranch(Condition.Contains("url", "/shop"), "shop")]),
            new ExitNode("offer", "offer"),
            new ExitNode("shop", "shop"),
            new ExitNode("ignored", "ignored"),
        ],
        "wait-click");

    private static CustomerEvent Click(string customerId, string url, DateTimeOffset at) =>
        new(customerId, FeedbackEvents.Clicked, ImmutableDictionary<string, FieldValue>.Empty.Add("url", url), at);

    private long Count(string journeyId, string nodeId, StatisticCounter counter) => _host.Count(journeyId, nodeId, counter);

    [Fact]
    public async Task Clicks_on_different_links_take_different_branches_and_other_urls_keep_waiting()
    {
        await Manager.CreateAsync(Links());
        await Manager.ActivateAsync("links");
        await Manager.PublishAsync([.. Enumerable.Range(0, 4).Select(i => new CustomerEvent($"c{i}@example.com", "signed_up", [], T0))]);
        EngineHost.Eventually(() => Count("links", "wait-click", StatisticCounter.Entered) == 4, "4 waiting");

        var at = T0.AddHours(1);
        await Manager.PublishAsync([
            Click("c0@example.com", "https://example.com/offer?x=1", at),
            Click("c1@example.com", "https://example.com/shop", at),
            Click("c2@example.com", "https://example.com/elsewhere", at), // matches no link: keeps waiting
            Click("c3@example.com", "https://example.com/shop/offer", at), // both links match: the first branch wins
        ]);
        EngineHost.Eventually(() => Count("links", "offer", StatisticCounter.Exited) == 2, "2 offer exits");
        EngineHost.Eventually(() => Count("links", "shop", StatisticCounter.Exited) == 1, "1 shop exit");

        Assert.Equal(0, Count("links", "ignored", StatisticCounter.Entered)); // c2 is still waiting

        _host.Advance(TimeSpan.FromDays(1));
        EngineHost.Eventually(() => Count("links", "ignored", StatisticCounter.Exited) == 1, "1 timeout");
        var statistics = await Manager.GetStatisticsAsync("links");
        Assert.Equal((2, 1, 1), (statistics.Get("offer", StatisticCounter.Entered), statistics.Get("shop", StatisticCounter.Entered), statistics.Get("ignored", StatisticCounter.Entered)));
    }

    [Fact]
    public void A_branch_to_a_missing_node_does_not_validate_naming_the_branch()
    {
        var journey = Links();
        var wait = (WaitForEventNode)journey.Nodes[0];
        var broken = journey with
        {
            Nodes = journey.Nodes.AsImmutableArray().SetItem(0, wait with { Branches = [wait.Branches[0], wait.Branches[1] with { Target = "nowhere" }] }),
        };

        var result = JourneyValidator.Validate(broken, SampleJourneys.Schema, CampaignCatalog.Empty);

        var error = Assert.Single(result.Diagnostics, d => d.Code == DiagnosticCodes.DanglingEdge);
        Assert.Equal("wait-click", error.NodeId);
        Assert.Equal("nodes[wait-click].branches[1]", error.Path);
        Assert.Contains("nowhere", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_builder_adds_event_branches_in_order_and_refuses_mixing_them_with_on_event()
    {
        var built = JourneyBuilder.Create("links", "Links")
            .EnterOnEvent("signed_up")
            .Steps(p => p.WaitForEvent(FeedbackEvents.Clicked, TimeSpan.FromDays(1), w => w
                .When(Condition.Contains("url", "/offer"), b => b.Exit("offer", id: "offer"))
                .When(Condition.Contains("url", "/shop"), b => b.Exit("shop", id: "shop"))
                .OnTimeout(t => t.Exit("ignored", id: "ignored")), id: "wait-click"))
            .Build();

        Assert.Equal(Links().FindNode("wait-click"), built.FindNode("wait-click"));
        Assert.Throws<InvalidOperationException>(() => JourneyBuilder.Create("x", "X").EnterOnEvent("signed_up")
            .Steps(p => p.WaitForEvent(FeedbackEvents.Clicked, TimeSpan.FromDays(1), w => w
                .When(Condition.Contains("url", "/offer"))
                .OnEvent(b => b.Exit("clicked")))));
    }

    [Fact]
    public void Branches_next_to_an_on_event_target_do_not_validate()
    {
        var journey = Links();
        var wait = (WaitForEventNode)journey.Nodes[0];
        var both = journey with { Nodes = journey.Nodes.AsImmutableArray().SetItem(0, wait with { OnEvent = "shop" }) };

        var result = JourneyValidator.Validate(both, SampleJourneys.Schema, CampaignCatalog.Empty);

        Assert.Contains(result.Diagnostics, d => d.Code == DiagnosticCodes.BranchesWithOnEvent && d.NodeId == "wait-click");
        Assert.False(result.IsValid);
    }

    [Fact]
    public async Task A_multi_destination_sms_state_document_imports_and_runs()
    {
        var journey = JourneyStateDocument.Read("""
            {
              "id": "sms-links",
              "name": "SMS links",
              "states": [
                { "id": "entry", "type": "IN_CUSTOM_EVENT", "params": { "eventName": "signed_up", "forward": "sms-click" } },
                { "id": "sms-click", "type": "FLOW_SMS", "params": {
                  "click": [
                    { "url": "/tips", "urlMatchMode": "CONTAINS", "forward": "tips" },
                    { "url": "/vip", "urlMatchMode": "CONTAINS", "forward": "vip" }
                  ],
                  "timeout": { "time": "P1D", "forward": "tips" } } },
                { "id": "tips", "type": "ACTION_PUSH_SEND", "params": { "action": { "campaignId": "tips" }, "forward": null } },
                { "id": "vip", "type": "ACTION_PUSH_SEND", "params": { "action": { "campaignId": "vip-tips" }, "forward": null } }
              ]
            }
            """);
        var wait = Assert.IsType<WaitForEventNode>(journey.FindNode("sms-click"));
        Assert.Equal(["tips", "vip"], wait.Branches.Select(b => b.Target));

        await Manager.CreateAsync(journey);
        await Manager.ActivateAsync("sms-links");
        await Manager.PublishAsync([.. Enumerable.Range(0, 3).Select(i => new CustomerEvent($"c{i}@example.com", "signed_up", [], T0))]);
        EngineHost.Eventually(() => Count("sms-links", "sms-click", StatisticCounter.Entered) == 3, "3 waiting");

        var at = T0.AddHours(1);
        await Manager.PublishAsync([
            Click("c0@example.com", "https://example.com/vip", at),
            Click("c1@example.com", "https://example.com/tips", at),
            Click("c2@example.com", "https://example.com/other", at),
        ]);
        EngineHost.Eventually(() => _host.Push.Messages.Count == 2, "2 pushes");
        Assert.Equal("vip-tips", _host.Push.Messages.Single(m => m.CustomerId == "c0@example.com").CampaignId);
        Assert.Equal("tips", _host.Push.Messages.Single(m => m.CustomerId == "c1@example.com").CampaignId);

        EngineHost.Eventually(() => _host.Count("sms-links", null, StatisticCounter.Completed) == 2, "2 completed after their push");

        Assert.Equal(1, Count("sms-links", "sms-click", StatisticCounter.Entered) - Count("sms-links", "tips", StatisticCounter.Entered) - Count("sms-links", "vip", StatisticCounter.Entered));

        // c2 clicked no link of the state: it waited until the timeout, which forwards to the tips push.
        _host.Advance(TimeSpan.FromDays(1));
        EngineHost.Eventually(() => _host.Count("sms-links", null, StatisticCounter.Completed) == 3, "c2 completed after the timeout");
        // The enrollment completes at the commit that queues its push; the dispatcher sends it after that commit.
        EngineHost.Eventually(
            () => _host.Push.Messages.Count == 3,
            () => $"c2's push sent (pushes recorded {_host.Push.Messages.Count}, tips sent {Count("sms-links", "tips", StatisticCounter.Sent)}, "
                + $"clock {_host.Time.GetUtcNow():O}, next outbox due {_host.Services.GetRequiredService<IOutboxStore>().GetNextDueAsync().AsTask().GetAwaiter().GetResult():O}, "
                + $"c2 {string.Join("; ", _host.Services.GetRequiredService<IEnrollmentStore>().GetByCustomerAsync("c2@example.com").AsTask().GetAwaiter().GetResult().Select(e => $"{e.Status} at {e.CurrentNodeId}"))})");
        Assert.Equal("tips", _host.Push.Messages.Single(m => m.CustomerId == "c2@example.com").CampaignId);
        Assert.Equal(3, _host.Push.Messages.Count);
    }
}
