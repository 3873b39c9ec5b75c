using Journeys.Building;
using Journeys.Diagrams;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Tests.Runtime;

namespace Journeys.Tests.Diagrams;

public sealed class JourneyMermaidStopTests
{
    private static readonly DateTimeOffset Start = new(2026, 5, 4, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Customers_cancelled_by_a_stop_are_no_longer_drawn_as_waiting_at_their_node()
    {
        // A cancel ends an enrollment at its node without counting it in the node's `left` (it counts in `cancelled`):
        // a stopped journey's diagram drew its cancelled customers as waiting there for good.
        await using var host = await EngineHost.StartAsync(Start);
        var journey = JourneyBuilder.Create("j", "J").EnterOnEvent("go").Steps(p => p.Delay(TimeSpan.FromDays(1), id: "wait")).Build();
        await host.Manager.CreateAsync(journey);
        await host.Manager.ActivateAsync("j");
        var now = host.Time.GetUtcNow();
        await host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "go", [], now), new CustomerEvent("c2@example.com", "go", [], now)]);
        EngineHost.Eventually(() => host.Count("j", "wait", StatisticCounter.Entered) == 2, "both customers to wait");
        Assert.Contains("wait<br/>delay<br/>entered 2 · waiting 2", journey.ToMermaid(await host.Manager.GetStatisticsAsync("j")), StringComparison.Ordinal);

        await host.Manager.StopAsync("j");

        Assert.Contains("wait<br/>delay<br/>entered 2 · waiting 0", journey.ToMermaid(await host.Manager.GetStatisticsAsync("j")), StringComparison.Ordinal);
    }
}
