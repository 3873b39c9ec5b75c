namespace Journeys.Runtime;

/// <summary>
/// Policies applied when a message is about to be sent, across all journeys: a frequency cap per customer and quiet
/// hours in the customer's time zone. (Rate limits are per channel: <see cref="Messaging.ChannelPolicyOptions"/>.)
/// </summary>
public sealed class SendPolicyOptions
{
    /// <summary>
    /// At most this many messages per customer within <see cref="FrequencyCapWindow"/>; <see langword="null"/> for no
    /// cap. A capped message is skipped and counted as capped. The sends are counted in the store's record when its
    /// outbox store implements <see cref="Storage.IFrequencyCapStore"/> (the in-memory, SQLite and PostgreSQL stores
    /// do): one cap for every host on the store, kept across restarts. With a store that does not, each engine counts
    /// only the sends its own dispatcher attempted since it started; see docs/engine.md, "Frequency cap: scope".
    /// </summary>
    public int? FrequencyCap { get; set; }

    /// <summary>The window of the frequency cap. Default 1 day; at most 365 days.</summary>
    public TimeSpan FrequencyCapWindow { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Start of quiet hours (local time of the customer, else of the journey); <see langword="null"/> for none.</summary>
    public TimeOnly? QuietHoursStart { get; set; }

    /// <summary>End of quiet hours; messages due in quiet hours are held until then. May be earlier than the start (the window spans midnight).</summary>
    public TimeOnly? QuietHoursEnd { get; set; }

    /// <summary>True when a local time falls in the quiet hours.</summary>
    /// <param name="local">A local time of day.</param>
    public bool IsQuiet(TimeOnly local) => QuietHoursStart is { } start && QuietHoursEnd is { } end && start != end
        && (start < end ? local >= start && local < end : local >= start || local < end);

    /// <summary>Every problem with these options, or none.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (FrequencyCap is < 1)
        {
            errors.Add($"SendPolicy.FrequencyCap must be at least 1 when set (was {FrequencyCap}).");
        }

        if (FrequencyCapWindow <= TimeSpan.Zero || FrequencyCapWindow > TimeSpan.FromDays(365))
        {
            errors.Add($"SendPolicy.FrequencyCapWindow must be positive and at most 365 days (was {FrequencyCapWindow}).");
        }

        if (QuietHoursStart.HasValue != QuietHoursEnd.HasValue)
        {
            errors.Add("SendPolicy.QuietHoursStart and QuietHoursEnd are set together.");
        }
        else if (QuietHoursStart is { } start && start == QuietHoursEnd)
        {
            // Read as "no quiet hours", it would silently drop what was likely meant as "quiet all day", or a typo.
            errors.Add($"SendPolicy.QuietHoursStart and QuietHoursEnd must differ (both were {start.Hour:00}:{start.Minute:00}); leave both unset for no quiet hours.");
        }

        return errors;
    }
}
