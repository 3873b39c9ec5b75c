using Journeys.Building;
using Journeys.Runtime;
using Journeys.Storage;

namespace Journeys.Tests.Runtime;

/// <summary>The entry window at activation: an activation that would enroll nobody because of it is refused.</summary>
public sealed class EntryWindowScenarioTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);
    private EngineHost _host = null!;

    public async Task InitializeAsync() => _host = await EngineHost.StartAsync(T0);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static JourneyDefinition Everyone(DateTimeOffset? start, DateTimeOffset? end) => JourneyBuilder.Create("everyone", "Everyone").EnterAllCustomers()
        .EntryWindow(start, end)
        .Steps(p => p.Send(Channel.Push, "tips", id: "tips"))
        .Build();

    [Fact]
    public async Task An_audience_journey_is_not_activated_before_its_window_opens_and_enrolls_its_audience_when_activated_inside_it()
    {
        await _host.Manager.CreateAsync(Everyone(T0.AddHours(1), T0.AddDays(1)));

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(async () => await _host.Manager.ActivateAsync("everyone"));

        Assert.Contains("before its entry window starts at 2026-05-04T10:00:00.0000000+00:00", ex.Message, StringComparison.Ordinal);
        Assert.Equal(JourneyStatus.Draft, (await _host.Manager.GetAsync("everyone"))!.Journey.Status);
        Assert.Equal(0, _host.Count("everyone", null, StatisticCounter.Entered));

        _host.Advance(TimeSpan.FromHours(1));
        var (active, enrolled) = await _host.Manager.ActivateAsync("everyone");

        Assert.Equal((JourneyStatus.Active, 40), (active.Journey.Status, enrolled));
        EngineHost.Eventually(() => _host.Push.Messages.Count == 40, "the 40 customers' pushes");
    }

    [Fact]
    public async Task A_journey_whose_window_has_ended_is_not_activated()
    {
        await _host.Manager.CreateAsync(Everyone(T0.AddDays(-2), T0) with { Entry = new EventEntry("signed_up") });

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(async () => await _host.Manager.ActivateAsync("everyone"));

        Assert.Contains("its entry window ended at 2026-05-04T09:00:00.0000000+00:00", ex.Message, StringComparison.Ordinal);
        Assert.Equal(JourneyStatus.Draft, (await _host.Manager.GetAsync("everyone"))!.Journey.Status);
    }

    [Fact]
    public async Task An_event_journey_may_be_activated_before_its_window_and_enrolls_from_the_start_on_the_hosts_clock()
    {
        await _host.Manager.CreateAsync(Everyone(T0.AddHours(1), T0.AddDays(1)) with { Entry = new EventEntry("signed_up") });
        await _host.Manager.ActivateAsync("everyone");

        // Stamped inside the window, published before it opens: the entry is checked on the host's clock.
        await _host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "signed_up", [], T0.AddHours(2))]);
        _host.Advance(TimeSpan.FromHours(1));
        await _host.Manager.PublishAsync([new CustomerEvent("c2@example.com", "signed_up", [], T0)]);

        EngineHost.Eventually(() => _host.Push.Messages.Count == 1, "c2's push");
        Assert.Equal("c2@example.com", Assert.Single(_host.Push.Messages).CustomerId);
        Assert.Equal(1, _host.Count("everyone", null, StatisticCounter.Entered));
    }
}
