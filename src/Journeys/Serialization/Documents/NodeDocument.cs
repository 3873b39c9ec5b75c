using System.Text.Json.Serialization;

namespace Journeys.Serialization.Documents;

/// <summary>A node; the <c>type</c> property picks the kind.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(SendNodeDocument), "send")]
[JsonDerivedType(typeof(FilterNodeDocument), "filter")]
[JsonDerivedType(typeof(WaitForEventNodeDocument), "waitForEvent")]
[JsonDerivedType(typeof(RandomSplitNodeDocument), "randomSplit")]
[JsonDerivedType(typeof(RetargetingNodeDocument), "retargeting")]
[JsonDerivedType(typeof(DelayNodeDocument), "delay")]
[JsonDerivedType(typeof(WebhookNodeDocument), "webhook")]
[JsonDerivedType(typeof(UpdateCustomerNodeDocument), "updateCustomer")]
[JsonDerivedType(typeof(ExitNodeDocument), "exit")]
// Without a "type" the base is read (and skips what it cannot map) so that the reader can name the missing discriminator.
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Skip)]
internal class NodeDocument
{
    [JsonPropertyOrder(-1)]
    public string? Id { get; set; }
}
