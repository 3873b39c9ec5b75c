using System.Text;
using Journeys.Building;
using Journeys.Runtime;
using Journeys.Sendings;
using Journeys.Statistics;
using Journeys.Storage;
using Journeys.Tests.Runtime;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Tests.Statistics;

public sealed class JourneyExportTests
{
    private static readonly DateTimeOffset Start = new(2026, 5, 4, 10, 0, 0, TimeSpan.Zero);
    private const string Header = "customerId,version,nodeReached,status,endReason,sent,clicked,converted,enteredAt,updatedAt,endedAt";

    private static async Task<(string Csv, long Rows)> ExportAsync(IServiceProvider services, string journeyId, int? version = null)
    {
        using var stream = new MemoryStream();
        var rows = await services.GetRequiredService<IJourneyExporter>().WriteCustomersCsvAsync(journeyId, version, stream);
        return (Encoding.UTF8.GetString(stream.ToArray()), rows);
    }

    private static string[] Lines(string csv) => csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task Each_enrollment_is_a_row_with_its_node_status_messages_clicks_conversion_and_times()
    {
        await using var host = await EngineHost.StartAsync(Start);
        await host.Manager.CreateAsync(JourneyBuilder.Create("welcome", "Welcome").EnterOnEvent("go").ConvertOn("purchase")
            .Steps(p => p
                .Send(Channel.Push, "tips", id: "push")
                .WaitForEvent(FeedbackEvents.Clicked, TimeSpan.FromDays(2), w => w
                    .CorrelatedTo("push")
                    .OnEvent(c => c.Delay(TimeSpan.FromDays(1), id: "after-click"))
                    .OnTimeout(t => t.Exit("ignored", id: "ignored")), id: "wait-click"))
            .Build());
        await host.Manager.ActivateAsync("welcome");
        var now = host.Time.GetUtcNow();
        await host.Manager.PublishAsync([
            new CustomerEvent("c1@example.com", "go", [], now),
            new CustomerEvent("c2@example.com", "go", [], now),
            new CustomerEvent("c3@example.com", "go", [], now),
        ]);
        EngineHost.Eventually(() => host.Push.Messages.Count == 3, "three pushes");
        EngineHost.Eventually(() => host.Count("welcome", "wait-click", StatisticCounter.Entered) == 3, "three waiting");

        // c1 clicks (and then waits a day), c2 buys, c3 does nothing.
        host.Time.Advance(TimeSpan.FromMinutes(5));
        var c1Message = host.Push.Messages.Single(m => m.CustomerId == "c1@example.com");
        await host.Manager.PublishAsync([
            new CustomerEvent("c1@example.com", FeedbackEvents.Clicked, [], host.Time.GetUtcNow(), c1Message.MessageId),
            new CustomerEvent("c2@example.com", "purchase", [], host.Time.GetUtcNow()),
        ]);
        EngineHost.Eventually(() => host.Count("welcome", "after-click", StatisticCounter.Entered) == 1, "c1 clicked");
        EngineHost.Eventually(() => host.Count("welcome", null, StatisticCounter.Converted) == 1, "c2 converted");

        var (csv, rows) = await ExportAsync(host.Services, "welcome");
        var lines = Lines(csv);
        Assert.Equal(3, rows);
        Assert.Equal(Header, lines[0]);
        var entered = "2026-05-04T10:00:00.0000000+00:00";
        var later = "2026-05-04T10:05:00.0000000+00:00";
        Assert.Equal($"c1@example.com,1,after-click,waiting,,1,1,false,{entered},{later},", lines[1]);
        Assert.Equal($"c2@example.com,1,wait-click,converted,goal:purchase,1,0,true,{entered},{later},{later}", lines[2]);
        Assert.Equal($"c3@example.com,1,wait-click,waiting,,1,0,false,{entered},{entered},", lines[3]);
    }

    [Fact]
    public async Task A_sending_whose_customers_click_after_their_enrollments_completed_exports_their_clicks()
    {
        await using var host = await EngineHost.StartAsync(Start);
        await host.Sendings.SendToListAsync(new SendingRequest("tips") { SendingId = "s" }, new[] { "c1@example.com", "c2@example.com", "c3@example.com" }.ToAsyncEnumerable());
        EngineHost.Eventually(() => host.Sendings.GetAsync("s").AsTask().GetAwaiter().GetResult()?.State == SendingState.Completed, "sending completed");
        var journeyId = SendingJourneys.JourneyIdOf("s");
        Assert.Equal(3, host.Count(journeyId, null, StatisticCounter.Completed));

        // The enrollments ended when their messages were committed; c1 and c3 click afterwards, c2 never does.
        host.Time.Advance(TimeSpan.FromMinutes(5));
        var clicks = host.Push.Messages.Where(m => m.CustomerId != "c2@example.com")
            .Select(m => new CustomerEvent(m.CustomerId, FeedbackEvents.Clicked, [], host.Time.GetUtcNow(), m.MessageId)).ToArray();
        Assert.Equal(2, clicks.Length);
        await host.Manager.PublishAsync(clicks);

        var (csv, rows) = await ExportAsync(host.Services, journeyId);
        Assert.Equal(3, rows);
        var lines = Lines(csv);
        Assert.StartsWith("c1@example.com,1,,completed,,1,1,false,", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("c2@example.com,1,,completed,,1,0,false,", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("c3@example.com,1,,completed,,1,1,false,", lines[3], StringComparison.Ordinal);
        var status = await host.Sendings.GetAsync("s");
        Assert.Equal(2, status!.Progress.Clicked);
    }

    [Fact]
    public async Task A_click_event_published_twice_is_two_clicks_in_the_row_as_at_the_node()
    {
        // No deduplication by message id: a second click on the same message is a second click, in the row and at the
        // send node alike, so the rows' clicked always add up to the node's Clicked.
        await using var host = await EngineHost.StartAsync(Start);
        await host.Manager.CreateAsync(JourneyBuilder.Create("once", "Once").EnterOnEvent("go").Steps(p => p.Send(Channel.Push, "tips", id: "push")).Build());
        await host.Manager.ActivateAsync("once");
        await host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "go", [], host.Time.GetUtcNow()), new CustomerEvent("c2@example.com", "go", [], host.Time.GetUtcNow())]);
        EngineHost.Eventually(() => host.Push.Messages.Count == 2, "two pushes");
        EngineHost.Eventually(() => host.Count("once", null, StatisticCounter.Completed) == 2, "both enrollments completed");

        var message = host.Push.Messages.Single(m => m.CustomerId == "c1@example.com");
        var click = new CustomerEvent("c1@example.com", FeedbackEvents.Clicked, [], host.Time.GetUtcNow(), message.MessageId);
        await host.Manager.PublishAsync([click]);
        await host.Manager.PublishAsync([click, click]);

        var (csv, _) = await ExportAsync(host.Services, "once");
        var lines = Lines(csv);
        Assert.Equal(("c1@example.com", "3"), (lines[1].Split(',')[0], lines[1].Split(',')[6]));
        Assert.Equal(("c2@example.com", "0"), (lines[2].Split(',')[0], lines[2].Split(',')[6]));
        Assert.Equal(3, host.Count("once", "push", StatisticCounter.Clicked));
    }

    [Fact]
    public async Task Click_feedback_not_about_one_of_the_customers_own_messages_changes_nothing_and_the_publish_goes_through()
    {
        await using var host = await EngineHost.StartAsync(Start);
        await host.Manager.CreateAsync(JourneyBuilder.Create("once", "Once").EnterOnEvent("go").Steps(p => p.Send(Channel.Push, "tips", id: "push")).Build());
        await host.Manager.ActivateAsync("once");
        await host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "go", [], host.Time.GetUtcNow()), new CustomerEvent("c2@example.com", "go", [], host.Time.GetUtcNow())]);
        EngineHost.Eventually(() => host.Count("once", null, StatisticCounter.Completed) == 2, "both enrollments completed");
        EngineHost.Eventually(() => host.Push.Messages.Count == 2, "both pushes sent"); // sent after the completing commit
        var c1Message = host.Push.Messages.Single(m => m.CustomerId == "c1@example.com").MessageId;
        var now = host.Time.GetUtcNow();

        await host.Manager.PublishAsync([
            new CustomerEvent("c2@example.com", FeedbackEvents.Clicked, [], now, c1Message),
            new CustomerEvent("c1@example.com", FeedbackEvents.Clicked, [], now, StepExecutor.MessageId(Guid.NewGuid(), "push", 1)),
            new CustomerEvent("c1@example.com", FeedbackEvents.Clicked, [], now, "not-one-of-ours"),
            // The customer's own enrollment, but a node its version does not have: no message of ours has that id.
            new CustomerEvent("c1@example.com", FeedbackEvents.Clicked, [], now, c1Message.Replace("/push/", "/made-up/", StringComparison.Ordinal)),
            new CustomerEvent("c1@example.com", FeedbackEvents.Delivered, [], now, c1Message.Replace("/push/", "/made-up/", StringComparison.Ordinal)),
            new CustomerEvent("c1@example.com", FeedbackEvents.Clicked, [], now),
            new CustomerEvent("c1@example.com", FeedbackEvents.Opened, [], now, c1Message),
            new CustomerEvent("c9@example.com", "go", [], now),
        ]);

        // The last event of the call still did its work: c9 entered.
        EngineHost.Eventually(() => host.Count("once", null, StatisticCounter.Completed) == 3, "c9 entered and completed");
        var (csv, _) = await ExportAsync(host.Services, "once");
        Assert.All(Lines(csv).Skip(1), line => Assert.Equal("0", line.Split(',')[6]));
        Assert.Equal(0, host.Count("once", "push", StatisticCounter.Clicked));
        Assert.Equal(1, host.Count("once", "push", StatisticCounter.Opened));
        Assert.Equal(["push"], (await host.Manager.GetStatisticsAsync("once")).Nodes.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_sending_exports_like_a_journey_by_its_journey_id()
    {
        await using var host = await EngineHost.StartAsync(Start);
        await host.Sendings.SendToListAsync(new SendingRequest("tips") { SendingId = "s" }, new[] { "c2@example.com", "c1@example.com" }.ToAsyncEnumerable());
        EngineHost.Eventually(() => host.Sendings.GetAsync("s").AsTask().GetAwaiter().GetResult()?.State == SendingState.Completed, "sending completed");

        var (csv, rows) = await ExportAsync(host.Services, SendingJourneys.JourneyIdOf("s"), 1);
        Assert.Equal(2, rows);
        var lines = Lines(csv);
        Assert.StartsWith("c1@example.com,1,,completed,,1,0,false,", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("c2@example.com,1,,completed,,1,0,false,", lines[2], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\"")]
    [InlineData("+3125551234", "\"'+3125551234\"")]
    [InlineData("-2+3", "\"'-2+3\"")]
    [InlineData("-42", "\"'-42\"")] // text, as the rule says; counts and times are written as numbers and dates, never prefixed
    [InlineData("@SUM(A1)", "\"'@SUM(A1)\"")]
    [InlineData("\tTAB", "\"'\tTAB\"")]
    [InlineData("\rCR", "\"'\rCR\"")]
    [InlineData("plain-id", "plain-id")]
    [InlineData("a,b", "\"a,b\"")]
    public async Task Cells_that_a_spreadsheet_would_run_as_a_formula_are_neutralised(string customerId, string expectedCell)
    {
        var services = new ServiceCollection();
        services.AddJourneys(j => j.AddCampaigns(new Campaign("tips", Channel.Push, "Tips")));
        await using var provider = services.BuildServiceProvider();
        var manager = provider.GetRequiredService<IJourneyManager>();
        await manager.CreateAsync(JourneyBuilder.Create("list", "List").EnterFromList([]).Steps(p => p.Send(Channel.Push, "tips", id: "push")).Build());
        await manager.ActivateAsync("list");
        await manager.EnrollAsync("list", [customerId]);

        var (csv, rows) = await ExportAsync(provider, "list");
        Assert.Equal(1, rows);
        Assert.StartsWith(Header + "\r\n" + expectedCell + ",1,push,active,,0,0,false,", csv, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_journey_or_version_is_refused_before_anything_is_written()
    {
        var services = new ServiceCollection();
        services.AddJourneys();
        await using var provider = services.BuildServiceProvider();
        var exporter = provider.GetRequiredService<IJourneyExporter>();
        using var stream = new MemoryStream();

        var missing = await Assert.ThrowsAsync<KeyNotFoundException>(() => exporter.WriteCustomersCsvAsync("missing", null, stream).AsTask());
        Assert.Contains("'missing'", missing.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => exporter.WriteCustomersCsvAsync("missing", 0, stream).AsTask());
        Assert.Equal(0, stream.Length);
    }

    [Fact]
    public async Task A_deleted_journey_is_refused_as_the_journey_manager_refuses_it_before_anything_is_written()
    {
        await using var host = await EngineHost.StartAsync(Start);
        await host.Manager.CreateAsync(JourneyBuilder.Create("gone", "Gone").EnterOnEvent("go").Steps(p => p.Send(Channel.Push, "tips", id: "push")).Build());
        await host.Manager.ActivateAsync("gone");
        await host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "go", [], host.Time.GetUtcNow())]);
        EngineHost.Eventually(() => host.Push.Messages.Count == 1, "one push");
        Assert.True(await host.Manager.DeleteAsync("gone"));
        using var stream = new MemoryStream();

        // The journey manager's refusal of the same id: the exporter's matches it (type and message).
        var expected = await Assert.ThrowsAnyAsync<Exception>(() => host.Manager.ValidateAsync("gone").AsTask());
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => host.Services.GetRequiredService<IJourneyExporter>().WriteCustomersCsvAsync("gone", null, stream).AsTask());

        Assert.Equal(expected.GetType(), refused.GetType());
        Assert.Equal(expected.Message, refused.Message);
        Assert.Equal(0, stream.Length);
    }

    [Fact]
    public async Task A_journey_without_enrollments_exports_the_header_only()
    {
        var services = new ServiceCollection();
        services.AddJourneys(j => j.AddCampaigns(new Campaign("tips", Channel.Push, "Tips")));
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<IJourneyManager>().CreateAsync(JourneyBuilder.Create("empty", "Empty").EnterOnEvent("go").Steps(p => p.Send(Channel.Push, "tips", id: "push")).Build());

        var (csv, rows) = await ExportAsync(provider, "empty");
        Assert.Equal(0, rows);
        Assert.Equal(Header + "\r\n", csv);
    }
}
