using Journeys.Messaging;
using Journeys.Model;

namespace Journeys.Runtime;

/// <summary>How the engine runs: shards, batches, leases, event retention, campaigns and channel policies. Validated at start.</summary>
public sealed class JourneysOptions
{
    /// <summary>Shard workers; all work of one customer goes through one shard. Default: the processor count.</summary>
    public int ShardCount { get; set; } = Environment.ProcessorCount;

    /// <summary>The most enrollments a shard processes and commits at once. Default 256.</summary>
    public int BatchSize { get; set; } = 256;

    /// <summary>The capacity of each shard's inbox; a full inbox slows intake instead of growing memory. Default 4096.</summary>
    public int InboxCapacity { get; set; } = 4096;

    /// <summary>
    /// The most enrollments this host holds leased and not committed (claimed, or created leased to it) for new
    /// enrollments to still be created already leased to it and handed straight to its shards, without a claim
    /// (<see cref="Storage.IEnrollmentStore.EnrollLeasedAsync"/>). Past it, or when the shard inboxes have no room, new
    /// enrollments are created unleased and claimed as before, so an activation over millions of customers holds at most
    /// this many in memory. 0 turns leasing at enrollment off. Default 16384.
    /// </summary>
    public int IntakeLeaseLimit { get; set; } = 16_384;

    /// <summary>
    /// The most sends that wait (those that do not complete at once: a network provider, a webhook) each dispatcher loop
    /// (one per shard) has under way at the same time, across its batches; a loop with this many waiting takes no more
    /// messages until one ends. With a provider that answers in <c>t</c>, one loop sends at most this many ÷ <c>t</c>
    /// messages a second (16 ÷ 20 ms = 800). Default 16; 1 to 1024.
    /// </summary>
    public int MaxConcurrentSends { get; set; } = DefaultMaxConcurrentSends;

    /// <summary>The default of <see cref="MaxConcurrentSends"/>.</summary>
    internal const int DefaultMaxConcurrentSends = 16;

    /// <summary>How long claimed work stays leased to this host. Default 5 minutes; 1 second to 1 day.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long customer events are kept so that a wait entered just after its event still sees it. Default 1 day; at most 365 days.</summary>
    public TimeSpan EventRetention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// How long the id of a published event (<see cref="CustomerEvent.Id"/>) is remembered: an event of the same customer
    /// published again with that id within this time is a retry, acknowledged and not handled again. Ids recorded longer
    /// ago are removed by <see cref="Storage.IEnrollmentStore.PurgeEventsAsync"/>. Default 1 day; 1 second to 365 days.
    /// </summary>
    public TimeSpan EventIdWindow { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// How long ended enrollments (completed, converted, exited, failed, cancelled) are kept after their end, or
    /// <see langword="null"/> (the default) to keep them all. When set, the hosted service deletes older ones with every
    /// purge of events (<see cref="Storage.IEnrollmentStore.PurgeEndedAsync"/>), except the latest ended one of each
    /// customer in each journey, which the entry rules read: entries decide as before, and the stores stop growing with
    /// every re-entry of a customer. Deleted enrollments are gone from <c>GetByCustomerAsync</c> and from exports, and a
    /// click or withdrawal of theirs that comes later counts nowhere. 1 hour to 3,650 days.
    /// </summary>
    public TimeSpan? EnrollmentRetention { get; set; }

    /// <summary>
    /// The longest the engine sleeps without looking for work, counted from its last look (a backstop: it is woken by new
    /// work and by timers; work leased to a host that died comes back by it). Default 30 seconds; 10 ms to 1 day.
    /// </summary>
    public TimeSpan MaxIdle { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How early, on the system clock, the engine wakes before the next due timer and then holds (yielding to the
    /// thread pool, a busy wait) until the due instant. Without it (the default) the engine sleeps until the instant on a
    /// thread woken by the operating system's timer, and a timer resumes within about a millisecond of its due time (the
    /// sleep is whole milliseconds, rounded up); with it, within a fraction of a millisecond, at the cost of up to about
    /// this much of one thread's time per wake-up, continuously while timers fall due one after another. A timer never
    /// runs early either way. Default <see cref="TimeSpan.Zero"/> (no hold); at most 50 ms.
    /// </summary>
    public TimeSpan TimerWakeLead { get; set; } = TimeSpan.Zero;

    /// <summary>This host's id in leases. Default: the machine name and a random suffix.</summary>
    public string OwnerId { get; set; } = $"{Environment.MachineName}-{Guid.NewGuid():N}";

    /// <summary>The campaigns send nodes may use.</summary>
    public IList<Campaign> Campaigns { get; } = [];

    /// <summary>Frequency cap and quiet hours, applied at send time across journeys.</summary>
    public SendPolicyOptions SendPolicy { get; set; } = new();

    /// <summary>The policy of channels without one of their own.</summary>
    public ChannelPolicyOptions DefaultChannelPolicy { get; set; } = new();

    /// <summary>Policies per channel name.</summary>
    public IDictionary<string, ChannelPolicyOptions> ChannelPolicies { get; } = new Dictionary<string, ChannelPolicyOptions>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Every problem with these options, or none.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (ShardCount is < 1 or > 1024)
        {
            errors.Add($"ShardCount must be 1 to 1024 (was {ShardCount}).");
        }

        if (BatchSize is < 1 or > 100_000)
        {
            errors.Add($"BatchSize must be 1 to 100000 (was {BatchSize}).");
        }

        if (InboxCapacity < BatchSize)
        {
            errors.Add($"InboxCapacity ({InboxCapacity}) must be at least BatchSize ({BatchSize}).");
        }

        if (MaxConcurrentSends is < 1 or > 1024)
        {
            errors.Add($"MaxConcurrentSends must be 1 to 1024 (was {MaxConcurrentSends}).");
        }

        if (IntakeLeaseLimit < 0)
        {
            errors.Add($"IntakeLeaseLimit cannot be negative (was {IntakeLeaseLimit}).");
        }

        // The durations below are added to (or taken from) the current time: the upper bounds keep that on the calendar.
        if (LeaseDuration < TimeSpan.FromSeconds(1) || LeaseDuration > TimeSpan.FromDays(1))
        {
            errors.Add($"LeaseDuration must be 1 second to 1 day (was {LeaseDuration}).");
        }

        if (EventRetention < TimeSpan.Zero || EventRetention > TimeSpan.FromDays(365))
        {
            errors.Add($"EventRetention must be 0 to 365 days (was {EventRetention}).");
        }

        if (EnrollmentRetention is { } kept && (kept < TimeSpan.FromHours(1) || kept > TimeSpan.FromDays(3650)))
        {
            errors.Add($"EnrollmentRetention must be 1 hour to 3,650 days, or null to keep every enrollment (was {kept}).");
        }

        if (EventIdWindow < TimeSpan.FromSeconds(1) || EventIdWindow > TimeSpan.FromDays(365))
        {
            errors.Add($"EventIdWindow must be 1 second to 365 days (was {EventIdWindow}).");
        }

        if (TimerWakeLead < TimeSpan.Zero || TimerWakeLead > TimeSpan.FromMilliseconds(50))
        {
            errors.Add($"TimerWakeLead must be 0 to 50 ms (was {TimerWakeLead}).");
        }

        if (MaxIdle < TimeSpan.FromMilliseconds(10) || MaxIdle > TimeSpan.FromDays(1))
        {
            errors.Add($"MaxIdle must be 10 ms to 1 day (was {MaxIdle}).");
        }

        if (string.IsNullOrWhiteSpace(OwnerId))
        {
            errors.Add("OwnerId cannot be empty.");
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var campaign in Campaigns)
        {
            if (campaign is null)
            {
                errors.Add("Campaigns holds a null campaign.");
            }
            else if (!ids.Add(campaign.Id))
            {
                errors.Add($"Campaign '{campaign.Id}' is registered twice.");
            }
        }

        // The policies are settable: one set to null is named here instead of failing the start with a NullReferenceException.
        errors.AddRange(SendPolicy?.Validate() ?? ["SendPolicy is null; leave it at its default (no policies) or set one."]);
        errors.AddRange(DefaultChannelPolicy?.Validate().Select(e => $"DefaultChannelPolicy: {e}") ?? ["DefaultChannelPolicy is null; leave it at its default or set one."]);
        foreach (var (channel, policy) in ChannelPolicies)
        {
            errors.AddRange(policy?.Validate().Select(e => $"ChannelPolicies[{channel}]: {e}") ?? [$"ChannelPolicies[{channel}] is null; remove the entry to use DefaultChannelPolicy."]);
        }

        return errors;
    }
}
