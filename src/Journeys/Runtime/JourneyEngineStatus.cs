namespace Journeys.Runtime;

/// <summary>Reads the state of this host's Journeys engine (<see cref="JourneyEngineStatus"/>), for health checks and dashboards.</summary>
/// <remarks>
/// Registered by <c>AddJourneys()</c>. Reading a status takes no store call and no lock the engine's work waits on, so it
/// may be polled often. <c>Journeys.AspNetCore</c> turns it into a health check (<c>AddHealthChecks().AddJourneys()</c>).
/// </remarks>
public interface IJourneyEngineMonitor
{
    /// <summary>The engine's state now.</summary>
    /// <returns>A snapshot: later changes do not show in it.</returns>
    JourneyEngineStatus GetStatus();
}

/// <summary>Where this host's engine is in its life.</summary>
public enum JourneyEngineState
{
    /// <summary>The host has not started the engine (its hosted service has not run yet, or the host does not run it).</summary>
    NotStarted,

    /// <summary>The engine runs: it claims due work, runs it and sends its messages.</summary>
    Running,

    /// <summary>The engine stopped with its host; its unfinished work was handed back for another host or the next start.</summary>
    Stopped,

    /// <summary>
    /// One of the engine's loops (a shard worker, a dispatcher, the pump, the lease renewal, the entry-window intakes,
    /// the event purge) ended while the host ran, with an exception no loop expects (or at all): the engine stopped its
    /// other loops, handed its unfinished work back to the store (another host takes it at once), and its background run
    /// failed with a <see cref="JourneyEngineFaultedException"/>, so the host stopped, or, with
    /// <c>BackgroundServiceExceptionBehavior.Ignore</c>, runs on without an engine until it restarts.
    /// <see cref="JourneyEngineStatus.Fault"/> says which loop and what.
    /// </summary>
    Faulted,
}

/// <summary>The state of a channel's circuit breaker (<see cref="Messaging.ChannelPolicyOptions"/>).</summary>
public enum ChannelCircuitState
{
    /// <summary>Sends go through.</summary>
    Closed,

    /// <summary>Too many sends failed transiently: sends are refused (and retried later) until the break ends.</summary>
    Open,

    /// <summary>The break ended: the next send tests whether the provider is back.</summary>
    HalfOpen,

    /// <summary>Held open by hand.</summary>
    Isolated,
}

/// <summary>A channel with a registered sender, and its circuit breaker's state.</summary>
/// <param name="Channel">The channel's name.</param>
/// <param name="Circuit">The state of the channel's circuit breaker.</param>
public sealed record ChannelStatus(string Channel, ChannelCircuitState Circuit);

/// <summary>A snapshot of this host's engine (<see cref="IJourneyEngineMonitor.GetStatus"/>).</summary>
public sealed class JourneyEngineStatus
{
    /// <summary>Creates a snapshot.</summary>
    /// <param name="ownerId">The engine's owner id (<see cref="JourneysOptions.OwnerId"/>).</param>
    /// <param name="state">Where the engine is in its life.</param>
    /// <param name="fault">What stopped the engine (<see cref="Fault"/>), or <see langword="null"/>.</param>
    /// <param name="storeFailingSince">Since when a store call of the engine has been failing, if one is.</param>
    /// <param name="storeFailure">The failing store call and the exception's type, if one is.</param>
    /// <param name="channels">The channels with a sender and their circuits.</param>
    /// <param name="inboxDepth">Work items waiting in the shard inboxes.</param>
    /// <param name="inFlight">Enrollments claimed and not committed yet.</param>
    /// <param name="checkedAt">When the snapshot was taken (the engine's clock).</param>
    public JourneyEngineStatus(
        string ownerId,
        JourneyEngineState state,
        string? fault,
        DateTimeOffset? storeFailingSince,
        string? storeFailure,
        IReadOnlyList<ChannelStatus> channels,
        int inboxDepth,
        int inFlight,
        DateTimeOffset checkedAt)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        ArgumentNullException.ThrowIfNull(channels);
        OwnerId = ownerId;
        State = state;
        Fault = fault;
        StoreFailingSince = storeFailingSince;
        StoreFailure = storeFailure;
        Channels = channels;
        InboxDepth = inboxDepth;
        InFlight = inFlight;
        CheckedAt = checkedAt;
    }

    /// <summary>The engine's owner id (<see cref="JourneysOptions.OwnerId"/>): the host among those sharing a store.</summary>
    public string OwnerId { get; }

    /// <summary>Where the engine is in its life.</summary>
    public JourneyEngineState State { get; }

    /// <summary>
    /// The loop whose end stopped the engine and the exception's type (never its message, which may carry customer data;
    /// the whole exception is in the log): set when <see cref="State"/> is <see cref="JourneyEngineState.Faulted"/>, and
    /// kept once the host stopped after it (<see cref="JourneyEngineState.Stopped"/>); else <see langword="null"/>.
    /// </summary>
    public string? Fault { get; }

    /// <summary>
    /// Since when (the engine's clock) a store call of the engine has failed at every attempt (a claim, a commit, a
    /// customer read, an outbox call), or <see langword="null"/> when the last attempt of each succeeded. The engine
    /// retries such calls on its own; nothing is lost while it does, but no work is done either.
    /// </summary>
    public DateTimeOffset? StoreFailingSince { get; }

    /// <summary>The store call failing longest and its exception's type (<c>claim: NpgsqlException</c>), or <see langword="null"/>.</summary>
    public string? StoreFailure { get; }

    /// <summary>The channels with a registered sender, in name order, with the state of each one's circuit breaker.</summary>
    public IReadOnlyList<ChannelStatus> Channels { get; }

    /// <summary>Work items waiting in the shard inboxes.</summary>
    public int InboxDepth { get; }

    /// <summary>Enrollments claimed by this engine and not committed yet.</summary>
    public int InFlight { get; }

    /// <summary>When the snapshot was taken (the engine's <see cref="TimeProvider"/>).</summary>
    public DateTimeOffset CheckedAt { get; }
}
