using FsCheck.Xunit;
using Journeys.Tests.Properties;
using Journeys.Validation;

namespace Journeys.Tests.Validation;

/// <summary>Properties of validation over the shared generators.</summary>
public sealed class JourneyValidatorProperties
{
    [Property(MaxTest = 500, Arbitrary = [typeof(BrokenJourneyGenerators)])]
    public void Validation_never_throws_on_broken_journeys(BrokenCase broken)
    {
        var result = JourneyValidator.Validate(broken.Journey, broken.Schema, broken.Campaigns);

        Assert.Equal(result.ErrorCount == 0, result.IsValid);
        Assert.All(result.Diagnostics, d => Assert.False(string.IsNullOrWhiteSpace(d.Message)));
        _ = result.ToString();
    }

    [Property(MaxTest = 500, Arbitrary = [typeof(BuilderProgramGenerators)])]
    public void Journeys_made_by_consistent_builder_programs_validate_without_errors(BuilderProgram program)
    {
        var (journey, campaigns) = program.Replay();

        var result = JourneyValidator.Validate(journey, BuilderProgram.Schema, campaigns);

        Assert.True(result.IsValid, result.ToString());
        Assert.True(result.Diagnostics.IsEmpty, result.ToString());
    }
}
