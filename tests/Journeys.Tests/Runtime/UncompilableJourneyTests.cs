using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Journeys.Tests.Building;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Tests.Runtime;

/// <summary>
/// One active journey that no longer compiles on this host (a campaign it sends was taken out of the configuration
/// before a restart) must not stop every other journey's entries: events, puts and filter re-checks skip it.
/// </summary>
public sealed class UncompilableJourneyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(T0);
    private readonly InMemoryCustomerStore _customers = new();
    private readonly InMemoryJourneyStore _journeys;
    private readonly InMemoryEngineStore _store;
    private readonly RecordingChannelSender _push = new();

    public UncompilableJourneyTests()
    {
        _journeys = new InMemoryJourneyStore(_time);
        _store = new InMemoryEngineStore(_customers);
    }

    private ServiceProvider Host(params Campaign[] campaigns) => Host(null, campaigns);

    private ServiceProvider Host(ListLoggerProvider? logs, params Campaign[] campaigns)
    {
        var services = new ServiceCollection();
        if (logs is not null)
        {
            services.AddLogging(b => b.AddProvider(logs));
        }

        services.AddSingleton<TimeProvider>(_time);
        services.AddSingleton<ICustomerStore>(_customers);
        services.AddSingleton<IJourneyStore>(_journeys);
        services.AddSingleton<IEnrollmentStore>(_store);
        services.AddSingleton<IOutboxStore>(_store);
        services.AddSingleton<IStatisticsStore>(_store);
        services.AddJourneys(j => j.AddSender(Channel.Push, _push).AddCampaigns(campaigns).Configure(o =>
        {
            o.ShardCount = 1;
            o.DefaultChannelPolicy.Timeout = TimeSpan.FromHours(24);
        }));
        return services.BuildServiceProvider();
    }

    private static JourneyDefinition Sends(string id, JourneyEntry entry, string campaign) => JourneyBuilder.Create(id, id)
        .EnterOnEvent("placeholder")
        .Steps(p => p.Send(Channel.Push, campaign, id: "send"))
        .Build() with { Entry = entry };

    [Fact]
    public async Task Events_and_puts_still_enter_the_other_journeys_when_one_lost_its_campaign_at_a_restart()
    {
        await _customers.SaveSchemaAsync(SampleJourneys.Schema);
        await using (var first = Host(new Campaign("old", Channel.Push, "Old"), new Campaign("new", Channel.Push, "New")))
        {
            var manager = first.GetRequiredService<IJourneyManager>();
            foreach (var journey in new[]
            {
                Sends("old-event", new EventEntry("signed_up"), "old"),
                Sends("new-event", new EventEntry("signed_up"), "new"),
                Sends("old-vip", new FilterEntry(Condition.Eq("vip", true)), "old"),
                Sends("new-vip", new FilterEntry(Condition.Eq("vip", true)), "new"),
            })
            {
                await manager.CreateAsync(journey);
                await manager.ActivateAsync(journey.Id);
            }
        }

        // Restarted without the "old" campaign.
        await using var second = Host(new Campaign("new", Channel.Push, "New"));
        await using var running = await EngineHost.RunHostedAsync(second);
        var restarted = second.GetRequiredService<IJourneyManager>();

        await restarted.PublishAsync([new CustomerEvent("c1@example.com", "signed_up", [], T0)]);
        await restarted.PutCustomersAsync([new Customer("c2@example.com", new Dictionary<string, FieldValue> { ["vip"] = true })]);

        EngineHost.Eventually(() => _push.Messages.Count == 2, () => $"{_push.Messages.Count} pushes");
        Assert.Equal(
            [("c1@example.com", "new"), ("c2@example.com", "new")],
            _push.Messages.Select(m => (m.CustomerId, m.CampaignId)).Order());

        // The journey that cannot run says why when asked for.
        var refused = await Assert.ThrowsAsync<Journeys.Validation.JourneyValidationException>(() => restarted.EnrollAsync("old-event", ["c3@example.com"]).AsTask());
        Assert.Contains(refused.Diagnostics, d => d.NodeId == "send" && d.Message.Contains("'old'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_journey_that_does_not_compile_is_logged_once_and_again_after_a_new_draft_of_it_is_saved()
    {
        await _customers.SaveSchemaAsync(SampleJourneys.Schema);
        await using (var first = Host(new Campaign("old", Channel.Push, "Old")))
        {
            var manager = first.GetRequiredService<IJourneyManager>();
            await manager.CreateAsync(Sends("old-event", new EventEntry("signed_up"), "old"));
            await manager.ActivateAsync("old-event");

            // Drafts and stopped journeys beside it: an entry looks at every stored journey.
            await manager.CreateAsync(Sends("draft", new EventEntry("signed_up"), "old"));
            await manager.CreateAsync(Sends("stopped", new EventEntry("signed_up"), "old"));
            await manager.ActivateAsync("stopped");
            await manager.StopAsync("stopped");
        }

        var logs = new ListLoggerProvider();
        await using var second = Host(logs, new Campaign("new", Channel.Push, "New"));
        var restarted = second.GetRequiredService<IJourneyManager>();
        int Logged() => logs.Entries.Count(e => e.EventId.Id == 31);

        for (var i = 0; i < 3; i++)
        {
            await restarted.PublishAsync([new CustomerEvent($"c{i}@example.com", "signed_up", [], T0)]);
        }

        Assert.Equal(1, Logged());
        Assert.Contains("old-event", logs.Entries.Single(e => e.EventId.Id == 31).Message, StringComparison.Ordinal);

        // A new draft of it (the active version still takes entries, and still does not compile): said again, once.
        var active = (await restarted.GetAsync("old-event"))!;
        await restarted.UpdateAsync(active.Journey with { Name = "Renamed" }, active.ETag);
        await restarted.PublishAsync([new CustomerEvent("c3@example.com", "signed_up", [], T0)]);
        await restarted.PublishAsync([new CustomerEvent("c4@example.com", "signed_up", [], T0)]);

        Assert.Equal(2, Logged());
        Assert.Empty(_push.Messages);
    }
}
