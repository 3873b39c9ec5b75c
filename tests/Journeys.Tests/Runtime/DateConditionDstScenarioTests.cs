using Journeys.Building;
using Journeys.Runtime;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Tests.Runtime;

/// <summary>
/// "A birthday tomorrow" (<see cref="Condition.Anniversary"/> with one day from today) on the nights whose daylight-saving
/// change crosses midnight: one day from today is tomorrow's date in the customer's zone, whatever the hour.
/// </summary>
public sealed class DateConditionDstScenarioTests
{
    [Theory]
    // Madrid springs forward on 29 March 2026 (02:00 -> 03:00): at 23:30 on the 28th (22:30Z), 24 hours later is
    // 00:30 on the 30th, but tomorrow is the 29th.
    [InlineData("2026-03-28T22:30:00Z", "Europe/Madrid", 3, 29, 3, 30)]
    // Santiago falls back at midnight on 5 April 2026 (00:00 -> 23:00 on the 4th): at 00:30 on the 4th (03:30Z),
    // 24 hours later is 23:30 on the 4th again, but tomorrow is the 5th.
    [InlineData("2026-04-04T03:30:00Z", "America/Santiago", 4, 5, 4, 4)]
    public async Task A_birthday_tomorrow_entry_takes_tomorrows_birthdays_on_a_night_when_the_clocks_change_around_midnight(
        string now, string zone, int tomorrowMonth, int tomorrowDay, int otherMonth, int otherDay)
    {
        await using var host = await EngineHost.StartAsync(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture));
        await host.Manager.CreateAsync(JourneyBuilder.Create("birthday-eve", "Birthday eve").WithTimeZone("UTC")
            .EnterWhen(Condition.Anniversary("birthDate", 1))
            .Steps(p => p.Send(Channel.Push, "tips", id: "push"))
            .Build());
        await host.Manager.ActivateAsync("birthday-eve");

        await host.Manager.PutCustomersAsync(
        [
            new Customer("tomorrow", new Dictionary<string, FieldValue> { ["birthDate"] = new DateTimeOffset(1990, tomorrowMonth, tomorrowDay, 0, 0, 0, TimeSpan.Zero) }, zone),
            new Customer("other", new Dictionary<string, FieldValue> { ["birthDate"] = new DateTimeOffset(1990, otherMonth, otherDay, 0, 0, 0, TimeSpan.Zero) }, zone),
        ]);

        var store = host.Services.GetRequiredService<IEnrollmentStore>();
        var tomorrow = await store.GetByCustomerAsync("tomorrow");
        var other = await store.GetByCustomerAsync("other");
        Assert.Single(tomorrow);
        Assert.Empty(other);
    }
}
