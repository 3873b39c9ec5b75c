using FsCheck.Fluent;

namespace Journeys.Tests.Properties;

/// <summary>Guards the generators: properties over them mean little if they only make tiny or one-kind journeys.</summary>
public sealed class GeneratorCoverageTests
{
    [Fact]
    public void Generated_programs_cover_every_node_kind_and_reach_a_useful_size()
    {
        var journeys = BuilderProgramGenerators.Program().Sample(100, 300).Select(p => p.Replay().Journey).ToList();

        var kinds = journeys.SelectMany(j => j.Nodes).Select(n => n.GetType()).ToHashSet();
        Assert.Equal(
            new[] { typeof(SendNode), typeof(FilterNode), typeof(WaitForEventNode), typeof(RandomSplitNode), typeof(RetargetingNode), typeof(DelayNode), typeof(WebhookNode), typeof(UpdateCustomerNode), typeof(ExitNode) }
                .OrderBy(t => t.Name),
            kinds.OrderBy(t => t.Name));
        Assert.True(journeys.Max(j => j.Nodes.Count) >= 15, $"largest journey has {journeys.Max(j => j.Nodes.Count)} nodes");
        Assert.Contains(journeys, j => j.Nodes.OfType<WaitForEventNode>().Any(w => w.CorrelatedNodeId is not null));
    }
}
