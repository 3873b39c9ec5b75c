using System.Text.Json.Serialization;

namespace Journeys.Serialization.Documents;

/// <summary>An entry (audience); the <c>type</c> property picks the kind.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(AllCustomersEntryDocument), "allCustomers")]
[JsonDerivedType(typeof(CustomerListEntryDocument), "customerList")]
[JsonDerivedType(typeof(FilterEntryDocument), "filter")]
[JsonDerivedType(typeof(EventEntryDocument), "event")]
// Without a "type" the base is read (and skips what it cannot map) so that the reader can name the missing discriminator.
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Skip)]
internal class EntryDocument
{
}
