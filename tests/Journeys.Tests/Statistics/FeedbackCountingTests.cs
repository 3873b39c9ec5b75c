using Journeys.Building;
using Journeys.Runtime;
using Journeys.Statistics;
using Journeys.Storage;
using Journeys.Tests.Runtime;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Tests.Statistics;

public sealed class FeedbackCountingTests
{
    private static readonly DateTimeOffset Start = new(2026, 5, 4, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Feedback_whose_message_id_names_a_node_that_sends_nothing_counts_nowhere()
    {
        // The message id comes back from the customer's device: its node part can be altered to any node of the version.
        // A delay or a webhook node made no message the customer could click, so nothing is counted there, nor in the
        // enrollment's clicks; the real message's feedback still counts at its send node.
        await using var host = await EngineHost.StartAsync(Start);
        await host.Manager.CreateAsync(JourneyBuilder.Create("j", "J").EnterOnEvent("go")
            .Steps(p => p.Send(Channel.Push, "tips", id: "push").Delay(TimeSpan.FromDays(1), id: "wait")).Build());
        await host.Manager.ActivateAsync("j");
        await host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "go", [], host.Time.GetUtcNow())]);
        EngineHost.Eventually(() => host.Push.Messages.Count == 1, "the push");
        var messageId = host.Push.Messages.Single().MessageId;
        var altered = messageId.Replace("/push/", "/wait/", StringComparison.Ordinal);
        var now = host.Time.GetUtcNow();

        await host.Manager.PublishAsync([
            new CustomerEvent("c1@example.com", FeedbackEvents.Clicked, [], now, altered),
            new CustomerEvent("c1@example.com", FeedbackEvents.Delivered, [], now, altered),
            new CustomerEvent("c1@example.com", FeedbackEvents.Delivered, [], now, messageId),
        ]);

        var statistics = await host.Manager.GetStatisticsAsync("j");
        Assert.Equal((0, 0), (statistics.Get("wait", StatisticCounter.Clicked), statistics.Get("wait", StatisticCounter.Delivered)));
        Assert.Equal(1, statistics.Get("push", StatisticCounter.Delivered));
        using var csv = new MemoryStream();
        await host.Services.GetRequiredService<IJourneyExporter>().WriteCustomersCsvAsync("j", null, csv);
        Assert.Equal("0", System.Text.Encoding.UTF8.GetString(csv.ToArray()).Split("\r\n")[1].Split(',')[6]);
    }
}
