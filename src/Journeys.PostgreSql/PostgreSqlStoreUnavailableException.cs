using Journeys.Storage;

namespace Journeys.PostgreSql;

/// <summary>The PostgreSQL database could not be reached, or kept failing transiently, through every retry of an operation.</summary>
public sealed class PostgreSqlStoreUnavailableException : StoreUnavailableException
{
    /// <summary>Creates the exception.</summary>
    public PostgreSqlStoreUnavailableException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What failed, where, and after how many attempts.</param>
    public PostgreSqlStoreUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the last failure.</summary>
    /// <param name="message">What failed, where, and after how many attempts.</param>
    /// <param name="innerException">The last failure.</param>
    public PostgreSqlStoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
