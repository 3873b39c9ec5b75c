using Journeys.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Journeys.Runtime;

/// <summary>
/// Keeps the stores' customer events and event ids to what <see cref="JourneysOptions.EventRetention"/> and
/// <see cref="JourneysOptions.EventIdWindow"/> promise: run by the hosted service beside the engine, it calls
/// <see cref="IEnrollmentStore.PurgeEventsAsync"/> at start and then every <see cref="Interval"/>, with the cut-off
/// now minus the longer of the two. Without it, events and ids were kept for ever in every store.
/// </summary>
/// <remarks>
/// The store removes only events every enrollment has seen, so a purge never takes an event from an enrollment that
/// has not read it. Hosts sharing a store each purge (the call is idempotent). A failed purge is logged and tried
/// again at the next interval.
/// <para>
/// With <see cref="JourneysOptions.EnrollmentRetention"/> set, each pass also deletes the ended enrollments older than
/// it (<see cref="IEnrollmentStore.PurgeEndedAsync"/>), each customer's latest in each journey kept.
/// </para>
/// <para>
/// When the frequency cap is on and the outbox store keeps the record of sends (<see cref="IFrequencyCapStore"/>), each
/// pass also removes the sends older than the cap's window (<see cref="IFrequencyCapStore.PurgeSendsAsync"/>), so the
/// record follows the customers sent to within one window.
/// </para>
/// </remarks>
internal sealed partial class EventPurger(IEnrollmentStore enrollments, IOutboxStore outbox, IOptions<JourneysOptions> options, TimeProvider time, ILogger<EventPurger> logger)
{
    private static readonly TimeSpan ShortestInterval = TimeSpan.FromMinutes(1);

    private static readonly TimeSpan LongestInterval = TimeSpan.FromHours(1);

    /// <summary>How long events and ids are kept: the longer of the retention and the id window.</summary>
    internal static TimeSpan Kept(JourneysOptions options) =>
        options.EventRetention > options.EventIdWindow ? options.EventRetention : options.EventIdWindow;

    /// <summary>How often the purge runs: a quarter of <see cref="Kept"/>, from 1 minute to 1 hour.</summary>
    internal static TimeSpan Interval(JourneysOptions options) =>
        TimeSpan.FromTicks(Math.Clamp(Kept(options).Ticks / 4, ShortestInterval.Ticks, LongestInterval.Ticks));

    /// <summary>Purges now and then every <see cref="Interval"/> until <paramref name="stoppingToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var kept = Kept(options.Value);
        var interval = Interval(options.Value);
        while (!stoppingToken.IsCancellationRequested)
        {
            await PurgeAsync(enrollments.PurgeEventsAsync, time.GetUtcNow() - kept, LogPurged, LogPurgeFailedRedacted, interval, stoppingToken).ConfigureAwait(false);
            if (options.Value.SendPolicy.FrequencyCap is not null && outbox is IFrequencyCapStore sends)
            {
                // The frequency cap's records of sends out of its window.
                await PurgeAsync(sends.PurgeSendsAsync, time.GetUtcNow() - options.Value.SendPolicy.FrequencyCapWindow, LogSendsPurged, LogSendPurgeFailedRedacted, interval, stoppingToken).ConfigureAwait(false);
            }

            if (options.Value.EnrollmentRetention is { } retention)
            {
                await PurgeAsync(enrollments.PurgeEndedAsync, time.GetUtcNow() - retention, LogEndedPurged, LogEndedPurgeFailedRedacted, interval, stoppingToken).ConfigureAwait(false);
            }

            try
            {
                await Task.Delay(interval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Runs one purge with its cut-off and logs what it removed; a failure is logged (the exception's message at Debug
    /// level only) and the purge is tried again at the next interval. The host's stop ends it quietly (the loop then
    /// sees the stop).
    /// </summary>
    private async ValueTask PurgeAsync(
        Func<DateTimeOffset, CancellationToken, ValueTask<int>> purge,
        DateTimeOffset cutOff,
        Action<ILogger, int, DateTimeOffset> purged,
        Action<ILogger, TimeSpan, Exception> failed,
        TimeSpan interval,
        CancellationToken stoppingToken)
    {
        try
        {
            purged(logger, await purge(cutOff, stoppingToken).ConfigureAwait(false), cutOff);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            failed(logger, interval, RedactedException.From(ex));
            FailureDetailLog.Write(logger, ex);
        }
    }

    [LoggerMessage(64, LogLevel.Debug, "Purged {Removed} ended enrollments that ended before {CutOff:O}")]
    private static partial void LogEndedPurged(ILogger logger, int removed, DateTimeOffset cutOff);

    [LoggerMessage(65, LogLevel.Warning, "Purging old ended enrollments failed; trying again in {Interval}")]
    private static partial void LogEndedPurgeFailedRedacted(ILogger logger, TimeSpan interval, Exception exception);

    [LoggerMessage(62, LogLevel.Debug, "Purged {Removed} frequency-cap send records older than {CutOff:O}")]
    private static partial void LogSendsPurged(ILogger logger, int removed, DateTimeOffset cutOff);

    [LoggerMessage(63, LogLevel.Warning, "Purging old frequency-cap send records failed; trying again in {Interval}")]
    private static partial void LogSendPurgeFailedRedacted(ILogger logger, TimeSpan interval, Exception exception);

    [LoggerMessage(60, LogLevel.Debug, "Purged {Removed} customer events and event ids older than {CutOff:O}")]
    private static partial void LogPurged(ILogger logger, int removed, DateTimeOffset cutOff);

    [LoggerMessage(61, LogLevel.Warning, "Purging old customer events and event ids failed; trying again in {Interval}")]
    private static partial void LogPurgeFailedRedacted(ILogger logger, TimeSpan interval, Exception exception);
}
