using Journeys.Building;
using Journeys.Runtime;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Tests.Runtime;

/// <summary>
/// The time zone the engine uses for a customer: the customer's own, else the journey's; a zone id the system does
/// not know (customer stores take any text) counts as no zone. Shown on a delay until a local time of day and on
/// quiet hours, through the hosted engine.
/// </summary>
public sealed class TimeZoneScenarioTests
{
    // Monday 4 May 2026, 00:00 UTC: 02:00 in Madrid (UTC+2), 20:00 the day before in New York (UTC-4).
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_delay_until_nine_uses_the_customers_zone_else_the_journeys_also_when_the_customers_zone_is_unknown()
    {
        await using var host = await EngineHost.StartAsync(T0);
        await host.Services.GetRequiredService<ICustomerStore>().UpsertAsync(
        [
            new Customer("ny", null, "America/New_York"),
            new Customer("none"),
            new Customer("unknown", null, "Mars/Olympus_Mons"),
        ]);
        await host.Manager.CreateAsync(JourneyBuilder.Create("nine", "Nine").WithTimeZone("Europe/Madrid").EnterFromList(["ny", "none", "unknown"])
            .Steps(p => p.DelayUntilTimeOfDay(new TimeOnly(9, 0), id: "at-nine").Send(Channel.Push, "tips", id: "push"))
            .Build());

        await host.Manager.ActivateAsync("nine");

        var store = host.Services.GetRequiredService<IEnrollmentStore>();
        Enrollment State(string customerId) => store.GetByCustomerAsync(customerId).AsTask().GetAwaiter().GetResult().Single();
        EngineHost.Eventually(() => new[] { "ny", "none", "unknown" }.All(id => State(id).Status == EnrollmentStatus.Waiting), "all three waiting");
        Assert.Equal(
            [new DateTimeOffset(2026, 5, 4, 13, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 5, 4, 7, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 5, 4, 7, 0, 0, TimeSpan.Zero)],
            new[] { "ny", "none", "unknown" }.Select(id => State(id).WakeAt));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Mars/Olympus_Mons")]
    public async Task Quiet_hours_of_a_customer_without_a_known_zone_are_those_of_the_journeys_zone(string? zone)
    {
        // 21:00 UTC is 23:00 in Madrid (quiet, 22:00-08:00) but not in UTC: the message must be held until 06:00 UTC.
        var start = new DateTimeOffset(2026, 5, 4, 21, 0, 0, TimeSpan.Zero);
        await using var host = await EngineHost.StartAsync(
            start,
            o => o.SendPolicy = new SendPolicyOptions { QuietHoursStart = new TimeOnly(22, 0), QuietHoursEnd = new TimeOnly(8, 0) });
        await host.Services.GetRequiredService<ICustomerStore>().UpsertAsync([new Customer("c", null, zone)]);
        await host.Manager.CreateAsync(JourneyBuilder.Create("night", "Night").WithTimeZone("Europe/Madrid").EnterFromList(["c"])
            .Steps(p => p.Send(Channel.Push, "tips", id: "push"))
            .Build());

        await host.Manager.ActivateAsync("night");

        var outbox = host.Services.GetRequiredService<IOutboxStore>();
        var endOfQuietHours = new DateTimeOffset(2026, 5, 5, 6, 0, 0, TimeSpan.Zero);
        EngineHost.Eventually(() => outbox.GetNextDueAsync().AsTask().GetAwaiter().GetResult() == endOfQuietHours, "the push held until 08:00 in Madrid");
        Assert.Empty(host.Push.Messages);

        host.Advance(endOfQuietHours - start);
        EngineHost.Eventually(() => host.Push.Messages.Count == 1, "the held push");
    }
}
