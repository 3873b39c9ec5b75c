using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Tests.Runtime;

public sealed class SendPolicyScenarioTests
{
    private static JourneyDefinition Push(string id) => JourneyBuilder.Create(id, id).EnterOnEvent("go")
        .Steps(p => p.Send(Channel.Push, "tips", id: "push"))
        .Build();

    [Fact]
    public async Task A_message_due_in_quiet_hours_is_held_until_they_end_in_the_customers_time_zone()
    {
        // 23:00 in Madrid (UTC+2 in May): inside 22:00-08:00.
        await using var host = await StartAtNightInMadridAsync();
        await host.Manager.CreateAsync(Push("night"));
        await host.Manager.ActivateAsync("night");

        await host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "go", [], host.Time.GetUtcNow())]);
        EngineHost.Eventually(() => host.Count("night", "push", StatisticCounter.Entered) == 1, "the send node ran");

        // Held, not just not sent yet: the outbox has it due when the quiet hours end (08:00 in Madrid, 06:00 UTC).
        var outbox = host.Services.GetRequiredService<IOutboxStore>();
        EngineHost.Eventually(() => outbox.GetNextDueAsync().AsTask().GetAwaiter().GetResult() == new DateTimeOffset(2026, 5, 5, 6, 0, 0, TimeSpan.Zero), "the push held until 08:00 local");
        host.Advance(TimeSpan.FromHours(8)); // 07:00 local
        Assert.Empty(host.Push.Messages);

        host.Advance(TimeSpan.FromHours(1)); // 08:00 local
        EngineHost.Eventually(() => host.Push.Messages.Count == 1, "the held push");
        EngineHost.Eventually(() => host.Count("night", "push", StatisticCounter.Sent) == 1, "sent counted");
        Assert.Equal(0, host.Count("night", "push", StatisticCounter.Failed));
    }

    [Fact]
    public async Task A_push_held_for_quiet_hours_is_not_sent_after_its_journey_stops_and_counts_as_cancelled()
    {
        // 23:00 in Madrid: both journeys' pushes to the same customer are held until 08:00 local; "night" stops meanwhile.
        await using var host = await StartAtNightInMadridAsync();
        await host.Manager.CreateAsync(Push("night"));
        await host.Manager.ActivateAsync("night");
        await host.Manager.CreateAsync(Push("other"));
        await host.Manager.ActivateAsync("other");
        await host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "go", [], host.Time.GetUtcNow())]);
        var outbox = host.Services.GetRequiredService<IOutboxStore>();
        var eight = new DateTimeOffset(2026, 5, 5, 6, 0, 0, TimeSpan.Zero);
        EngineHost.Eventually(() => host.Count("night", null, StatisticCounter.Completed) == 1 && host.Count("other", null, StatisticCounter.Completed) == 1, "both enrollments completed");

        // Both held in the store, not still with the dispatcher (which sends a message it holds if the clock has passed
        // 08:00 when it gets to it): leased here as they come back, so the test knows; "other"'s is given back below.
        var held = new List<OutboxMessage>();
        EngineHost.Eventually(() => HeldCount(outbox, eight, held) == 2, "the pushes held until 08:00 local");

        var (_, cancelled) = await host.Manager.StopAsync("night");

        Assert.Equal(0, cancelled); // the enrollment completed when its push was queued: only the message goes
        Assert.Equal(1, host.Count("night", "push", StatisticCounter.Cancelled));
        Assert.Equal(0, host.Count("night", null, StatisticCounter.Cancelled));
        await outbox.CompleteAsync("test", [.. held.Select(m => new OutboxResult(m.Message.MessageId, SendResult.Transient("held"), eight, []))]);
        Assert.Equal(eight, await outbox.GetNextDueAsync()); // the other journey's push is held again; "night"'s is gone

        host.Advance(TimeSpan.FromHours(9)); // 08:00 local
        EngineHost.Eventually(() => host.Count("other", "push", StatisticCounter.Sent) == 1, "the other journey's push");
        Assert.Equal("other", Assert.Single(host.Push.Messages).JourneyId);
        Assert.Null(await outbox.GetNextDueAsync());
        Assert.Equal((0, 0), (host.Count("night", "push", StatisticCounter.Sent), host.Count("night", "push", StatisticCounter.Failed)));
    }

    [Fact]
    public async Task A_push_held_for_quiet_hours_is_still_sent_after_its_journey_stops_with_drain()
    {
        await using var host = await StartAtNightInMadridAsync();
        await host.Manager.CreateAsync(Push("night"));
        await host.Manager.ActivateAsync("night");
        await host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "go", [], host.Time.GetUtcNow())]);
        var outbox = host.Services.GetRequiredService<IOutboxStore>();
        var eight = new DateTimeOffset(2026, 5, 5, 6, 0, 0, TimeSpan.Zero);
        EngineHost.Eventually(() => outbox.GetNextDueAsync().AsTask().GetAwaiter().GetResult() == eight, "the push held until 08:00 local");

        await host.Manager.StopAsync("night", drain: true);

        Assert.Equal(eight, await outbox.GetNextDueAsync());
        host.Advance(TimeSpan.FromHours(9)); // 08:00 local
        EngineHost.Eventually(() => host.Count("night", "push", StatisticCounter.Sent) == 1, "the held push, sent");
        Assert.Equal("night", Assert.Single(host.Push.Messages).JourneyId);
        Assert.Equal(0, host.Count("night", "push", StatisticCounter.Cancelled));
    }

    [Fact]
    public async Task Quiet_hours_ending_in_the_hour_that_clocks_going_back_repeat_end_on_its_second_pass_too()
    {
        // 25 October 2026, Madrid: 03:00 CEST goes back to 02:00 CET. At 02:10 CET (01:10 UTC, the second pass) quiet
        // hours 22:00-02:30 hold the push until 02:30 CET, twenty minutes later, not until 02:30 the next day.
        await using var host = await EngineHost.StartAsync(
            new DateTimeOffset(2026, 10, 25, 1, 10, 0, TimeSpan.Zero),
            o => o.SendPolicy = new SendPolicyOptions { QuietHoursStart = new TimeOnly(22, 0), QuietHoursEnd = new TimeOnly(2, 30) },
            timeZone: "Europe/Madrid");
        await host.Manager.CreateAsync(Push("night"));
        await host.Manager.ActivateAsync("night");

        await host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "go", [], host.Time.GetUtcNow())]);

        var outbox = host.Services.GetRequiredService<IOutboxStore>();
        var end = new DateTimeOffset(2026, 10, 25, 1, 30, 0, TimeSpan.Zero);
        EngineHost.Eventually(() => outbox.GetNextDueAsync().AsTask().GetAwaiter().GetResult() == end, "the push held until 02:30 CET");
        host.Advance(TimeSpan.FromMinutes(20));
        EngineHost.Eventually(() => host.Count("night", "push", StatisticCounter.Sent) == 1, "the push sent at 02:30 CET");
    }

    /// <summary>
    /// An engine at 21:00 UTC, 23:00 for its customers in Madrid (UTC+2 in May), inside quiet hours 22:00-08:00 local
    /// (08:00 is 06:00 UTC the next day).
    /// </summary>
    internal static Task<EngineHost> StartAtNightInMadridAsync() => EngineHost.StartAsync(
        new DateTimeOffset(2026, 5, 4, 21, 0, 0, TimeSpan.Zero),
        o =>
        {
            o.SendPolicy = new SendPolicyOptions { QuietHoursStart = new TimeOnly(22, 0), QuietHoursEnd = new TimeOnly(8, 0) };

            // Longer than the 9 hours to 08:00: HeldCount claims as of 08:00, and must not take a message whose engine
            // lease would look expired then while the dispatcher still has it (it would send it after the clock jumps).
            o.LeaseDuration = TimeSpan.FromDays(1);
        },
        timeZone: "Europe/Madrid");

    /// <summary>
    /// Leases to <paramref name="owner"/> (for <paramref name="lease"/>, a day unless given, from <paramref name="dueAt"/>)
    /// the messages held until <paramref name="dueAt"/> that are back in the store, adding them to <paramref name="held"/>;
    /// how many so far. The engine's <c>LeaseDuration</c> must reach past <paramref name="dueAt"/>:
    /// the claim is made as of then, and would otherwise also take messages the dispatcher still holds.
    /// </summary>
    internal static int HeldCount(IOutboxStore outbox, DateTimeOffset dueAt, List<OutboxMessage> held, TimeSpan? lease = null, string owner = "test")
    {
        held.AddRange(outbox.ClaimAsync(owner, dueAt, 100, lease ?? TimeSpan.FromDays(1)).AsTask().GetAwaiter().GetResult());
        return held.Count;
    }

    [Fact]
    public async Task The_frequency_cap_spans_journeys_skips_and_counts_the_capped_message()
    {
        await using var host = await EngineHost.StartAsync(
            new DateTimeOffset(2026, 5, 4, 10, 0, 0, TimeSpan.Zero),
            o => o.SendPolicy = new SendPolicyOptions { FrequencyCap = 1, FrequencyCapWindow = TimeSpan.FromDays(1) });
        await host.Manager.CreateAsync(Push("first"));
        await host.Manager.ActivateAsync("first");
        await host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "go", [], host.Time.GetUtcNow())]);
        EngineHost.Eventually(() => host.Count("first", "push", StatisticCounter.Sent) == 1, "first push");

        await host.Manager.CreateAsync(Push("second"));
        await host.Manager.ActivateAsync("second");
        await host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "go", [], host.Time.GetUtcNow())]);
        EngineHost.Eventually(() => host.Count("second", "push", StatisticCounter.Capped) == 1, "second push capped");
        Assert.Single(host.Push.Messages);
        Assert.Equal(1, host.Count("second", null, StatisticCounter.Completed));

        // A day later the customer may get one again (a new journey: the others do not let them re-enter).
        host.Advance(TimeSpan.FromDays(1));
        await host.Manager.StopAsync("first");
        await host.Manager.StopAsync("second");
        await host.Manager.CreateAsync(Push("third"));
        await host.Manager.ActivateAsync("third");
        await host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "go", [], host.Time.GetUtcNow())]);
        EngineHost.Eventually(() => host.Push.Messages.Count == 2, "a push after the window");
    }
}
