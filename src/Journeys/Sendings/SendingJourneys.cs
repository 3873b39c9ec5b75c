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

    /// <summary>True when a journey id is a sending's.</summary>
    /// <param name="journeyId">The journey id.</param>
    public static bool IsSending(string? journeyId) =>
        journeyId is not null && journeyId.StartsWith(JourneyIdPrefix, StringComparison.Ordinal);
}
