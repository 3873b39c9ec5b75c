using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Journeys.Building;

namespace Journeys.Tests.Properties;

public sealed class BuilderProperties
{
    [Property(MaxTest = 300, Arbitrary = [typeof(BuilderProgramGenerators)])]
    public void Builder_output_is_deterministic_and_consistent(BuilderProgram program)
    {
        var (first, _) = program.Replay();
        var (second, _) = program.Replay();
        Assert.Equal(first, second);

        var ids = first.Nodes.Select(n => n.Id).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(first.Nodes.Count, ids.Count);
        Assert.Contains(first.StartNodeId, ids);
        foreach (var node in first.Nodes)
        {
            foreach (var edge in node.GetEdges())
            {
                Assert.True(edge.Target is null ? !edge.Required : ids.Contains(edge.Target), $"{node.Id}.{edge.Name} -> {edge.Target}");
            }
        }
    }
}
