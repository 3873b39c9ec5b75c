using Journeys.Model;

namespace Journeys.Serialization.Documents;

/// <summary>Entry rules.</summary>
internal sealed class EntryRulesDocument
{
    public ReEntryMode? ReEntry { get; set; }

    public TimeSpan? Cooldown { get; set; }

    public int? EntryCap { get; set; }

    public DateTimeOffset? WindowStart { get; set; }

    public DateTimeOffset? WindowEnd { get; set; }
}
