using System.Text.Json.Serialization;

namespace Journeys.Serialization.Documents;

/// <summary><c>customerList</c> entry.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class CustomerListEntryDocument : EntryDocument
{
    public List<string?>? CustomerIds { get; set; }

    public bool? AcceptsAdditions { get; set; }
}
