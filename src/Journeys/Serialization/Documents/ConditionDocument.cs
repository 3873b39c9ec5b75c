using System.Text.Json.Serialization;

namespace Journeys.Serialization.Documents;

/// <summary>A condition; the <c>type</c> property picks the kind.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(FieldConditionDocument), "field")]
[JsonDerivedType(typeof(InConditionDocument), "in")]
[JsonDerivedType(typeof(DateConditionDocument), "date")]
[JsonDerivedType(typeof(AllConditionDocument), "all")]
[JsonDerivedType(typeof(AnyConditionDocument), "any")]
[JsonDerivedType(typeof(NotConditionDocument), "not")]
// Without a "type" the base is read (and skips what it cannot map) so that the reader can name the missing discriminator.
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Skip)]
internal class ConditionDocument
{
}
