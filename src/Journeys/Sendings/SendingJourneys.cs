using Journeys.Storage;

namespace Journeys.Sendings;

/// <summary>
/// How sendings map to journeys: each sending runs as a system journey whose id is <see cref="JourneyIdPrefix"/> +
/// the sending id, with one send node (<see cref="SendNodeId"/>). Journey ids with the prefix are reserved: the journey
/// manager refuses to create, update, edit, activate or clone into them, and leaves them out of its list.
/// </summary>
public static class SendingJourneys
{
    /// <summary>The prefix of the ids of sending journeys.</summary>
    public const string JourneyIdPrefix = "sending:";

    /// <summary>
    /// The longest sending id accepted: 120 UTF-16 code units, so that the sending's journey id
    /// (<see cref="JourneyIdPrefix"/> + the sending id) keeps within <see cref="Model.JourneyDefinition.MaxIdLength"/>.
    /// </summary>
    public const int MaxSendingIdLength = Model.JourneyDefinition.MaxIdLength - 8; // 8: JourneyIdPrefix.Length

    /// <summary>
    /// The longest sending id before 2026-12-01, when <see cref="MaxSendingIdLength"/> became 120: a sending made before
    /// with a longer id is still read, stopped and resumed (its journey id has up to 208 characters), but no new one is made.
    /// </summary>
    internal const int MaxEarlierSendingIdLength = 200;

    /// <summary>The id of the send node of a sending journey.</summary>
    public const string SendNodeId = "send";

    /// <summary>
    /// The pseudo node under which a sending's audience counters are kept in the statistics store: Entered = targeted,
    /// Left = enrolled, Exited = skipped, Failed = unknown ids, Completed = 1 once the enrolling pass ended.
    /// </summary>
    public const string AudienceNodeId = "$audience";

    /// <summary>The journey id of a sending.</summary>
    /// <param name="sendingId">The sending id.</param>
    public static string JourneyIdOf(string sendingId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sendingId);
        return JourneyIdPrefix + sendingId;
    }

    /// <summary>A sending's enrolled customers whose message is not yet sent, failed, capped or cancelled (<see cref="SendingProgress.Pending"/>).</summary>
    internal static long Pending(JourneyStatistics stats) => Math.Max(
        0,
        stats.Get(AudienceNodeId, StatisticCounter.Left) - stats.Get(SendNodeId, StatisticCounter.Cancelled) - stats.Get(SendNodeId, StatisticCounter.Sent)
        - stats.Get(SendNodeId, StatisticCounter.Failed) - stats.Get(SendNodeId, StatisticCounter.Capped));

    /// <summary>
    /// True when a sending is done for good (<see cref="SendingState.Completed"/>): its enrolling pass ended and every
    /// message is final. It enrolls and renders nothing more, so the customer fields it binds are no longer in use.
    /// </summary>
    internal static bool IsCompleted(JourneyStatistics stats) =>
        stats.Get(AudienceNodeId, StatisticCounter.Completed) > 0 && Pending(stats) == 0;

    /// <summary>True when a journey id is a sending's.</summary>
    /// <param name="journeyId">The journey id.</param>
    public static bool IsSending(string? journeyId) =>
        journeyId is not null && journeyId.StartsWith(JourneyIdPrefix, StringComparison.Ordinal);
}
