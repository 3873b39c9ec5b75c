using Journeys.Building;
using Journeys.Runtime;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Journeys.Tests.Runtime;

/// <summary>Custom-event entry: what the new enrollment sees of the events published with the one that enrolled it.</summary>
public sealed class EventEntryScenarioTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);
    private EngineHost _host = null!;

    public async Task InitializeAsync() => _host = await EngineHost.StartAsync(T0);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static JourneyDefinition Onboarding() => JourneyBuilder.Create("onboarding", "Onboarding")
        .EnterOnEvent("signed_up")
        .ConvertOn("purchase")
        .Steps(p => p
            .WaitForEvent("opened_app", TimeSpan.FromDays(1), w => w
                .OnEvent(o => o.Exit("opened", id: "opened"))
                .OnTimeout(t => t.Send(Channel.Email, "welcome", v => v.Bind("name", "firstName", "there"), id: "nudge")), id: "wait-open"))
        .Build();

    [Fact]
    public async Task A_goal_published_after_the_entering_event_in_the_same_call_converts_the_new_enrollment()
    {
        await _host.Manager.CreateAsync(Onboarding());
        await _host.Manager.ActivateAsync("onboarding");

        // A client that sends its events in batches: the customer signed up, then bought, then (another customer) signed up.
        await _host.Manager.PublishAsync(
        [
            new CustomerEvent("c1@example.com", "signed_up", [], T0),
            new CustomerEvent("c1@example.com", "purchase", [], T0.AddSeconds(1)),
            new CustomerEvent("c2@example.com", "signed_up", [], T0.AddSeconds(2)),
        ]);

        EngineHost.Eventually(() => _host.Count("onboarding", null, StatisticCounter.Converted) == 1, "c1 converted by the purchase after its sign-up");
        var store = _host.Services.GetRequiredService<IEnrollmentStore>();
        var c2 = Assert.Single(await store.GetByCustomerAsync("c2@example.com"));
        Assert.False(c2.IsEnded);
        var c1 = Assert.Single(await store.GetByCustomerAsync("c1@example.com"));
        Assert.Equal(EnrollmentStatus.Converted, c1.Status);
    }

    [Fact]
    public async Task An_awaited_event_published_after_the_entering_event_in_the_same_call_is_seen_by_the_first_wait()
    {
        await _host.Manager.CreateAsync(Onboarding());
        await _host.Manager.ActivateAsync("onboarding");

        await _host.Manager.PublishAsync(
        [
            new CustomerEvent("c1@example.com", "signed_up", [], T0),
            new CustomerEvent("c1@example.com", "opened_app", [], T0.AddSeconds(1)),
        ]);

        EngineHost.Eventually(() => _host.Count("onboarding", "opened", StatisticCounter.Exited) == 1, "c1 took the on-event edge");
        _host.Advance(TimeSpan.FromDays(2));
        Assert.Empty(_host.Email.Messages);
    }

    [Fact]
    public async Task Events_published_before_the_entering_event_in_the_same_call_are_not_seen_by_the_new_enrollment()
    {
        await _host.Manager.CreateAsync(Onboarding());
        await _host.Manager.ActivateAsync("onboarding");

        await _host.Manager.PublishAsync(
        [
            new CustomerEvent("c1@example.com", "purchase", [], T0),
            new CustomerEvent("c1@example.com", "opened_app", [], T0.AddSeconds(1)),
            new CustomerEvent("c1@example.com", "signed_up", [], T0.AddSeconds(2)),
        ]);

        EngineHost.Eventually(() => _host.Count("onboarding", "wait-open", StatisticCounter.Entered) == 1, "c1 waiting");
        _host.Advance(TimeSpan.FromDays(1));
        EngineHost.Eventually(() => _host.Email.Messages.Count == 1, "the nudge after the wait timed out");
        Assert.Equal(0, _host.Count("onboarding", null, StatisticCounter.Converted));
    }
}
