using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Journeys.QuickStart;

/// <summary>
/// Keeps the console short: prints the first warning or error of each kind (category and event id) and counts the
/// repeats, which <see cref="PrintRepeats"/> reports at the end.
/// </summary>
internal sealed class WarningSummaryLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentDictionary<(string Category, int EventId), int> _counts = new();

    public ILogger CreateLogger(string categoryName) => new SummaryLogger(categoryName, this);

    public void PrintRepeats()
    {
        foreach (var ((category, eventId), count) in _counts.Where(c => c.Value > 1).OrderBy(c => c.Key))
        {
            Console.WriteLine($"  ({category} event {eventId} was logged {count:N0} times in all)");
        }
    }

    public void Dispose()
    {
    }

    private sealed class SummaryLogger(string category, WarningSummaryLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            if (owner._counts.AddOrUpdate((category, eventId.Id), 1, static (_, n) => n + 1) == 1)
            {
                Console.WriteLine($"  {logLevel.ToString().ToUpperInvariant()} {category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception.GetType().Name)}");
            }
        }
    }
}
