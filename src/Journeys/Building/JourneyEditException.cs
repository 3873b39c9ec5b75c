namespace Journeys.Building;

/// <summary>A draft edit (add, replace or remove a node; clone) was refused; the message says what and where.</summary>
public sealed class JourneyEditException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public JourneyEditException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What was refused and why.</param>
    public JourneyEditException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">What was refused and why.</param>
    /// <param name="innerException">The cause.</param>
    public JourneyEditException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a journey and node.</summary>
    /// <param name="journeyId">The journey.</param>
    /// <param name="nodeId">The node concerned, or <see langword="null"/>.</param>
    /// <param name="message">What was refused and why.</param>
    public JourneyEditException(string journeyId, string? nodeId, string message)
        : base(message)
    {
        JourneyId = journeyId;
        NodeId = nodeId;
    }

    /// <summary>Creates the exception for a journey and node, saying whether the edit itself was malformed.</summary>
    /// <param name="journeyId">The journey.</param>
    /// <param name="nodeId">The node concerned, or <see langword="null"/>.</param>
    /// <param name="message">What was refused and why.</param>
    /// <param name="isInvalidInput">Whether the edit was refused for what it is (an invalid node id), whatever the journey's state.</param>
    public JourneyEditException(string journeyId, string? nodeId, string message, bool isInvalidInput)
        : this(journeyId, nodeId, message)
    {
        IsInvalidInput = isInvalidInput;
    }

    /// <summary>
    /// Whether the edit was refused for what it is (an invalid node id: 400 over HTTP), not because of the journey it
    /// was applied to (not editable, a node id already used, an edge it would leave dangling: 409).
    /// </summary>
    public bool IsInvalidInput { get; }

    /// <summary>The journey whose edit was refused.</summary>
    public string? JourneyId { get; }

    /// <summary>The node concerned, when there is one.</summary>
    public string? NodeId { get; }
}
