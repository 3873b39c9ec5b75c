using Journeys.Model;

namespace Journeys.Serialization.Converters;

/// <summary>Reads and writes <see cref="JourneyStatus"/> as <c>draft</c>, <c>validated</c>, <c>active</c>, <c>stopped</c>, <c>archived</c>.</summary>
internal sealed class JourneyStatusConverter() : EnumNameConverter<JourneyStatus>(
        "journey status",
        (JourneyStatus.Draft, "draft"),
        (JourneyStatus.Validated, "validated"),
        (JourneyStatus.Active, "active"),
        (JourneyStatus.Stopped, "stopped"),
        (JourneyStatus.Archived, "archived"));
