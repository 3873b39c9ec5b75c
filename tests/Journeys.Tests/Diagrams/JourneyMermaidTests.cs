using Journeys.Building;
using Journeys.Diagrams;
using Journeys.Runtime;
using Journeys.Storage;

namespace Journeys.Tests.Diagrams;

public sealed class JourneyMermaidTests
{
    private static JourneyDefinition Journey() => JourneyBuilder.Create("tips", "Tips")
        .EnterAllCustomers()
        .Steps(p => p
            .Send(Channel.Push, "tips", id: "tips-push")
            .WaitForEvent(FeedbackEvents.Clicked, TimeSpan.FromDays(2), w => w
                .CorrelatedTo("tips-push")
                .OnEvent(c => c.Exit("clicked \"yes\"", id: "clicked"))
                .OnTimeout(t => t.Exit("ignored", id: "ignored")), id: "wait-click"))
        .Build();

    [Fact]
    public void A_journey_draws_as_a_flowchart_with_every_node_and_edge()
    {
        var mermaid = Journey().ToMermaid();

        Assert.Equal(
            """
            flowchart TD
              entry(["entry: all customers"])
              entry --> n0
              n0["tips-push<br/>send push: tips"]
              n0 -->|"next"| n1
              n1{{"wait-click<br/>wait for clicked (2d)"}}
              n1 -->|"onEvent"| n2
              n1 -->|"onTimeout"| n3
              n2(["clicked<br/>exit: clicked #quot;yes#quot;"])
              n3(["ignored<br/>exit: ignored"])

            """.Replace("\r\n", "\n", StringComparison.Ordinal),
            mermaid);
    }

    [Fact]
    public void Statistics_add_each_node_s_counters()
    {
        var counters = ImmutableDictionary<StatisticCounter, long>.Empty;
        var statistics = new JourneyStatistics(
            "tips",
            null,
            counters.Add(StatisticCounter.Entered, 10),
            ImmutableDictionary<string, ImmutableDictionary<StatisticCounter, long>>.Empty
                .Add("tips-push", counters.Add(StatisticCounter.Entered, 10).Add(StatisticCounter.Left, 10).Add(StatisticCounter.Sent, 8).Add(StatisticCounter.Clicked, 2))
                .Add("wait-click", counters.Add(StatisticCounter.Entered, 10).Add(StatisticCounter.Left, 3).Add(StatisticCounter.Converted, 1)));

        var mermaid = Journey().ToMermaid(statistics);

        Assert.Contains("entry: all customers<br/>entered 10", mermaid, StringComparison.Ordinal);
        Assert.Contains("tips-push<br/>send push: tips<br/>entered 10 · waiting 0<br/>sent 8 · clicked 2 (25.0 %)", mermaid.Replace("25.0%", "25.0 %", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("entered 10 · waiting 7 · converted 1", mermaid, StringComparison.Ordinal);
        Assert.Contains("ignored<br/>exit: ignored<br/>entered 0 · waiting 0", mermaid, StringComparison.Ordinal);
    }
}
