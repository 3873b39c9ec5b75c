using System.Text.Json.Serialization;

namespace Journeys.Serialization.Documents;

/// <summary>A delay; the <c>type</c> property picks the kind.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(DurationDelayDocument), "duration")]
[JsonDerivedType(typeof(UntilDateDelayDocument), "untilDate")]
[JsonDerivedType(typeof(UntilTimeOfDayDelayDocument), "untilTimeOfDay")]
[JsonDerivedType(typeof(UntilFieldDelayDocument), "untilField")]
// Without a "type" the base is read (and skips what it cannot map) so that the reader can name the missing discriminator.
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Skip)]
internal class DelayDocument
{
}
