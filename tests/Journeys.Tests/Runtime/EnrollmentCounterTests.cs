using Journeys.Building;
using Journeys.Runtime;
using Journeys.Sendings;
using Journeys.Statistics;
using Journeys.Tests.Building;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Tests.Runtime;

/// <summary>The per-enrollment counters behind the per-customer export: messages committed (by the run) and clicks (by the store).</summary>
public sealed class EnrollmentCounterTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);

    private static Customer Ana() => new("ana@example.com", new Dictionary<string, FieldValue> { ["firstName"] = "Ana" });

    [Fact]
    public void Each_message_committed_to_the_outbox_counts_once_reminders_included()
    {
        var campaigns = CampaignCatalog.Create(new Campaign("tips", Channel.Push, "Tips"), new Campaign("r1", Channel.Push, "Still there?"), new Campaign("r2", Channel.Email, "Last chance"));
        var journey = JourneyBuilder.Create("j", "J").EnterAllCustomers()
            .Steps(p => p
                .Send(Channel.Push, "tips", id: "push")
                .Retargeting("purchase", TimeSpan.FromDays(3), r => r
                    .Remind(TimeSpan.FromHours(4), Channel.Push, "r1")
                    .Remind(TimeSpan.FromDays(1), Channel.Email, "r2")
                    .OnConverted(c => c.Exit("bought", id: "bought"))
                    .OnExhausted(x => x.Exit("gave-up", id: "gave-up")), id: "rt"))
            .Build();
        var run = new ExecutorHarness(journey, SampleJourneys.Schema, campaigns, Ana(), T0);

        run.Run(T0);
        Assert.Equal(1, run.State.MessagesSent);
        run.Run(T0.AddHours(4));
        Assert.Equal(2, run.State.MessagesSent);
        run.Run(T0.AddDays(3));
        Assert.Equal(3, run.State.MessagesSent);
        Assert.Equal(run.Outbox.Count, run.State.MessagesSent);
        Assert.Equal("gave-up", run.State.CurrentNodeId);
    }

    [Fact]
    public void A_run_leaves_the_click_counter_as_claimed_because_the_store_counts_clicks_at_publication()
    {
        // The click reached the store's counter when it was published; were the run to count it again (as it handles
        // the event), a running enrollment would show two clicks for one.
        var campaigns = CampaignCatalog.Create(new Campaign("tips", Channel.Push, "Tips"));
        var journey = JourneyBuilder.Create("j", "J").EnterAllCustomers()
            .Steps(p => p.Send(Channel.Push, "tips", id: "push")
                .WaitForEvent(FeedbackEvents.Clicked, TimeSpan.FromDays(1), w => w
                    .CorrelatedTo("push")
                    .OnEvent(c => c.Exit("clicked", id: "clicked"))
                    .OnTimeout(t => t.Exit("ignored", id: "ignored")), id: "wait"))
            .Build();
        var run = new ExecutorHarness(journey, SampleJourneys.Schema, campaigns, Ana(), T0);
        run.Run(T0);
        var own = run.Outbox.Single().Message.MessageId;

        run.Publish(FeedbackEvents.Clicked, T0.AddHours(1), own);
        run.Run(T0.AddHours(1));

        Assert.Equal((EnrollmentStatus.Exited, "clicked"), (run.State.Status, run.State.CurrentNodeId));
        Assert.Equal(0, run.State.Clicks);
    }

    [Fact]
    public void AddJourneys_registers_the_sending_manager_and_the_exporter_once()
    {
        var services = new ServiceCollection();
        services.AddJourneys();
        services.AddJourneys();
        using var provider = services.BuildServiceProvider();

        Assert.Same(provider.GetRequiredService<ISendingManager>(), provider.GetRequiredService<ISendingManager>());
        Assert.Single(provider.GetServices<ISendingManager>());
        Assert.Single(provider.GetServices<IJourneyExporter>());
    }
}
