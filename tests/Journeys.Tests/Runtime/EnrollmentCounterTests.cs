using Journeys.Building;
using Journeys.Runtime;
using Journeys.Sendings;
using Journeys.Statistics;
using Journeys.Tests.Building;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Tests.Runtime;

/// <summary>The per-enrollment counters behind the per-customer export: messages committed and own clicks seen.</summary>
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
    public void Only_click_feedback_on_the_enrollments_own_messages_counts_as_its_click()
    {
        var campaigns = CampaignCatalog.Create(new Campaign("tips", Channel.Push, "Tips"));
        var journey = JourneyBuilder.Create("j", "J").EnterAllCustomers()
            .Steps(p => p.Send(Channel.Push, "tips", id: "push").Delay(TimeSpan.FromDays(1), id: "day"))
            .Build();
        var run = new ExecutorHarness(journey, SampleJourneys.Schema, campaigns, Ana(), T0);
        run.Run(T0);
        var own = run.Outbox.Single().Message.MessageId;

        run.Publish(FeedbackEvents.Clicked, T0.AddHours(1), own);
        run.Publish(FeedbackEvents.Clicked, T0.AddHours(2), StepExecutor.MessageId(Guid.Parse("00000000-0000-0000-0000-0000000000ff"), "push", 1));
        run.Publish(FeedbackEvents.Clicked, T0.AddHours(3));
        run.Publish(FeedbackEvents.Opened, T0.AddHours(4), own);
        run.Publish(FeedbackEvents.Clicked, T0.AddHours(5), "not-a-message-id");
        run.Run(T0.AddDays(1));

        Assert.Equal(1, run.State.Clicks);
        Assert.Equal(EnrollmentStatus.Completed, run.State.Status);
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
