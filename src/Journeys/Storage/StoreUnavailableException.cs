namespace Journeys.Storage;

/// <summary>
/// A store could not reach its database through every retry of an operation (the database is down or unreachable).
/// Nothing of the operation was written, and it may succeed later: the engine gives such work back instead of
/// failing it. Durable stores throw a subclass naming the database.
/// </summary>
public class StoreUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StoreUnavailableException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What failed, where, and after how many attempts.</param>
    public StoreUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the last failure.</summary>
    /// <param name="message">What failed, where, and after how many attempts.</param>
    /// <param name="innerException">The last failure.</param>
    public StoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
