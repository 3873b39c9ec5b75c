namespace Journeys.Serialization.StateDocuments;

/// <summary>A journey could not be written as a state document: one of its nodes or conditions has no form there. <see cref="NodeId"/> says which.</summary>
public sealed class JourneyStateExportException : Exception
{
    /// <summary>Creates the exception.</summary>
    public JourneyStateExportException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What cannot be written.</param>
    public JourneyStateExportException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What cannot be written.</param>
    /// <param name="innerException">The cause.</param>
    public JourneyStateExportException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception about one node (or the entry, when <paramref name="nodeId"/> is <see langword="null"/>).</summary>
    /// <param name="nodeId">The node that cannot be written.</param>
    /// <param name="message">Why.</param>
    public JourneyStateExportException(string? nodeId, string message)
        : base(message)
    {
        NodeId = nodeId;
    }

    /// <summary>The node that cannot be written; <see langword="null"/> for the journey's entry or the journey as a whole.</summary>
    public string? NodeId { get; }
}
