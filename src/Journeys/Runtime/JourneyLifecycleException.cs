namespace Journeys.Runtime;

/// <summary>
/// A lifecycle operation (activate, enroll) was refused because of the journey's state: it is archived, its entry
/// window has ended, it is not active, or it was stopped meanwhile. Nothing was saved by the refused operation. An
/// <see cref="InvalidOperationException"/>, so callers that catch that keep working; the HTTP API answers 409.
/// </summary>
public sealed class JourneyLifecycleException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public JourneyLifecycleException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What was refused and why.</param>
    public JourneyLifecycleException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">What was refused and why.</param>
    /// <param name="innerException">The cause.</param>
    public JourneyLifecycleException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a journey.</summary>
    /// <param name="journeyId">The journey.</param>
    /// <param name="reason">Why the operation was refused.</param>
    /// <param name="message">What was refused and why, naming the journey.</param>
    public JourneyLifecycleException(string journeyId, JourneyLifecycleRefusal reason, string message)
        : base(message)
    {
        JourneyId = journeyId;
        Reason = reason;
    }

    /// <summary>The journey whose operation was refused (<see langword="null"/> only from the message-only constructors).</summary>
    public string? JourneyId { get; }

    /// <summary>Why the operation was refused.</summary>
    public JourneyLifecycleRefusal Reason { get; }
}
