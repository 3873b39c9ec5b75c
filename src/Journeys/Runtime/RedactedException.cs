using Microsoft.Extensions.Logging;

namespace Journeys.Runtime;

/// <summary>
/// An exception's type and stack trace without its message, for logs above Debug level. The engine logs failures of
/// code it does not control (a host's customer store or sender, a store's driver): their messages may name a customer
/// or a field value, which stays out of logs above Debug, while the type and the stack trace (method names only) are
/// what an operator needs to find the cause. The whole exception is logged at Debug level next to it. Never thrown.
/// </summary>
/// <remarks>
/// <see cref="Exception.ToString"/> (what logging providers write) reads the overridden <see cref="StackTrace"/>, so a
/// provider writes the original frames; each inner exception is redacted the same way.
/// </remarks>
#pragma warning disable CA1064, CA1032 // Never thrown or caught: only handed to a logger in place of the original.
internal sealed class RedactedException : Exception
#pragma warning restore CA1064, CA1032
{
    private readonly string? _stackTrace;

    private RedactedException(Exception original)
        : base(Describe(original), original.InnerException is { } inner ? new RedactedException(inner) : null)
    {
        _stackTrace = original.StackTrace;
        OriginalType = original.GetType();
        HResult = original.HResult;
    }

    /// <summary>The type of the exception this one stands for.</summary>
    public Type OriginalType { get; }

    /// <inheritdoc />
    public override string? StackTrace => _stackTrace;

    /// <summary>The exception without its message (and its inner exceptions' messages).</summary>
    /// <param name="exception">The exception to log above Debug level.</param>
    /// <returns>Its redacted stand-in.</returns>
    public static Exception From(Exception exception) =>
        exception as RedactedException ?? new RedactedException(exception);

    private static string Describe(Exception exception) =>
        $"{exception.GetType().FullName} (its message is logged at Debug level only: it may carry customer data)";
}

/// <summary>The Debug-level entry that follows a failure logged with a <see cref="RedactedException"/>: the whole exception.</summary>
internal static partial class FailureDetailLog
{
    /// <summary>Logs the whole exception (message included) at Debug level.</summary>
    /// <param name="logger">The logger the failure was logged to.</param>
    /// <param name="exception">The original exception.</param>
    [LoggerMessage(90, LogLevel.Debug, "The whole exception of the failure logged before (its message may carry customer data)")]
    public static partial void Write(ILogger logger, Exception exception);
}
