using System.Threading.Channels;
using Journeys.Model;
using Journeys.Sendings;
using Journeys.Storage;
using Microsoft.Extensions.Logging;

namespace Journeys.Runtime;

/// <summary>
/// The intake of an audience (all customers, a list, a filter) whose journey was activated before its entry window
/// opened: the audience enters when the window opens.
/// </summary>
/// <remarks>
/// The state is the journey record itself, so nothing is added to the stores: a record that is the journey's latest,
/// active, of such an audience, and saved (<see cref="JourneyRecord.UpdatedAt"/>) before its window's start has its
/// intake pending. At the start, a host claims the intake by saving the same record again under the ETag it read
/// (<see cref="IJourneyStore.SaveAsync"/>): the save stamps a time at or after the start, so the intake is no longer
/// pending, and the ETag lets one claim win among retries and hosts sharing a store (the others get a
/// <see cref="JourneyConcurrencyException"/> and enroll nobody). A stop, a delete or a new version (an update) before the
/// start changes the latest record, which then has no intake pending: the intake is dropped (a new version activated
/// before the window gets its own). A host that was down at the start claims the intake when it starts. As with an
/// activation's own intake, a host that dies after the claim while enrolling leaves the rest of the audience out
/// (entering twice would, under re-entry rules, send twice).
/// </remarks>
internal sealed partial class JourneyManager
{
    /// <summary>The longest single wait for a window's start (a timer has an upper bound); the intakes then look again.</summary>
    private static readonly TimeSpan LongestIntakeWait = TimeSpan.FromDays(1);

    /// <summary>How long the intakes wait after a store failure before they look again.</summary>
    private static readonly TimeSpan IntakeRetryDelay = TimeSpan.FromSeconds(5);

    /// <summary>The start of <paramref name="record"/>'s entry window when its audience's intake is pending (see the type's remarks), otherwise <see langword="null"/>.</summary>
    internal static DateTimeOffset? IntakeStart(JourneyRecord record)
    {
        var journey = record.Journey;
        return journey.Status == JourneyStatus.Active
            && journey.Entry is AllCustomersEntry or CustomerListEntry or FilterEntry
            && journey.EntryRules.WindowStart is { } start
            && record.UpdatedAt < start
            && !SendingJourneys.IsSending(journey.Id)
                ? start
                : null;
    }

    /// <summary>
    /// Runs the pending entry-window intakes as their windows open, until <paramref name="stoppingToken"/> is cancelled:
    /// looks at the journeys, runs the intakes whose window has opened, and sleeps until the next start or until a
    /// journey changes (<see cref="JourneyEngine.NotifyJourneysChanged"/>: an activation here, any save on another host
    /// sharing the store). Run by the hosted service beside the engine.
    /// </summary>
    internal async Task RunEntryWindowsAsync(CancellationToken stoppingToken)
    {
        var signal = engine.JourneysChanged;
        while (!stoppingToken.IsCancellationRequested)
        {
            // A change from here on wakes the wait below.
            signal.TryRead(out _);
            DateTimeOffset? next;
            try
            {
                next = await RunDueIntakesAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogIntakesFailed(logger, ex);
                next = time.GetUtcNow() + IntakeRetryDelay;
            }

            if (!await WaitForIntakeAsync(signal, next, stoppingToken).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <summary>Runs the intakes whose window has opened; when to look again (<see langword="null"/>: when a journey changes).</summary>
    private async ValueTask<DateTimeOffset?> RunDueIntakesAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        DateTimeOffset? next = null;
        List<JourneyRecord>? due = null;
        await foreach (var record in journeys.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            if (IntakeStart(record) is not { } start)
            {
                continue;
            }

            if (start <= now)
            {
                (due ??= []).Add(record);
            }
            else if (next is null || start < next)
            {
                next = start;
            }
        }

        if (due is null)
        {
            return next;
        }

        var failed = false;
        foreach (var record in due)
        {
            try
            {
                await RunIntakeAsync(record, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // A claim the store failed to save leaves the intake pending: tried again after a pause, not in a loop.
                LogIntakeFailed(logger, record.Journey.Id, record.Journey.Version, ex);
                failed = true;
            }
        }

        // Otherwise look again at once: a claim that lost to a change (a re-activation) may have left another intake pending.
        return failed ? time.GetUtcNow() + IntakeRetryDelay : now;
    }

    /// <summary>Claims one due intake (see the type's remarks) and, if this call won it, enrolls the audience.</summary>
    internal async ValueTask RunIntakeAsync(JourneyRecord record, CancellationToken cancellationToken)
    {
        var id = record.Journey.Id;
        JourneyRecord claimed;
        try
        {
            claimed = await journeys.SaveAsync(record.Journey, record.ETag, cancellationToken).ConfigureAwait(false);
        }
        catch (JourneyConcurrencyException)
        {
            // Another host claimed it, or the journey was stopped, deleted or updated since the read: not this call's.
            LogIntakeNotClaimed(logger, id, record.Journey.Version);
            return;
        }

        if (claimed.Journey.EntryRules.WindowEnd is { } end && time.GetUtcNow() >= end)
        {
            // No host ran between the window's start and its end: every entry would be refused.
            LogIntakeMissed(logger, id, claimed.Journey.Version, end);
            return;
        }

        var journey = await compiled.FindActiveAsync(claimed, cancellationToken).ConfigureAwait(false);
        if (journey is null || journey.Version != claimed.Journey.Version)
        {
            return;
        }

        var enrolled = await EnrollAudienceAsync(journey, cancellationToken).ConfigureAwait(false);
        LogIntakeRan(logger, id, journey.Version, enrolled);
    }

    /// <summary>
    /// Waits until <paramref name="due"/> on the manager's clock (at most <see cref="LongestIntakeWait"/>) or a signal;
    /// false when stopping. The wait is for an instant: if the clock moved while the timer was set up (a fake clock can
    /// jump), the timer is set up again.
    /// </summary>
    private async ValueTask<bool> WaitForIntakeAsync(ChannelReader<bool> signal, DateTimeOffset? due, CancellationToken stoppingToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var now = time.GetUtcNow();
            if (due <= now)
            {
                return !stoppingToken.IsCancellationRequested;
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var left = due is { } at && at - now < LongestIntakeWait ? at - now : LongestIntakeWait;
            var timer = Task.Delay(JourneyEngine.WholeMilliseconds(left), time, wait.Token);
            if (time.GetUtcNow() - now > TimeSpan.FromMilliseconds(5) && attempt < 3)
            {
                await wait.CancelAsync().ConfigureAwait(false);
                continue;
            }

            var changed = signal.WaitToReadAsync(wait.Token).AsTask();
            await Task.WhenAny(changed, timer).ConfigureAwait(false);
            await wait.CancelAsync().ConfigureAwait(false);
            return !stoppingToken.IsCancellationRequested;
        }
    }

    [LoggerMessage(22, LogLevel.Information, "Journey {JourneyId} version {Version} activated before its entry window: its audience enters when the window opens at {Start:O}")]
    private static partial void LogIntakeScheduled(ILogger logger, string journeyId, int version, DateTimeOffset start);

    [LoggerMessage(23, LogLevel.Information, "Journey {JourneyId} version {Version}: its entry window opened; {Enrolled} customers enrolled")]
    private static partial void LogIntakeRan(ILogger logger, string journeyId, int version, int enrolled);

    [LoggerMessage(24, LogLevel.Debug, "Journey {JourneyId} version {Version}: the entry window's intake was claimed by another host, or the journey changed first")]
    private static partial void LogIntakeNotClaimed(ILogger logger, string journeyId, int version);

    [LoggerMessage(25, LogLevel.Warning, "Journey {JourneyId} version {Version}: no host ran while its entry window was open (it ended at {End:O}); its audience was not enrolled")]
    private static partial void LogIntakeMissed(ILogger logger, string journeyId, int version, DateTimeOffset end);

    [LoggerMessage(26, LogLevel.Error, "Journey {JourneyId} version {Version}: the entry window's intake failed")]
    private static partial void LogIntakeFailedRedacted(ILogger logger, string journeyId, int version, Exception exception);

    /// <summary><see cref="LogIntakeFailedRedacted"/> with the exception's message withheld (it may name a customer), then the whole exception at Debug level.</summary>
    private static void LogIntakeFailed(ILogger logger, string journeyId, int version, Exception exception)
    {
        LogIntakeFailedRedacted(logger, journeyId, version, RedactedException.From(exception));
        FailureDetailLog.Write(logger, exception);
    }

    [LoggerMessage(27, LogLevel.Error, "The entry-window intakes could not read the journeys; retrying")]
    private static partial void LogIntakesFailedRedacted(ILogger logger, Exception exception);

    /// <summary><see cref="LogIntakesFailedRedacted"/> with the exception's message withheld, then the whole exception at Debug level.</summary>
    private static void LogIntakesFailed(ILogger logger, Exception exception)
    {
        LogIntakesFailedRedacted(logger, RedactedException.From(exception));
        FailureDetailLog.Write(logger, exception);
    }
}
