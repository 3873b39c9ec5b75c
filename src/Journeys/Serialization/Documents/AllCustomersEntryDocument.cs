using System.Text.Json.Serialization;

namespace Journeys.Serialization.Documents;

/// <summary><c>allCustomers</c> entry.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class AllCustomersEntryDocument : EntryDocument
{
}
