using System.Threading.Channels;
using Journeys.Model;
using Journeys.Sendings;
using Journeys.Storage;
using Microsoft.Extensions.Logging;

namespace Journeys.Runtime;

/// <summary>
/// The intake of an activated journey's audience (all customers, a list, a filter): at the activation, or when the entry
/// window opens if the journey was activated before it.
/// </summary>
/// <remarks>
/// The activation saves the intake (a new <see cref="JourneyIntake.Id"/>) with the journey active, in one store step
/// (<see cref="IJourneyStore.SaveWithIntakeAsync"/>), so an activation whose save is refused leaves no intake; it is
/// pending in the store until its audience has entered. The host that runs it claims it first (<see cref="IJourneyStore.ClaimIntakeAsync"/>, for <see cref="IntakeLease"/>, renewed
/// before each chunk of customers), so two hosts do not both run it; the journey record is not saved again, so its ETag
/// does not change. An activation without a window runs its intake itself; the intake of a window runs on whichever host
/// claims it first after the window opens (<see cref="RunEntryWindowsAsync"/>). Each enrollment the intake makes has an id
/// derived from the intake's id and the customer's (<see cref="EnrollmentIds.ForIntake"/>): a host that dies (or a store
/// that fails) part-way leaves the intake claimed; when the claim expires, a host claims it again, finds the enrollments
/// the earlier run made by their ids (ended ones too: a customer who finished meanwhile is not enrolled again, whatever
/// the re-entry rule) and enrolls the rest. A stop, a delete or a new version ends the intake: the store removes it with
/// the journey's save (<see cref="IJourneyStore.SaveAsync"/>) or delete, and a run in progress stops at its next chunk
/// (the intake of a new version's activation replaces it).
/// </remarks>
internal sealed partial class JourneyManager
{
    /// <summary>The longest single wait for a window's start (a timer has an upper bound); the intakes then look again.</summary>
    private static readonly TimeSpan LongestIntakeWait = TimeSpan.FromDays(1);

    /// <summary>How long the intakes wait after a store failure before they look again.</summary>
    private static readonly TimeSpan IntakeRetryDelay = TimeSpan.FromSeconds(5);

    /// <summary>The longest a stopped run waits for the store to take its claim back.</summary>
    private static readonly TimeSpan IntakeReleaseTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The shortest claim on an intake: renewed once per chunk of 1,000 customers, it must outlast a chunk on a loaded store.</summary>
    private static readonly TimeSpan MinIntakeLease = TimeSpan.FromSeconds(30);

    /// <summary>How long a claim on an intake holds: <see cref="JourneysOptions.LeaseDuration"/>, at least <see cref="MinIntakeLease"/>.</summary>
    private TimeSpan IntakeLease => engine.LeaseDuration > MinIntakeLease ? engine.LeaseDuration : MinIntakeLease;

    /// <summary>Whether activating <paramref name="journey"/> enrolls an audience (an intake); an event journey's customers enter with their events.</summary>
    private static bool HasAudience(JourneyDefinition journey) => journey.Entry is AllCustomersEntry or CustomerListEntry or FilterEntry;

    /// <summary>
    /// Runs the pending intakes as they become due, until <paramref name="stoppingToken"/> is cancelled: looks at the
    /// intakes, runs those whose window has opened and which no live host holds, and sleeps until the next start or claim
    /// expiry or until a journey changes (<see cref="JourneyEngine.NotifyJourneysChanged"/>: an activation here, any save
    /// on another host sharing the store). Run by the hosted service beside the engine.
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

    /// <summary>
    /// Runs the pending intakes that are due: their time has come, their journey is active at their version, and nobody
    /// holds them (never claimed, the claim expired, or claimed by this host in a run that ended). When to look again
    /// (<see langword="null"/>: when a journey changes).
    /// </summary>
    internal async ValueTask<DateTimeOffset?> RunDueIntakesAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        DateTimeOffset? next = null;
        List<(JourneyIntake Intake, JourneyRecord Record)>? due = null;
        await foreach (var intake in journeys.ListIntakesAsync(cancellationToken).ConfigureAwait(false))
        {
            if (engine.RunningIntakes.ContainsKey(intake.Id))
            {
                continue;
            }

            var record = await journeys.GetAsync(intake.JourneyId, cancellationToken).ConfigureAwait(false);
            if (record is null || record.Journey.Status != JourneyStatus.Active || record.Journey.Version != intake.Version)
            {
                // Stopped, deleted or replaced by a new version (or not saved active yet: the activation then runs it).
                continue;
            }

            var at = intake.OpensAt;
            if (intake.Owner is { } owner && !string.Equals(owner, engine.OwnerId, StringComparison.Ordinal) && intake.LeaseExpiresAt is { } expires && expires > at)
            {
                at = expires;
            }

            if (at <= now)
            {
                (due ??= []).Add((intake, record));
            }
            else if (next is null || at < next)
            {
                next = at;
            }
        }

        if (due is null)
        {
            return next;
        }

        var failed = false;
        foreach (var (intake, record) in due)
        {
            try
            {
                await RunIntakeAsync(intake, record, null, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // The intake stays claimed by this host: tried again after a pause, not in a loop.
                LogIntakeFailed(logger, intake.JourneyId, intake.Version, ex);
                failed = true;
            }
        }

        // Otherwise look again at once: an intake another host held may be due, or a claim that lost may have left one.
        return failed ? time.GetUtcNow() + IntakeRetryDelay : now;
    }

    /// <summary>
    /// Claims <paramref name="intake"/> and, if this call won it, enrolls the audience not enrolled by an earlier run of
    /// it, then completes it. How many this run enrolled, or <see langword="null"/> when another host holds it or it is no
    /// longer pending. <paramref name="journey"/> is the activated version when the activation runs it, else compiled here.
    /// </summary>
    internal async ValueTask<int?> RunIntakeAsync(JourneyIntake intake, JourneyRecord record, CompiledJourney? journey, CancellationToken cancellationToken)
    {
        var owner = engine.OwnerId;

        // The activation that saved the intake marked it running (and saved it claimed) before saving the journey active.
        var byActivation = journey is not null;
        if (!byActivation && !engine.RunningIntakes.TryAdd(intake.Id, true))
        {
            return null;
        }

        var claimed = false;
        try
        {
            var before = await journeys.ClaimIntakeAsync(intake.JourneyId, intake.Id, owner, time.GetUtcNow(), IntakeLease, cancellationToken).ConfigureAwait(false);
            if (before is null)
            {
                // Another host holds it, or it was completed or replaced (a new activation) since it was read.
                LogIntakeNotClaimed(logger, intake.JourneyId, intake.Version);
                return null;
            }

            claimed = true;

            if (record.Journey.EntryRules.WindowEnd is { } end && time.GetUtcNow() >= end)
            {
                // No host ran between the window's start and its end: every entry would be refused.
                LogIntakeMissed(logger, intake.JourneyId, intake.Version, end);
                await journeys.CompleteIntakeAsync(intake.JourneyId, intake.Id, owner, cancellationToken).ConfigureAwait(false);
                return 0;
            }

            journey ??= await compiled.FindActiveAsync(record, cancellationToken).ConfigureAwait(false);
            if (journey is null || journey.Version != intake.Version)
            {
                return null;
            }

            // Claimed before (by a host that died, a run that failed, or this host before a restart): the enrollments
            // that run made are found by their ids, so nobody enters twice.
            HashSet<Guid>? enrolled = null;
            if (before.Owner is not null && !byActivation)
            {
                enrolled = await IntakeEnrollmentsAsync(intake, cancellationToken).ConfigureAwait(false);
                LogIntakeResumed(logger, intake.JourneyId, intake.Version, enrolled.Count);
            }

            var run = new IntakeRun(intake, enrolled);
            var created = await EnrollAudienceAsync(journey, run, cancellationToken).ConfigureAwait(false);
            if (run.Ended)
            {
                // Lost its claim, or the journey was stopped or changed: nothing to complete here.
                return created;
            }

            await journeys.CompleteIntakeAsync(intake.JourneyId, intake.Id, owner, cancellationToken).ConfigureAwait(false);
            LogIntakeRan(logger, intake.JourneyId, intake.Version, created, enrolled?.Count ?? 0);
            return created;
        }
        catch (OperationCanceledException) when (claimed && cancellationToken.IsCancellationRequested)
        {
            // Stopped part-way (the host stopping, or the activation's caller gone): the claim is given back, so any
            // host (this one restarted included) resumes the rest at once instead of after the claim's expiry.
            await ReleaseIntakeAsync(intake).ConfigureAwait(false);
            throw;
        }
        finally
        {
            engine.RunningIntakes.TryRemove(intake.Id, out _);
        }
    }

    /// <summary>
    /// Gives back this host's claim on <paramref name="intake"/> (<see cref="IJourneyStore.ReleaseIntakeAsync"/>), bounded
    /// in time; a failure is logged and the claim then expires as after a crash.
    /// </summary>
    private async ValueTask ReleaseIntakeAsync(JourneyIntake intake)
    {
        using var bounded = new CancellationTokenSource(IntakeReleaseTimeout);
        try
        {
            var released = await journeys.ReleaseIntakeAsync(intake.JourneyId, intake.Id, engine.OwnerId, time.GetUtcNow(), bounded.Token).ConfigureAwait(false);
            LogIntakeHandedBack(logger, intake.JourneyId, intake.Version, released);
            if (released)
            {
                // This host's own runner (when it still runs) takes it again too.
                engine.NotifyJourneysChanged();
            }
        }
        catch (Exception ex)
        {
            LogIntakeReleaseFailed(logger, intake.JourneyId, intake.Version, ex);
        }
    }

    /// <summary>The ids of the enrollments an earlier run of <paramref name="intake"/> made, ended ones included.</summary>
    private async ValueTask<HashSet<Guid>> IntakeEnrollmentsAsync(JourneyIntake intake, CancellationToken cancellationToken)
    {
        var ids = new HashSet<Guid>();
        await foreach (var enrollment in enrollments.ListByJourneyAsync(intake.JourneyId, intake.Version, cancellationToken).ConfigureAwait(false))
        {
            if (enrollment.Id == EnrollmentIds.ForIntake(intake.OpensAt, intake.Id, enrollment.CustomerId))
            {
                ids.Add(enrollment.Id);
            }
        }

        return ids;
    }

    /// <summary>
    /// Renews the run's claim before a chunk of customers is enrolled; false (and the run ended) when another host took
    /// the intake over or it is no longer pending (a stop, a delete or a new version removed it).
    /// </summary>
    private async ValueTask<bool> RenewIntakeAsync(IntakeRun run, CancellationToken cancellationToken)
    {
        var intake = run.Intake;
        if (await journeys.ClaimIntakeAsync(intake.JourneyId, intake.Id, engine.OwnerId, time.GetUtcNow(), IntakeLease, cancellationToken).ConfigureAwait(false) is null)
        {
            LogIntakeLost(logger, intake.JourneyId, intake.Version);
            run.Ended = true;
            return false;
        }

        return true;
    }

    /// <summary>One run of an intake: the intake, the enrollments an earlier run made (by id), and whether the run ended before the audience did.</summary>
    private sealed class IntakeRun(JourneyIntake intake, HashSet<Guid>? enrolled)
    {
        public JourneyIntake Intake { get; } = intake;

        /// <summary>The enrollment id of <paramref name="customerId"/>'s entry, or <see langword="null"/> when an earlier run enrolled the customer.</summary>
        public Guid? EnrollmentId(string customerId)
        {
            var id = EnrollmentIds.ForIntake(Intake.OpensAt, Intake.Id, customerId);
            return enrolled is not null && enrolled.Contains(id) ? null : id;
        }

        /// <summary>The run stopped early: its claim was lost, or the journey was stopped or changed.</summary>
        public bool Ended { get; set; }
    }

    /// <summary>
    /// Waits until <paramref name="due"/> on the manager's clock (at most <see cref="LongestIntakeWait"/>) or a signal;
    /// false when stopping. The wait is for an instant: if the clock moved while the timer was set up (a fake clock can
    /// jump), the timer is set up again, and an instant the clock reached meanwhile ends the wait at once.
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
            if (JourneyEngine.MustSetAgain(time, now, now + left, attempt))
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

    [LoggerMessage(23, LogLevel.Information, "Journey {JourneyId} version {Version}: its audience's intake completed; {Enrolled} customers enrolled by this run, {EarlierRun} by an earlier run")]
    private static partial void LogIntakeRan(ILogger logger, string journeyId, int version, int enrolled, int earlierRun);

    [LoggerMessage(24, LogLevel.Debug, "Journey {JourneyId} version {Version}: the audience's intake is held by another host, or was completed or replaced first")]
    private static partial void LogIntakeNotClaimed(ILogger logger, string journeyId, int version);

    [LoggerMessage(25, LogLevel.Warning, "Journey {JourneyId} version {Version}: no host ran while its entry window was open (it ended at {End:O}); its audience was not enrolled")]
    private static partial void LogIntakeMissed(ILogger logger, string journeyId, int version, DateTimeOffset end);

    [LoggerMessage(26, LogLevel.Error, "Journey {JourneyId} version {Version}: the audience's intake failed; it is resumed later")]
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

    [LoggerMessage(28, LogLevel.Warning, "Journey {JourneyId} version {Version}: resuming the audience's intake left part-way by an earlier run ({EarlierRun} customers enrolled by it)")]
    private static partial void LogIntakeResumed(ILogger logger, string journeyId, int version, int earlierRun);

    [LoggerMessage(29, LogLevel.Warning, "Journey {JourneyId} version {Version}: the audience's intake was taken over by another host (this host's claim expired) or ended (the journey was stopped, deleted or changed); this run stops")]
    private static partial void LogIntakeLost(ILogger logger, string journeyId, int version);

    [LoggerMessage(32, LogLevel.Information, "Journey {JourneyId} version {Version}: the audience's intake stopped part-way; its claim was handed back ({Released}) so another run resumes it at once")]
    private static partial void LogIntakeHandedBack(ILogger logger, string journeyId, int version, bool released);

    [LoggerMessage(33, LogLevel.Warning, "Journey {JourneyId} version {Version}: the audience's intake stopped part-way and its claim could not be handed back; it is resumed when the claim expires")]
    private static partial void LogIntakeReleaseFailedRedacted(ILogger logger, string journeyId, int version, Exception exception);

    /// <summary><see cref="LogIntakeReleaseFailedRedacted"/> with the exception's message withheld, then the whole exception at Debug level.</summary>
    private static void LogIntakeReleaseFailed(ILogger logger, string journeyId, int version, Exception exception)
    {
        LogIntakeReleaseFailedRedacted(logger, journeyId, version, RedactedException.From(exception));
        FailureDetailLog.Write(logger, exception);
    }
}
