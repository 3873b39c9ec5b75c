using System.Text.Json.Serialization;

namespace Journeys.Serialization.Documents;

/// <summary><c>retargeting</c> node.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class RetargetingNodeDocument : NodeDocument
{
    public string? ConversionEvent { get; set; }

    public TimeSpan? Window { get; set; }

    public List<RetargetingReminderDocument?>? Reminders { get; set; }

    public string? OnConverted { get; set; }

    public string? OnExhausted { get; set; }
}
