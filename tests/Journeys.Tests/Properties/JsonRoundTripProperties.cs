using FsCheck.Xunit;
using Journeys.Serialization;

namespace Journeys.Tests.Properties;

public sealed class JsonRoundTripProperties
{
    [Property(MaxTest = 500, Arbitrary = [typeof(BuilderProgramGenerators)])]
    public void Builder_to_json_and_back_is_identity(BuilderProgram program)
    {
        var (journey, _) = program.Replay();

        var json = JourneyJson.Serialize(journey);
        var back = JourneyJson.Deserialize(json);

        Assert.Equal(journey, back);
        Assert.Equal(json, JourneyJson.Serialize(back));
    }

    [Property(MaxTest = 200, Arbitrary = [typeof(BuilderProgramGenerators)])]
    public void Every_node_round_trips_alone(BuilderProgram program)
    {
        var (journey, _) = program.Replay();

        foreach (var node in journey.Nodes)
        {
            Assert.Equal(node, JourneyJson.DeserializeNode(JourneyJson.SerializeNode(node)));
        }
    }
}
