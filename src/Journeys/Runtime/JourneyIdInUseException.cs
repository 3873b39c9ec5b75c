namespace Journeys.Runtime;

/// <summary>
/// A journey can not be created (or cloned) under an id that a deleted journey used: that journey's enrollments and
/// statistics are kept under the id, so a new journey there would start again at version 1 with their counters mixed
/// into its own, and its re-entry rules and entry cap would count that journey's customers.
/// </summary>
public sealed class JourneyIdInUseException : Exception
{
    /// <summary>Creates the exception for a journey id.</summary>
    /// <param name="journeyId">The id.</param>
    public JourneyIdInUseException(string journeyId)
        : base($"Journey id '{journeyId}' was used by a deleted journey whose enrollments and statistics are kept under it: create the journey under another id.")
    {
        JourneyId = journeyId;
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="journeyId">The id.</param>
    /// <param name="message">What conflicted.</param>
    /// <param name="innerException">The cause, or <see langword="null"/>.</param>
    public JourneyIdInUseException(string journeyId, string message, Exception? innerException)
        : base(message, innerException)
    {
        JourneyId = journeyId;
    }

    /// <summary>The id.</summary>
    public string JourneyId { get; }
}
