using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Journeys.Model;
using Journeys.Runtime;
using Journeys.Storage;
using Microsoft.Extensions.Logging;

namespace Journeys.Sendings;

/// <summary>
/// The <see cref="ISendingManager"/>: a sending is a system journey (one send node, then the end) that this manager
/// saves, compiles and enrolls its audience into directly, so it inherits the engine's outbox, policies, idempotency and
/// statistics. Its entry rules forbid re-entry, so a customer gets at most one message from one sending whatever
/// happens (an id listed twice, a pass resumed after a crash, two callers with the same sending id).
/// </summary>
internal sealed partial class SendingManager(
    IJourneyStore journeys,
    ICustomerStore customers,
    IEnrollmentStore enrollments,
    IStatisticsStore statistics,
    CompiledJourneyCache compiled,
    JourneyEngine engine,
    JourneyStopGuard guard,
    Audiences.IAudienceManager audiences,
    TimeProvider time,
    ILogger<SendingManager> logger) : ISendingManager
{
    private const int EnrollBatch = 1_000;

    /// <summary>The end reason of enrollments a sending's stop cancels.</summary>
    private const string StoppedReason = "sending stopped";

    /// <summary>The journey ids of the sendings whose enrolling pass runs in this process now.</summary>
    private readonly ConcurrentDictionary<string, byte> _passes = new(StringComparer.Ordinal);

    public ValueTask<SendingStatus> SendToAllAsync(SendingRequest request, CancellationToken cancellationToken = default) =>
        SendAsync(request, SendingAudience.AllCustomers, null, cancellationToken);

    public ValueTask<SendingStatus> SendToListAsync(SendingRequest request, IAsyncEnumerable<string> customerIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(customerIds);
        return SendAsync(request, SendingAudience.List, customerIds, cancellationToken);
    }

    public async ValueTask<SendingStatus?> GetAsync(string sendingId, CancellationToken cancellationToken = default)
    {
        var record = await journeys.GetAsync(SendingJourneys.JourneyIdOf(sendingId), cancellationToken).ConfigureAwait(false);
        return record is null ? null : await StatusAsync(record, cancellationToken).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<SendingStatus> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var record in journeys.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            if (SendingJourneys.IsSending(record.Journey.Id))
            {
                yield return await StatusAsync(record, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public IAsyncEnumerable<SendingStatus> ListPageAsync(string? afterSendingId, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return PageAsync(afterSendingId, limit, cancellationToken);
    }

    // The listing of journeys is in memory (the stores keep it while no journey changes): the page is picked from its
    // sendings before any counter is read.
    private async IAsyncEnumerable<SendingStatus> PageAsync(string? afterSendingId, int limit, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var after = afterSendingId is null ? null : SendingJourneys.JourneyIdPrefix + afterSendingId;
        var page = new List<JourneyRecord>();
        await foreach (var record in journeys.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            if (SendingJourneys.IsSending(record.Journey.Id) && (after is null || string.CompareOrdinal(record.Journey.Id, after) > 0))
            {
                page.Add(record);
            }
        }

        page.Sort(static (a, b) => string.CompareOrdinal(a.Journey.Id, b.Journey.Id));
        for (var i = 0; i < page.Count && i < limit; i++)
        {
            yield return await StatusAsync(page[i], cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask<SendingStatus> StopAsync(string sendingId, CancellationToken cancellationToken = default)
    {
        var journeyId = SendingJourneys.JourneyIdOf(sendingId);
        var record = await journeys.GetAsync(journeyId, cancellationToken).ConfigureAwait(false)
            ?? throw new KeyNotFoundException($"There is no sending {IdText.Quote(sendingId)}.");
        if (record.Journey.Status != JourneyStatus.Stopped)
        {
            record = await journeys.SaveAsync(record.Journey with { Status = JourneyStatus.Stopped }, record.ETag, cancellationToken).ConfigureAwait(false);
        }

        var cancelled = await guard.CancelAsync(journeyId, null, null, StoppedReason, cancellationToken).ConfigureAwait(false);
        LogStopped(logger, sendingId, cancelled);
        return await StatusAsync(record, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<SendingStatus> SendAsync(SendingRequest request, SendingAudience audience, IAsyncEnumerable<string>? list, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.CampaignId, nameof(request));
        EnsureValidSendingId(request);
        if (!compiled.Campaigns.TryGet(request.CampaignId, out var campaign))
        {
            throw new ArgumentException($"Campaign '{request.CampaignId}' is not in the campaign catalog (AddJourneys(j => j.AddCampaigns(...))).", nameof(request));
        }

        EnsureKnownTimeZone(request);
        var sendingId = request.SendingId ?? Guid.CreateVersion7(time.GetUtcNow()).ToString("N");
        var definition = Define(sendingId, request, campaign, audience);
        var existing = await journeys.GetAsync(definition.Id, cancellationToken).ConfigureAwait(false);
        CompiledJourney journey;
        long offered = 0;
        var owned = false;
        try
        {
            if (existing is null)
            {
                EnsureNewSendingId(sendingId);
                await RefuseDeletedSendingIdAsync(definition.Id, sendingId, cancellationToken).ConfigureAwait(false);

                // Compiling validates (unbound variables, unknown fields): a refused sending leaves nothing behind.
                journey = await compiled.CompileAsync(definition, cancellationToken).ConfigureAwait(false);

                // Marked before the save: a call of this process that finds the sending saved finds its pass running too.
                owned = _passes.TryAdd(definition.Id, 0);
                try
                {
                    existing = await journeys.SaveAsync(definition, null, cancellationToken).ConfigureAwait(false);
                }
                catch (JourneyConcurrencyException)
                {
                    // Another caller created it between the read and the save: that caller enrolls the audience.
                    existing = await journeys.GetAsync(definition.Id, cancellationToken).ConfigureAwait(false)
                        ?? throw new InvalidOperationException($"Sending '{sendingId}' was created and deleted concurrently.");
                    EnsureSame(existing.Journey, definition, sendingId);
                    return await StatusAsync(existing, cancellationToken).ConfigureAwait(false);
                }

                LogStarted(logger, sendingId, request.CampaignId, audience);
            }
            else
            {
                EnsureSame(existing.Journey, definition, sendingId);
                var status = await StatusAsync(existing, cancellationToken).ConfigureAwait(false);
                if (status.State != SendingState.Enrolling)
                {
                    return status;
                }

                // Its pass still runs in this process (the caller sent again before the first call returned): that pass was
                // not interrupted, and a second one over the audience would count its ids again.
                owned = _passes.TryAdd(definition.Id, 0);
                if (!owned)
                {
                    return status;
                }

                journey = await compiled.GetAsync(definition.Id, existing.Journey.Version, cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"Sending '{sendingId}' has no stored version {existing.Journey.Version}.");
                offered = status.Progress.Targeted;
                LogResumed(logger, sendingId);
            }

            var ids = list ?? ScanIdsAsync(cancellationToken);
            await EnrollAsync(journey, ids, checkCustomers: list is not null, offered, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (owned)
            {
                _passes.TryRemove(definition.Id, out _);
            }
        }

        var latest = await journeys.GetAsync(definition.Id, cancellationToken).ConfigureAwait(false) ?? existing;
        return await StatusAsync(latest, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Refuses a new sending under the id of a deleted one that ran: its enrollments and statistics stay under the journey
    /// id, so every customer it had enrolled would be refused again (re-entry never) and get nothing, and its counters
    /// would read as the new sending's. As <see cref="IJourneyManager.CreateAsync"/> refuses a deleted journey's id.
    /// </summary>
    private async ValueTask RefuseDeletedSendingIdAsync(string journeyId, string sendingId, CancellationToken cancellationToken)
    {
        var used = await JourneyIdHistory.HasRunAsync(statistics, enrollments, journeyId, cancellationToken).ConfigureAwait(false);

        // Counters written meanwhile by a caller that has just created the sending under this id are its own: that
        // sending exists now, and the save reports it as created concurrently.
        if (used && await journeys.GetAsync(journeyId, cancellationToken).ConfigureAwait(false) is null)
        {
            throw new JourneyIdInUseException(
                journeyId,
                $"Sending '{sendingId}' was deleted, and its enrollments and statistics are kept under its journey id '{journeyId}': send under another sending id.",
                null);
        }
    }

    /// <summary>
    /// The rule for any sending id given: not blank, no control characters, and at most the 200 characters sendings made
    /// before 2026-12-01 could have (<see cref="SendingJourneys.MaxEarlierSendingIdLength"/>), so such a sending is still
    /// resumed by sending again under its id. A new sending is held to <see cref="SendingJourneys.MaxSendingIdLength"/>
    /// once it is known not to exist (<see cref="EnsureNewSendingId"/>).
    /// </summary>
    private static void EnsureValidSendingId(SendingRequest request)
    {
        if (request.SendingId is { } given
            && (string.IsNullOrWhiteSpace(given) || given.Length > SendingJourneys.MaxEarlierSendingIdLength || given.Any(char.IsControl)))
        {
            throw InvalidSendingId(given, nameof(request));
        }
    }

    /// <summary>Refuses to create a sending whose journey id would be longer than <see cref="JourneyDefinition.MaxIdLength"/>.</summary>
    private static void EnsureNewSendingId(string sendingId)
    {
        if (sendingId.Length > SendingJourneys.MaxSendingIdLength)
        {
            throw InvalidSendingId(sendingId, "request");
        }
    }

    private static ArgumentException InvalidSendingId(string given, string paramName) => new(
        $"Sending id {IdText.Quote(given)} is not valid: it must be 1 to {SendingJourneys.MaxSendingIdLength} characters (SendingJourneys.MaxSendingIdLength, UTF-16 code units), not blank, with no control characters.",
        paramName);

    /// <summary>
    /// A time zone this machine does not know is bad input, refused by its name like the other request settings (not as
    /// a validation diagnostic of the sending's journey, which would make it a campaign that cannot be sent).
    /// </summary>
    private static void EnsureKnownTimeZone(SendingRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.TimeZoneId) || !TimeZoneInfo.TryFindSystemTimeZoneById(request.TimeZoneId, out _))
        {
            throw new ArgumentException(
                $"Time zone '{request.TimeZoneId}' (TimeZoneId) is not a known time zone; use an IANA time zone such as 'Europe/Madrid' or 'UTC'.",
                nameof(request));
        }
    }

    private static JourneyDefinition Define(string sendingId, SendingRequest request, Campaign campaign, SendingAudience audience) => new(
        SendingJourneys.JourneyIdOf(sendingId),
        request.Name ?? $"Sending {sendingId}",
        1,
        JourneyStatus.Active,
        audience == SendingAudience.AllCustomers ? new AllCustomersEntry() : new CustomerListEntry(EquatableArray<string>.Empty),
        EntryRules.Default,
        ExitRules.None,
        [new SendNode(SendingJourneys.SendNodeId, campaign.Channel, new CampaignReference(campaign.Id, request.Variables), null)],
        SendingJourneys.SendNodeId,
        request.TimeZoneId);

    private static void EnsureSame(JourneyDefinition stored, JourneyDefinition requested, string sendingId)
    {
        if (stored.Entry.GetType() != requested.Entry.GetType()
            || stored.FindNode(SendingJourneys.SendNodeId) is not SendNode storedSend
            || requested.FindNode(SendingJourneys.SendNodeId) is not SendNode requestedSend
            || !string.Equals(storedSend.Campaign.CampaignId, requestedSend.Campaign.CampaignId, StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"Sending '{sendingId}' already exists with another campaign or audience; use a new sending id to send something else.");
        }
    }

    /// <summary>
    /// Enrolls the audience in batches, counting each batch's outcomes under the audience pseudo node; a stop ends the
    /// pass (see <see cref="EnrollBatchAsync"/>). The pass is marked complete (Completed = 1) at the end. A resumed pass
    /// goes over the audience again from its start: the first <paramref name="offered"/> ids were counted by the
    /// interrupted pass (its Targeted), so they count again only if they are enrolled now.
    /// </summary>
    private async ValueTask EnrollAsync(CompiledJourney journey, IAsyncEnumerable<string> ids, bool checkCustomers, long offered, CancellationToken cancellationToken)
    {
        var batch = new List<string>(EnrollBatch);
        await foreach (var id in ids.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            batch.Add(id);
            if (batch.Count == EnrollBatch)
            {
                if (!await EnrollBatchAsync(journey, batch, checkCustomers, (int)Math.Clamp(offered, 0, batch.Count), cancellationToken).ConfigureAwait(false))
                {
                    return;
                }

                offered -= batch.Count;
                batch.Clear();
            }
        }

        if (batch.Count > 0 && !await EnrollBatchAsync(journey, batch, checkCustomers, (int)Math.Clamp(offered, 0, batch.Count), cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        if (await IsStoppedAsync(journey.Id, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        await statistics.AddAsync([Audience(journey, StatisticCounter.Completed, 1)], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Enrolls one batch unless the sending was stopped, and checks again after it (as the journey manager's
    /// activation does): enrollments the batch created while a stop ran, after the stop's cancel, are cancelled as the
    /// stop would have cancelled them, before the engine is told about them. False when the pass must end. The first
    /// <paramref name="counted"/> ids of the batch were counted by an interrupted pass: only their new enrollments count.
    /// </summary>
    private async ValueTask<bool> EnrollBatchAsync(CompiledJourney journey, List<string> batch, bool checkCustomers, int counted, CancellationToken cancellationToken)
    {
        if (await IsStoppedAsync(journey.Id, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        // The ids trimmed; a list's are checked against the store in one read per batch (not one per id: a round trip
        // each on a database store).
        var ids = new string?[batch.Count];
        var lookup = new List<string>(checkCustomers ? batch.Count : 0);
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = batch[i]?.Trim();
            if (checkCustomers && !string.IsNullOrEmpty(ids[i]) && !IdLimits.IsCustomerIdTooLong(ids[i]))
            {
                lookup.Add(ids[i]!);
            }
        }

        var found = checkCustomers ? await customers.GetManyAsync(lookup, cancellationToken).ConfigureAwait(false) : null;

        var now = time.GetUtcNow();
        var requests = new List<EnrollmentRequest>(batch.Count);
        long unknown = 0;
        var countedRequests = 0;
        var looked = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            var id = ids[i];
            // An id longer than customer ids can be names no customer: unknown, like one not in the store (not looked up).
            if (string.IsNullOrEmpty(id) || IdLimits.IsCustomerIdTooLong(id) || (found is not null && found[looked++] is null))
            {
                unknown += i < counted ? 0 : 1;
                continue;
            }

            countedRequests += i < counted ? 1 : 0;
            requests.Add(new EnrollmentRequest(EnrollmentIds.NewVersion7(now), journey.Id, journey.Version, id, SendingJourneys.SendNodeId, now, journey.Definition.EntryRules, journey.GoalEvents));
        }

        long created = 0, createdCounted = 0;
        var stopped = false;

        // Once the batch's enrollments are written, what follows (the stop's check, the cancels, the counters) runs to its
        // end whatever the caller's token says: cancelled in between (a stopping host aborts the request), the pass
        // resumed by the next call would find these customers enrolled but uncounted, and count them as skipped.
        var written = CancellationToken.None;
        if (requests.Count > 0)
        {
            var outcomes = await engine.EnrollAsync(requests, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < outcomes.Count; i++)
            {
                var isCreated = outcomes[i].Kind == EnrollmentOutcomeKind.Created ? 1 : 0;
                created += isCreated;
                createdCounted += i < countedRequests ? isCreated : 0;
            }

            // The stop saves the stopped status before it cancels: seen here, its cancel may have run before this
            // batch's enrollments existed; not seen, its cancel runs after them and takes them.
            stopped = await IsStoppedAsync(journey.Id, written).ConfigureAwait(false);
            if (stopped && created > 0)
            {
                await guard.CancelAsync(journey.Id, null, null, StoppedReason, written).ConfigureAwait(false);
            }
            else if (created > 0)
            {
                // A customer deleted since this batch read it (the scan, or the list's check) is not sent to: its
                // enrollment is cancelled, and counted so at the send node, as a deletion just after the enroll would.
                await guard.CancelEntriesOfDeletedCustomersAsync(requests, outcomes, written).ConfigureAwait(false);
            }

            engine.NotifyWork();
        }

        // A resumed pass meets the customers its interrupted run enrolled: they were counted then, not again now.
        var skipped = requests.Count - countedRequests - (created - createdCounted);
        var targeted = created - createdCounted + unknown + skipped;
        await statistics.AddAsync(
            [
                Audience(journey, StatisticCounter.Entered, targeted),
                Audience(journey, StatisticCounter.Left, created),
                Audience(journey, StatisticCounter.Exited, skipped),
                Audience(journey, StatisticCounter.Failed, unknown),
            ],
            written).ConfigureAwait(false);
        return !stopped;
    }

    private static StatisticDelta Audience(CompiledJourney journey, StatisticCounter counter, long amount) =>
        new(journey.Id, journey.Version, SendingJourneys.AudienceNodeId, counter, amount);

    private async ValueTask<bool> IsStoppedAsync(string journeyId, CancellationToken cancellationToken) =>
        (await journeys.GetAsync(journeyId, cancellationToken).ConfigureAwait(false))?.Journey.Status is null or JourneyStatus.Stopped;

    private async IAsyncEnumerable<string> ScanIdsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var customer in customers.ScanAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return customer.Id;
        }
    }

    private async ValueTask<SendingStatus> StatusAsync(JourneyRecord record, CancellationToken cancellationToken)
    {
        var definition = record.Journey;
        var stats = await statistics.GetAsync(definition.Id, null, cancellationToken).ConfigureAwait(false);
        long Audience(StatisticCounter counter) => stats.Get(SendingJourneys.AudienceNodeId, counter);
        long Send(StatisticCounter counter) => stats.Get(SendingJourneys.SendNodeId, counter);

        var enrolled = Audience(StatisticCounter.Left);
        // At the send node: enrollments cancelled before their send ran (they start there) and messages a stop withdrew
        // from the outbox (their enrollments had completed), so each customer the stop kept from the message once.
        var cancelled = Send(StatisticCounter.Cancelled);
        var sent = Send(StatisticCounter.Sent);
        var failed = Send(StatisticCounter.Failed);
        var capped = Send(StatisticCounter.Capped);
        var pending = SendingJourneys.Pending(stats);
        var state = definition.Status == JourneyStatus.Stopped ? SendingState.Stopped
            : Audience(StatisticCounter.Completed) == 0 ? SendingState.Enrolling
            : pending > 0 ? SendingState.Running
            : SendingState.Completed;

        var send = definition.FindNode(SendingJourneys.SendNodeId) as SendNode;
        return new SendingStatus(
            definition.Id[SendingJourneys.JourneyIdPrefix.Length..],
            definition.Id,
            definition.Name,
            send?.Campaign.CampaignId ?? string.Empty,
            send?.Channel ?? default,
            definition.Entry is AllCustomersEntry ? SendingAudience.AllCustomers : SendingAudience.List,
            state,
            record.UpdatedAt,
            new SendingProgress(
                Audience(StatisticCounter.Entered),
                enrolled,
                Audience(StatisticCounter.Exited),
                Audience(StatisticCounter.Failed),
                pending,
                sent,
                failed,
                capped,
                cancelled,
                Send(StatisticCounter.Delivered),
                Send(StatisticCounter.Opened),
                Send(StatisticCounter.Clicked)));
    }

    [LoggerMessage(40, LogLevel.Information, "Sending {SendingId} of campaign {CampaignId} to {Audience} started")]
    private static partial void LogStarted(ILogger logger, string sendingId, string campaignId, SendingAudience audience);

    [LoggerMessage(41, LogLevel.Information, "Sending {SendingId}: resuming its interrupted enrolling pass")]
    private static partial void LogResumed(ILogger logger, string sendingId);

    [LoggerMessage(42, LogLevel.Information, "Sending {SendingId} stopped; {Cancelled} enrollments cancelled")]
    private static partial void LogStopped(ILogger logger, string sendingId, int cancelled);
}
