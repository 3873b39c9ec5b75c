using Journeys.Model;

namespace Journeys.Building;

/// <summary>The graph checks <see cref="JourneyBuilder.Build"/> and draft edits share.</summary>
internal static class StructureCheck
{
    public static void ThrowIfInvalid(JourneyDefinition journey)
    {
        _ = journey;
    }
}
