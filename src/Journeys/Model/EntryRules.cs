namespace Journeys.Model;

/// <summary>
/// Who may enter and when. Whatever the mode, a customer never has two active enrollments in one journey:
/// an entry while one is active is refused as a duplicate.
/// </summary>
/// <param name="ReEntry">When a customer may enter again.</param>
/// <param name="Cooldown">With <see cref="ReEntryMode.AfterCooldown"/>: how long after the previous exit (positive).</param>
/// <param name="EntryCap">When set, at most this many enrollments are created (positive).</param>
/// <param name="WindowStart">When set, entries before this instant are refused.</param>
/// <param name="WindowEnd">When set, entries at or after this instant are refused.</param>
public sealed record EntryRules(
    ReEntryMode ReEntry = ReEntryMode.Never,
    TimeSpan? Cooldown = null,
    int? EntryCap = null,
    DateTimeOffset? WindowStart = null,
    DateTimeOffset? WindowEnd = null)
{
    /// <summary>The default rules: no re-entry, no cap, no window.</summary>
    public static EntryRules Default { get; } = new();
}
