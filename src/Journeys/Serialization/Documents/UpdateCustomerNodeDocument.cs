using System.Text.Json.Serialization;
using Journeys.Model;

namespace Journeys.Serialization.Documents;

/// <summary><c>updateCustomer</c> node.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class UpdateCustomerNodeDocument : NodeDocument
{
    public string? Field { get; set; }

    // Written even when null: null clears the field.
    public FieldValue Value { get; set; }

    public string? Next { get; set; }
}
