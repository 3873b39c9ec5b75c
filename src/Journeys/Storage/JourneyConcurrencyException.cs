using Journeys.Model;

namespace Journeys.Storage;

/// <summary>A write lost a race: the journey changed since it was read, or already exists, or does not exist.</summary>
public sealed class JourneyConcurrencyException : Exception
{
    /// <summary>Creates the exception.</summary>
    public JourneyConcurrencyException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What conflicted.</param>
    public JourneyConcurrencyException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What conflicted.</param>
    /// <param name="innerException">The cause.</param>
    public JourneyConcurrencyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
