namespace Journeys.Runtime;

/// <summary>
/// The Journeys engine stopped because one of its loops (a shard worker, a dispatcher, the pump, the lease renewal, the
/// entry-window intakes, the event purge) ended while the host ran: the engine's background run fails with it, so the
/// host does what <c>HostOptions.BackgroundServiceExceptionBehavior</c> says
/// (<c>StopHost</c>, .NET's default, stops the host; <c>Ignore</c> keeps it running with the engine
/// <see cref="JourneyEngineState.Faulted"/>, as <see cref="IJourneyEngineMonitor.GetStatus"/> and the health check
/// report). The engine's unfinished work was handed back to the store first, so another host, or this one once
/// restarted, takes it at once.
/// </summary>
/// <remarks>
/// The exception that ended the loop is not the inner exception: its message may carry customer data, and hosts log a
/// failed background service above Debug level. It was logged when it happened (its type and stack trace at Critical
/// level, the whole exception at Debug level, category <c>Journeys.Runtime.JourneyEngine</c>).
/// </remarks>
public sealed class JourneyEngineFaultedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public JourneyEngineFaultedException()
        : base("The Journeys engine stopped: one of its loops ended while the host ran.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What failed.</param>
    public JourneyEngineFaultedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The cause.</param>
    public JourneyEngineFaultedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    private JourneyEngineFaultedException(string fault, bool _)
        : base($"The Journeys engine stopped because a loop of it ended while the host ran ({fault}); its unfinished work was handed back to the store. The loop's exception was logged when it happened (its message at Debug level only). Restart the host.")
    {
        Fault = fault;
    }

    /// <summary>
    /// The loop that ended and the exception's type (<c>shard worker 1: InvalidOperationException</c>), as
    /// <see cref="JourneyEngineStatus.Fault"/> says it; <see langword="null"/> only from the public constructors.
    /// </summary>
    public string? Fault { get; }

    /// <summary>The exception for the engine's first fault.</summary>
    /// <param name="fault">The loop and the exception's type.</param>
    /// <returns>The exception.</returns>
    internal static JourneyEngineFaultedException For(string fault) => new(fault, true);
}
