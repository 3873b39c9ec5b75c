using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Journeys.Building;
using Journeys.Conditions;
using Journeys.Model;
using Journeys.Sendings;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Journeys.Validation;
using Microsoft.Extensions.Logging;

namespace Journeys.Runtime;

/// <summary>The <see cref="IJourneyManager"/> over the stores and the engine.</summary>
internal sealed partial class JourneyManager(
    IJourneyStore journeys,
    ICustomerStore customers,
    IEnrollmentStore enrollments,
    IStatisticsStore statistics,
    CompiledJourneyCache compiled,
    JourneyEngine engine,
    JourneyStopGuard guard,
    Audiences.CustomerWriteLock writeLock,
    TimeProvider time,
    ILogger<JourneyManager> logger) : IJourneyManager
{
    private const int EnrollBatch = 1_000;

    /// <summary>The end reason of enrollments a journey's stop cancels.</summary>
    private const string StoppedReason = "journey stopped";

    public async ValueTask<JourneyRecord> CreateAsync(JourneyDefinition journey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(journey);
        NodeIdRules.ThrowIfInvalidJourneyId(journey.Id, nameof(journey));
        RefuseSendingId(journey.Id, nameof(journey));
        await RefuseDeletedJourneyIdAsync(journey.Id, cancellationToken).ConfigureAwait(false);
        return await SaveDraftAsync(journey with { Status = JourneyStatus.Draft, Version = 1 }, null, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<JourneyRecord> UpdateAsync(JourneyDefinition journey, string? expectedETag, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(journey);
        RefuseSendingId(journey.Id, nameof(journey));
        if (IdLimits.IsJourneyIdTooLong(journey.Id))
        {
            // No journey can have it (creates refuse it): said so, rather than "not found".
            NodeIdRules.ThrowIfInvalidJourneyId(journey.Id, nameof(journey));
        }

        var current = await RequireAsync(journey.Id, cancellationToken).ConfigureAwait(false);
        var editable = current.Journey.Status is JourneyStatus.Draft or JourneyStatus.Validated;
        var next = journey with
        {
            Status = JourneyStatus.Draft,
            Version = editable ? current.Journey.Version : current.Journey.Version + 1,
        };
        return await SaveDraftAsync(next, expectedETag ?? current.ETag, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<JourneyRecord?> GetAsync(string journeyId, CancellationToken cancellationToken = default) =>
        journeys.GetAsync(journeyId, cancellationToken);

    public async IAsyncEnumerable<JourneyRecord> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var record in journeys.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            // Sendings are system journeys: ISendingManager lists them.
            if (!SendingJourneys.IsSending(record.Journey.Id))
            {
                yield return record;
            }
        }
    }

    public async ValueTask<bool> DeleteAsync(string journeyId, CancellationToken cancellationToken = default)
    {
        // Before the cancel: a null journey id there means every journey's enrollments.
        ArgumentNullException.ThrowIfNull(journeyId);
        await guard.CancelAsync(journeyId, null, null, "journey deleted", cancellationToken).ConfigureAwait(false);
        var deleted = await journeys.DeleteAsync(journeyId, cancellationToken).ConfigureAwait(false);

        // And again once the journey is gone: an entry that read it active may have created enrollments after the first
        // cancel, and its own check after the create (JourneyStopGuard) still saw the journey; this cancel takes them.
        await guard.CancelAsync(journeyId, null, null, "journey deleted", cancellationToken).ConfigureAwait(false);

        // Its id may be created again, starting at version 1: what this host compiled of it must not run for that one.
        compiled.Forget(journeyId);
        return deleted;
    }

    public async ValueTask<ValidationResult> ValidateAsync(string journeyId, CancellationToken cancellationToken = default)
    {
        var record = await RequireAsync(journeyId, cancellationToken).ConfigureAwait(false);
        var schema = await customers.GetSchemaAsync(cancellationToken).ConfigureAwait(false);
        return JourneyValidator.Validate(record.Journey, schema, compiled.Campaigns, compiled.ValidationOptions);
    }

    public async ValueTask<(JourneyRecord Journey, int Enrolled)> ActivateAsync(string journeyId, CancellationToken cancellationToken = default)
    {
        RefuseSendingId(journeyId, nameof(journeyId));

        // From the read to the save: a second activation of the journey in this process reads it active and enrolls nobody
        // again, rather than read it as this one did and have its save refused (see ActivationLock). One on another host
        // sharing the store may still read it so: the store saves the intake with the journey, both or neither, so the
        // activation whose save is refused leaves nothing behind (JourneyConcurrencyException).
        var activating = await guard.Activations.EnterAsync(cancellationToken).ConfigureAwait(false);
        JourneyRecord active;
        CompiledJourney journey;
        JourneyIntake? intake = null;
        bool beforeWindow;
        try
        {
            var record = await RequireAsync(journeyId, cancellationToken).ConfigureAwait(false);
            if (record.Journey.Status == JourneyStatus.Archived)
            {
                throw new JourneyLifecycleException(journeyId, JourneyLifecycleRefusal.Archived, $"Journey '{journeyId}' is archived; clone it to run it again.");
            }

            if (record.Journey.Status == JourneyStatus.Active)
            {
                // A repeated activation (a retried PUT /start) must not enroll the audience again: under re-entry after exit
                // or after a cooldown, the customers who finished would enter, and get the journey's messages, a second time.
                return (record, 0);
            }

            var now = time.GetUtcNow();
            RefuseEndedEntryWindow(record.Journey, now);
            journey = await compiled.CompileAsync(record.Journey with { Status = JourneyStatus.Active }, cancellationToken).ConfigureAwait(false);

            // The intake is saved pending with the journey active, in one store step: a host that dies after it leaves the
            // intake for another (or itself restarted) to run (see JourneyManager.EntryWindow.cs).
            beforeWindow = journey.Definition.EntryRules.WindowStart > now;
            if (HasAudience(journey.Definition))
            {
                // In whole milliseconds, rounded up (never before the window): a store keeps no finer time (PostgreSQL keeps
                // microseconds), and a resumed run must derive the enrollment ids (EnrollmentIds.ForIntake) from the same value.
                var opens = beforeWindow ? journey.Definition.EntryRules.WindowStart!.Value : now;
                var partial = opens.UtcTicks % TimeSpan.TicksPerMillisecond;
                opens = partial == 0 ? opens : opens.AddTicks(TimeSpan.TicksPerMillisecond - partial);
                intake = new JourneyIntake(EnrollmentIds.NewVersion7(now), journeyId, journey.Version, opens);
                if (!beforeWindow)
                {
                    // This activation runs the intake: saved claimed by this host and marked running here, so neither another
                    // host's runner nor this host's takes it between the saves and the run (the activation would enroll
                    // nobody and answer 0 while they enroll the audience).
                    intake = intake with { Owner = engine.OwnerId, LeaseExpiresAt = now + IntakeLease };
                    engine.RunningIntakes.TryAdd(intake.Id, true);
                }
            }

            try
            {
                // After the entries that read the version before this one, before those that come next (EntryGate).
                using (await guard.Entries.ActivateAsync(cancellationToken).ConfigureAwait(false))
                {
                    active = intake is null
                        ? await journeys.SaveAsync(journey.Definition, record.ETag, cancellationToken).ConfigureAwait(false)
                        : await journeys.SaveWithIntakeAsync(journey.Definition, record.ETag, intake, cancellationToken).ConfigureAwait(false);
                }
            }
            catch when (intake is not null && !beforeWindow)
            {
                engine.RunningIntakes.TryRemove(intake.Id, out _);
                throw;
            }
        }
        finally
        {
            activating.Dispose();
        }

        LogActivated(logger, journeyId, journey.Version);
        if (intake is null)
        {
            return (active, 0);
        }

        if (beforeWindow)
        {
            // Saved before the window opens: the audience enters when it opens (RunEntryWindowsAsync, on whichever host
            // claims the intake first); this host's intakes look again now.
            LogIntakeScheduled(logger, journeyId, journey.Version, intake.OpensAt);
            engine.NotifyJourneysChanged();
            return (active, 0);
        }

        try
        {
            return (active, await RunIntakeAsync(intake, active, journey, cancellationToken).ConfigureAwait(false) ?? 0);
        }
        catch
        {
            // The intake stays pending, claimed by this host: its runner resumes it after a pause.
            engine.NotifyJourneysChanged();
            throw;
        }
    }

    /// <summary>Enrolls an activated journey's audience (all customers, the matching customers of a filter, the ids of a list) in <paramref name="run"/>; how many entered.</summary>
    private async ValueTask<int> EnrollAudienceAsync(CompiledJourney journey, IntakeRun run, CancellationToken cancellationToken) => journey.Definition.Entry switch
    {
        CustomerListEntry list => await EnrollIdsAsync(journey, list.CustomerIds, run, cancellationToken).ConfigureAwait(false),
        AllCustomersEntry => await EnrollScanAsync(journey, null, run, cancellationToken).ConfigureAwait(false),
        FilterEntry filter => await EnrollScanAsync(journey, ConditionCompiler.Compile(filter.Condition, journey.Schema), run, cancellationToken).ConfigureAwait(false),
        _ => 0,
    };

    /// <summary>
    /// Refuses (saving nothing) an activation after the entry window's end: nobody could enter the journey. Before the
    /// window's start an activation is accepted: an event journey's customers enter as their events come inside the
    /// window, and the audience of the other kinds enters when the window opens (<see cref="RunEntryWindowsAsync"/>).
    /// </summary>
    internal static void RefuseEndedEntryWindow(JourneyDefinition journey, DateTimeOffset now)
    {
        if (journey.EntryRules.WindowEnd is { } end && now >= end)
        {
            throw new JourneyLifecycleException(
                journey.Id,
                JourneyLifecycleRefusal.EntryWindowEnded,
                $"Journey '{journey.Id}' cannot be activated: its entry window ended at {end:O} (now {now:O}), so nobody could enter it.");
        }
    }

    public async ValueTask<(JourneyRecord Journey, int Cancelled)> StopAsync(string journeyId, bool drain = false, CancellationToken cancellationToken = default)
    {
        RefuseSendingId(journeyId, nameof(journeyId));
        var record = await RequireAsync(journeyId, cancellationToken).ConfigureAwait(false);

        // Archived is final (ActivateAsync refuses it: clone it to run it again); saved as stopped, a start would revive it.
        var stopped = record.Journey.Status == JourneyStatus.Archived
            ? record
            : await journeys.SaveAsync(record.Journey with { Status = JourneyStatus.Stopped }, record.ETag, cancellationToken).ConfigureAwait(false);
        var cancelled = drain ? 0 : await guard.CancelAsync(journeyId, null, null, StoppedReason, cancellationToken).ConfigureAwait(false);
        LogStopped(logger, journeyId, record.Journey.Version, cancelled);
        return (stopped, cancelled);
    }

    public async ValueTask<JourneyRecord> CloneAsync(string journeyId, string newId, string newName, CancellationToken cancellationToken = default)
    {
        RefuseSendingId(newId, nameof(newId));
        var record = await RequireAsync(journeyId, cancellationToken).ConfigureAwait(false);
        var clone = record.Journey.Clone(newId, newName);
        await RefuseDeletedJourneyIdAsync(clone.Id, cancellationToken).ConfigureAwait(false);
        return await SaveDraftAsync(clone, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Refuses a new journey under the id of a deleted one that ran: its enrollments and statistics stay under the id,
    /// and the new journey's version 1 would mix with them (its counters, its re-entry rules, its entry cap). A journey
    /// that exists now is left to the save, which reports it.
    /// </summary>
    private async ValueTask RefuseDeletedJourneyIdAsync(string journeyId, CancellationToken cancellationToken)
    {
        if (await journeys.GetAsync(journeyId, cancellationToken).ConfigureAwait(false) is not null)
        {
            return;
        }

        var used = await JourneyIdHistory.HasRunAsync(statistics, enrollments, journeyId, cancellationToken).ConfigureAwait(false);
        if (used)
        {
            throw new JourneyIdInUseException(journeyId);
        }
    }

    public async ValueTask<JourneyRecord> EditAsync(string journeyId, Func<JourneyDefinition, JourneyDefinition> edit, string? expectedETag = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(edit);
        RefuseSendingId(journeyId, nameof(journeyId));
        var record = await RequireAsync(journeyId, cancellationToken).ConfigureAwait(false);

        // A stale ETag answers first (as an HTTP If-Match does): the edit is not run on content the caller never read.
        if (expectedETag is not null && !string.Equals(expectedETag, record.ETag, StringComparison.Ordinal))
        {
            throw new JourneyConcurrencyException(
                $"Journey '{journeyId}' changed since it was read: expected ETag '{expectedETag}', the latest version {record.Journey.Version} has ETag '{record.ETag}'. Read it again, then edit.");
        }

        var edited = edit(record.Journey);
        RefuseEditResult(record.Journey, edited);

        // Checked here too, not left to the edit: JourneyDrafts refuses such a journey itself (naming the node), but an
        // edit of another kind could return a draft of the same version, and saving it would change a running version
        // in place (its enrollments would go on through nodes that version never had).
        if (record.Journey.Status is not (JourneyStatus.Draft or JourneyStatus.Validated))
        {
            throw new JourneyEditException(
                journeyId,
                null,
                $"Journey '{journeyId}' is {record.Journey.Status.ToString().ToLowerInvariant()}: it cannot be edited in place. Make its next version with UpdateAsync or copy it with CloneAsync, then edit that draft.");
        }

        return await SaveDraftAsync(edited, expectedETag ?? record.ETag, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Saves a draft version, then forgets what this host compiled of the journey: a version compiled before (a deleted
    /// journey's, whose id this one takes again; a draft read by a statistics call) is not this definition.
    /// </summary>
    private async ValueTask<JourneyRecord> SaveDraftAsync(JourneyDefinition draft, string? expectedETag, CancellationToken cancellationToken)
    {
        var saved = await journeys.SaveAsync(draft, expectedETag, cancellationToken).ConfigureAwait(false);
        compiled.Forget(draft.Id);
        return saved;
    }

    public async ValueTask<IReadOnlyList<EnrollmentOutcome>> EnrollAsync(string journeyId, IReadOnlyList<string> customerIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(customerIds);

        // A sending's journey takes its audience from the sending alone (its progress counts what it targeted).
        RefuseSendingId(journeyId, nameof(journeyId));

        // Every id before any is enrolled: the ids are enrolled in chunks, and a bad one found by the store would leave
        // the chunks before it enrolled (and be named by its index in its chunk).
        for (var i = 0; i < customerIds.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(customerIds[i]))
            {
                throw new ArgumentException($"The customer id at index {i} is null, empty or white space; nothing was enrolled.", nameof(customerIds));
            }

            if (IdLimits.IsCustomerIdTooLong(customerIds[i]))
            {
                throw new ArgumentException($"The customer id at index {i} {IdLimits.CustomerIdTooLong(customerIds[i].Length)}; nothing was enrolled.", nameof(customerIds));
            }
        }

        // The version read here is the one enrolled into: no activation of a newer one returns in between (EntryGate).
        using var entering = await guard.Entries.EnterAsync(cancellationToken).ConfigureAwait(false);
        var journey = await RequireActiveAsync(journeyId, cancellationToken).ConfigureAwait(false);
        if (journey.Definition.Entry is CustomerListEntry { AcceptsAdditions: false })
        {
            // Its list is the ids given with the journey (enrolled by its activation): none may be put into it later.
            throw new JourneyLifecycleException(
                journeyId,
                JourneyLifecycleRefusal.ListClosed,
                $"Journey '{journeyId}' enters only the customers of its list, which accepts no additions: no customer can be enrolled into it. Make a version whose list accepts additions to add customers.");
        }

        var outcomes = new List<EnrollmentOutcome>(customerIds.Count);
        for (var start = 0; start < customerIds.Count; start += EnrollBatch)
        {
            var batch = customerIds.Skip(start).Take(EnrollBatch).Select(id => Request(journey, id)).ToList();
            var created = await engine.EnrollAsync(batch, cancellationToken).ConfigureAwait(false);
            if ((await guard.CancelEntriesOfStoppedAsync(batch, created, StoppedReason, cancellationToken).ConfigureAwait(false)).Stopped is > 0 and var late)
            {
                engine.NotifyWork();
                throw new JourneyLifecycleException(
                    journeyId,
                    JourneyLifecycleRefusal.StoppedDuringEntry,
                    $"Journey '{journeyId}' was stopped while customers were being enrolled: the {late} enrollments created after the stop were cancelled, and no more were enrolled.");
            }

            outcomes.AddRange(created);

            // The engine starts on each chunk while the next is enrolled.
            engine.NotifyWork();
        }

        engine.NotifyWork();
        return outcomes;
    }

    public async ValueTask<(CustomerUpsertResult Customers, int Enrolled)> PutCustomersAsync(IReadOnlyList<Customer> customersToPut, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(customersToPut);

        // IAudienceManager.PutCustomersAsync's check (a value of another type than its schema field's, an id with white
        // space at an end, a repeated id, an unknown time zone): the whole call is refused before anything is written.
        // Until 2026-12-01 only the ids were checked here, and a value of another type was stored as given, for the
        // conditions on its field to compare with a value of a type they were not validated for. Checked and written under
        // the audience manager's lock, as its own puts are: without it a field's type changed between the check and the
        // write let a value of the old type be stored.
        return await Audiences.AudienceManager.PutWholeAsync(
            writeLock,
            customers,
            customersToPut,
            (upserted, ct) => EnterPutCustomersAsync(customersToPut, upserted, ct),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The entries of <see cref="PutCustomersAsync"/>'s customers into the active all-customers and filter journeys.</summary>
    private async ValueTask<(CustomerUpsertResult Customers, int Enrolled)> EnterPutCustomersAsync(
        IReadOnlyList<Customer> customersToPut, CustomerUpsertResult upserted, CancellationToken cancellationToken)
    {
        // The versions read here are the ones enrolled into: no activation of a newer one returns in between (EntryGate).
        using var entering = await guard.Entries.EnterAsync(cancellationToken).ConfigureAwait(false);
        var requests = new List<EnrollmentRequest>();
        var now = time.GetUtcNow();
        await foreach (var record in journeys.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            if (record.Journey.Entry is not (AllCustomersEntry or FilterEntry) || SendingJourneys.IsSending(record.Journey.Id))
            {
                continue;
            }

            var journey = await compiled.FindActiveForEntriesAsync(record, cancellationToken).ConfigureAwait(false);
            if (journey is null)
            {
                continue;
            }

            var filter = journey.Definition.Entry is FilterEntry entry ? ConditionCompiler.Compile(entry.Condition, journey.Schema) : null;
            foreach (var customer in customersToPut)
            {
                if (filter is null || filter.Evaluate(CustomerSlots.ToArray(customer, journey.Schema), new EvaluationContext(now, ZoneOf(customer, journey))))
                {
                    requests.Add(Request(journey, customer.Id));
                }
            }
        }

        var enrolled = 0;
        foreach (var chunk in requests.Chunk(EnrollBatch))
        {
            var outcomes = await engine.EnrollAsync(chunk, cancellationToken).ConfigureAwait(false);
            enrolled += outcomes.Count(o => o.Kind == EnrollmentOutcomeKind.Created)
                - (await guard.CancelEntriesOfStoppedAsync(chunk, outcomes, StoppedReason, cancellationToken, customersMustExist: true).ConfigureAwait(false)).Total;
        }

        engine.NotifyWork();
        return (upserted, enrolled);
    }

    /// <summary>
    /// An event's properties with their names matched whatever their case, as every store gives them back to waits and
    /// goals (a copy only when the caller's dictionary compares case-sensitively; two names differing only by case were
    /// refused before).
    /// </summary>
    private static ImmutableDictionary<string, FieldValue> IgnoringCase(ImmutableDictionary<string, FieldValue> properties) =>
        properties.Count == 0 || properties.KeyComparer == StringComparer.OrdinalIgnoreCase ? properties : properties.WithComparers(StringComparer.OrdinalIgnoreCase);

    private static TimeZoneInfo ZoneOf(Customer customer, CompiledJourney journey) =>
        customer.TimeZoneId is { } id && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : journey.Zone;

    public async ValueTask PublishAsync(IReadOnlyList<CustomerEvent> events, CancellationToken cancellationToken = default) =>
        await PublishNewAsync(events, cancellationToken).ConfigureAwait(false);

    public async ValueTask<int> PublishNewAsync(IReadOnlyList<CustomerEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        foreach (var e in events)
        {
            ArgumentNullException.ThrowIfNull(e, nameof(events));
            ArgumentException.ThrowIfNullOrWhiteSpace(e.CustomerId, nameof(events));
            ArgumentException.ThrowIfNullOrWhiteSpace(e.Name, nameof(events));
            ArgumentNullException.ThrowIfNull(e.Properties, nameof(events));
            if (string.Equals(e.Name, StepExecutor.WebhookResultEvent, StringComparison.Ordinal))
            {
                // The engine's own answer of a webhook call (it routes the customer to onSuccess or onFailure): the message id
                // it needs is no secret (the receiver gets it in webhook-id), so a published one would answer for the receiver.
                throw new ArgumentException($"Event name '{StepExecutor.WebhookResultEvent}' is reserved: the engine publishes it with the result of a webhook call.", nameof(events));
            }

            if (e.Id is not null)
            {
                ArgumentException.ThrowIfNullOrWhiteSpace(e.Id, nameof(events));
                ArgumentOutOfRangeException.ThrowIfGreaterThan(e.Id.Length, StoreArgumentChecks.MaxEventIdLength, nameof(events));
            }
        }

        // The stores' own checks (null properties, two property names differing only by case, ...), before anything is read or written.
        StoreArgumentChecks.Events(events, nameof(events));

        // The versions read here are the ones the events' entries go to: no activation of a newer one returns in between (EntryGate).
        using var entering = await guard.Entries.EnterAsync(cancellationToken).ConfigureAwait(false);
        var entries = new List<(CompiledJourney Journey, EventEntry Entry)>();
        await foreach (var record in journeys.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            if (record.Journey.Entry is EventEntry entry && await compiled.FindActiveForEntriesAsync(record, cancellationToken).ConfigureAwait(false) is { } journey)
            {
                entries.Add((journey, entry));
            }
        }

        // What each event causes: the entries it makes (each enrollment's cursor at the event that made its customer
        // enter, the store's sequence number of it, so that event is not also replayed to the new enrollment as a goal or
        // an awaited event, while the customer's events after it reach the enrollment: those later in this call and those
        // another call appended meanwhile) and the feedback it counts.
        var now = time.GetUtcNow();
        var zones = await EntryZonesAsync(events, entries, cancellationToken).ConfigureAwait(false);
        var consequences = new List<EventConsequence>();
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            foreach (var (journey, entry) in entries)
            {
                if (string.Equals(e.Name, entry.EventName, StringComparison.Ordinal)
                    && (entry.PropertyCondition is null
                        || ReferenceConditionEvaluator.Evaluate(entry.PropertyCondition, IgnoringCase(e.Properties), e.Time, zones?.GetValueOrDefault(e.CustomerId) ?? journey.Zone)))
                {
                    consequences.Add(new EventConsequence(i) { Entry = Request(journey, e.CustomerId, now) });
                }
            }
        }

        await AddFeedbackAsync(events, consequences, cancellationToken).ConfigureAwait(false);

        // The store appends the events and makes what they cause in one atomic step: a call that fails left nothing, and
        // its retry (the same ids) makes it all; a retry of a call that succeeded finds the ids and makes nothing again.
        var published = await engine.PublishEventsAsync(events, now, consequences, cancellationToken).ConfigureAwait(false);
        var appended = new bool[events.Count];
        if (published is not null)
        {
            var made = new List<EnrollmentRequest>();
            var outcomes = new List<EnrollmentOutcome>();
            for (var c = 0; c < consequences.Count; c++)
            {
                if (published.Entries[c] is { } outcome)
                {
                    made.Add(consequences[c].Entry!);
                    outcomes.Add(outcome);
                }
            }

            for (var i = 0; i < events.Count; i++)
            {
                appended[i] = published.Sequences[i] != 0;
            }

            if (made.Count > 0)
            {
                await guard.CancelEntriesOfStoppedAsync(made, outcomes, StoppedReason, cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            await PublishInStepsAsync(events, consequences, appended, cancellationToken).ConfigureAwait(false);
        }

        var handled = appended.Count(static a => a);
        if (handled < events.Count)
        {
            JourneysTelemetry.DuplicateEvents.Add(events.Count - handled);
        }

        engine.NotifyWork();
        return handled;
    }

    /// <summary>
    /// The time zones of the customers whose events an entry condition reads calendar dates for (a date condition on a
    /// date, day and month, month or year is read in the customer's zone, else the journey's, as everywhere else);
    /// <see langword="null"/> when no entry condition needs one, so that a publish reads no customer for it.
    /// </summary>
    private async ValueTask<Dictionary<string, TimeZoneInfo?>?> EntryZonesAsync(
        IReadOnlyList<CustomerEvent> events, List<(CompiledJourney Journey, EventEntry Entry)> entries, CancellationToken cancellationToken)
    {
        HashSet<string>? names = null;
        foreach (var (_, entry) in entries)
        {
            if (entry.PropertyCondition is { } condition && ReadsCalendarDates(condition))
            {
                (names ??= new HashSet<string>(StringComparer.Ordinal)).Add(entry.EventName);
            }
        }

        if (names is null)
        {
            return null;
        }

        var ids = events.Where(e => names.Contains(e.Name)).Select(static e => e.CustomerId).Distinct(StringComparer.Ordinal).ToList();
        var zones = new Dictionary<string, TimeZoneInfo?>(ids.Count, StringComparer.Ordinal);
        if (ids.Count == 0)
        {
            return zones;
        }

        var found = await customers.GetManyAsync(ids, cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < ids.Count; i++)
        {
            zones[ids[i]] = found[i]?.TimeZoneId is { } id && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : null;
        }

        return zones;

        static bool ReadsCalendarDates(Condition? condition) => condition switch
        {
            DateCondition date => date.Part != DatePart.Instant,
            AllCondition all => all.Conditions.Any(ReadsCalendarDates),
            AnyCondition any => any.Conditions.Any(ReadsCalendarDates),
            NotCondition not => ReadsCalendarDates(not.Condition),
            _ => false,
        };
    }

    /// <summary>
    /// A store without <see cref="IEnrollmentStore.PublishEventsAsync"/>: the events are appended in runs, each run's
    /// entries made after it, then the appended events' feedback counted, in separate calls (a call that fails between
    /// them leaves the rest undone). A run ends before the next event of a customer it enrolls, once its enrollments are
    /// made, so a store that does not report sequence numbers starts the entry before the customer's later events. One
    /// run for a call whose customers each enter at their last event (a batch of sign-ups).
    /// </summary>
    private async ValueTask PublishInStepsAsync(IReadOnlyList<CustomerEvent> events, List<EventConsequence> consequences, bool[] appended, CancellationToken cancellationToken)
    {
        var requests = new List<(int Event, EnrollmentRequest Request)>();
        var entering = new HashSet<string>(StringComparer.Ordinal);
        var entriesOf = consequences.Where(static c => c.Entry is not null).ToLookup(static c => c.Event);
        var start = 0;
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            if (entering.Contains(e.CustomerId))
            {
                await AppendAndEnrollAsync(events, start, i, requests, appended, cancellationToken).ConfigureAwait(false);
                requests.Clear();
                entering.Clear();
                start = i;
            }

            foreach (var consequence in entriesOf[i])
            {
                requests.Add((i, consequence.Entry!));
                entering.Add(e.CustomerId);
            }
        }

        await AppendAndEnrollAsync(events, start, events.Count, requests, appended, cancellationToken).ConfigureAwait(false);
        var (clicks, deltas) = PublishedEvents.FeedbackToCount(consequences, appended.Select(static a => a ? -1L : 0L).ToArray());
        if (clicks.Count > 0)
        {
            await enrollments.AddClicksAsync(clicks, cancellationToken).ConfigureAwait(false);
        }

        if (deltas.Count > 0)
        {
            await statistics.AddAsync(deltas, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Appends <paramref name="events"/>[<paramref name="start"/>..<paramref name="end"/>) (a retried one, by its id, is
    /// not), then makes the entries the appended ones caused, each starting after its event.
    /// </summary>
    private async ValueTask AppendAndEnrollAsync(
        IReadOnlyList<CustomerEvent> events, int start, int end, List<(int Event, EnrollmentRequest Request)> requests, bool[] appended, CancellationToken cancellationToken)
    {
        var run = start == 0 && end == events.Count ? events : events.Skip(start).Take(end - start).ToArray();
        var now = time.GetUtcNow();
        var sequences = await enrollments.AppendNewEventsAsync(run, now, now - engine.EventIdWindow, cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < run.Count; i++)
        {
            appended[start + i] = sequences[i] != 0;
        }

        var made = new List<EnrollmentRequest>(requests.Count);
        foreach (var (index, request) in requests)
        {
            var sequence = sequences[index - start];
            if (sequence != 0)
            {
                made.Add(sequence > 0 ? request with { EventCursor = sequence } : request);
            }
        }

        if (made.Count > 0)
        {
            var outcomes = await engine.EnrollAsync(made, cancellationToken).ConfigureAwait(false);
            await guard.CancelEntriesOfStoppedAsync(made, outcomes, StoppedReason, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Channel feedback (delivered, opened, clicked) counts at the node that sent the message it refers to; a click also
    /// counts in the clicks of the enrollment that sent it, whatever its status (the store's counter, so a commit racing
    /// this call neither loses nor repeats it). Feedback on a message id that is not ours, or whose enrollment is not the
    /// customer's, counts nowhere. Adds one consequence per counted event to <paramref name="consequences"/>, after the
    /// entries, in event order.
    /// </summary>
    private async ValueTask AddFeedbackAsync(IReadOnlyList<CustomerEvent> events, List<EventConsequence> consequences, CancellationToken cancellationToken)
    {
        Dictionary<(string CustomerId, Guid EnrollmentId), Enrollment?>? read = null;
        Dictionary<(string JourneyId, int Version), HashSet<string>?>? nodesOf = null;
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            StatisticCounter? counter = e.Name switch
            {
                FeedbackEvents.Delivered => StatisticCounter.Delivered,
                FeedbackEvents.Opened => StatisticCounter.Opened,
                FeedbackEvents.Clicked => StatisticCounter.Clicked,
                _ => null,
            };
            if (counter is null || !StepExecutor.TryParseMessageId(e.MessageId, out var enrollmentId, out var nodeId))
            {
                continue;
            }

            // The one enrollment the message id names, by the customer's key (not the customer's whole history: a
            // sending leaves one enrollment per customer it reached); read once per call.
            read ??= [];
            if (!read.TryGetValue((e.CustomerId, enrollmentId), out var enrollment))
            {
                read[(e.CustomerId, enrollmentId)] = enrollment = await enrollments.GetAsync(e.CustomerId, enrollmentId, cancellationToken).ConfigureAwait(false);
            }

            if (enrollment is null || !await HasNodeAsync(enrollment, nodeId, nodesOf ??= [], cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            consequences.Add(new EventConsequence(i)
            {
                Feedback = new StatisticDelta(enrollment.JourneyId, enrollment.Version, nodeId, counter.Value),
                Click = counter == StatisticCounter.Clicked ? new EnrollmentClick(e.CustomerId, enrollmentId) : null,
            });
        }
    }

    /// <summary>
    /// Whether the enrollment's version has the node a feedback message id names, and that node sends messages (a send
    /// node, or a retargeting node's reminders). The id reaches the customer's device with the message, so it can come
    /// back altered: a node the version does not have, or one that sends nothing (a wait, a delay, a webhook), made no
    /// message of ours, and would otherwise add a counter (and a click to the enrollment) under any node the sender
    /// chose. A version the store no longer has (a deleted journey) is taken on trust, as before. Each version is read
    /// once per call.
    /// </summary>
    private async ValueTask<bool> HasNodeAsync(Enrollment enrollment, string nodeId, Dictionary<(string JourneyId, int Version), HashSet<string>?> nodesOf, CancellationToken cancellationToken)
    {
        var key = (enrollment.JourneyId, enrollment.Version);
        if (!nodesOf.TryGetValue(key, out var nodes))
        {
            var record = await journeys.GetVersionAsync(enrollment.JourneyId, enrollment.Version, cancellationToken).ConfigureAwait(false);
            nodes = record?.Journey.Nodes.Where(static n => n is SendNode or RetargetingNode).Select(static n => n.Id).ToHashSet(StringComparer.Ordinal);
            nodesOf[key] = nodes;
        }

        return nodes is null || nodes.Contains(nodeId);
    }

    public ValueTask<JourneyStatistics> GetStatisticsAsync(string journeyId, int? version = null, CancellationToken cancellationToken = default) =>
        statistics.GetAsync(journeyId, version, cancellationToken);

    public async IAsyncEnumerable<JourneyStatistics> WatchStatisticsAsync(
        string journeyId, TimeSpan interval, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(interval, TimeSpan.FromMilliseconds(10));

        // The timer takes up to 2^32 - 2 ms (about 49.7 days) and would refuse a longer one naming its own parameter.
        ArgumentOutOfRangeException.ThrowIfGreaterThan(interval, TimeSpan.FromDays(49));
        using var timer = new PeriodicTimer(interval, time);
        do
        {
            // A cancel seen during the read ends the stream as one seen during the wait does (the token ends the stream).
            if (await ReadSnapshotAsync(journeyId, cancellationToken).ConfigureAwait(false) is not { } snapshot)
            {
                yield break;
            }

            yield return snapshot;
        }
        while (await WaitAsync(timer, cancellationToken).ConfigureAwait(false));
    }

    private async ValueTask<JourneyStatistics?> ReadSnapshotAsync(string journeyId, CancellationToken cancellationToken)
    {
        try
        {
            return await statistics.GetAsync(journeyId, null, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private static async ValueTask<bool> WaitAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private EnrollmentRequest Request(CompiledJourney journey, string customerId) => Request(journey, customerId, time.GetUtcNow());

    private static EnrollmentRequest Request(CompiledJourney journey, string customerId, DateTimeOffset now) => Request(journey, EnrollmentIds.NewVersion7(now), customerId, now);

    private static EnrollmentRequest Request(CompiledJourney journey, Guid enrollmentId, string customerId, DateTimeOffset now) => new(
        enrollmentId,
        journey.Id,
        journey.Version,
        customerId,
        journey.Definition.StartNodeId,
        now,
        journey.Definition.EntryRules,
        journey.GoalEvents);

    // An activation's chunk: the journey's request fields once, per customer its enrollment id and entry time (no
    // EnrollmentRequest record each: the in-memory store reads the batch's columns); a list's chunks say how many entries are still
    // to come, so the store grows its tables once for the whole list.
    private static EnrollmentBatch Batch(CompiledJourney journey, DateTimeOffset firstAt, int capacity, int moreExpected = 0, bool skipUsedIds = false) => new(
        journey.Id,
        journey.Version,
        journey.Definition.StartNodeId,
        journey.Definition.EntryRules,
        journey.GoalEvents,
        firstAt,
        capacity)
    {
        MoreExpected = moreExpected,
        SkipUsedIds = skipUsedIds,
    };

    private async ValueTask<int> EnrollIdsAsync(CompiledJourney journey, EquatableArray<string> ids, IntakeRun run, CancellationToken cancellationToken)
    {
        var created = 0;

        // A list may name a customer twice: the second would be a second request with the same enrollment id. The
        // in-memory store skips a used id itself (EnrollmentBatch.SkipUsedIds: the id check it makes anyway); for another
        // store, a set sized for the whole list at once. The list is read by index (no chunk array copied out of it).
        var skipUsed = enrollments is InMemoryEngineStore;
        var seen = skipUsed ? null : new HashSet<string>(ids.Count, StringComparer.Ordinal);

        // A customer erased while the list is enrolled is taken out of the stored version's list (a new ETag): the stored
        // list is read before the first chunk (the compiled one may predate an erasure) and after each chunk's create;
        // the ids gone from it are skipped, and what a chunk created for them is cancelled (StoredList).
        var stored = new StoredList(journeys, guard, enrollments, journey, ids);
        await stored.RefreshAsync(cancellationToken).ConfigureAwait(false);
        for (var start = 0; start < ids.Count; start += EnrollBatch)
        {
            var erased = stored.Erased;

            // One clock reading per chunk (its requests are enrolled by one store call).
            var now = time.GetUtcNow();
            var end = Math.Min(start + EnrollBatch, ids.Count);
            var requests = Batch(journey, now, end - start, ids.Count - end, skipUsed);
            for (var i = start; i < end; i++)
            {
                var customerId = ids[i];
                if ((seen is null || seen.Add(customerId)) && erased?.Contains(customerId) != true && run.EnrollmentId(customerId) is { } id)
                {
                    requests.Add(id, customerId, now);
                }
            }

            if (await EnrollChunkAsync(journey, requests, scanned: false, run, cancellationToken, stored).ConfigureAwait(false) is not { } chunkCreated)
            {
                break;
            }

            created += chunkCreated;

            // The engine starts on each chunk while the next is enrolled.
            engine.NotifyWork();
        }

        engine.NotifyWork();
        return created;
    }

    /// <summary>
    /// A list intake's view of its version's stored list: the ids of the compiled list that it no longer holds (customers
    /// erased since: <see cref="IJourneyStore.EraseCustomerAsync"/>, which only takes ids out, with a new ETag), as of the
    /// last read of the stored version. A read costs one store call; the stores parse a document again only when its
    /// ETag changed.
    /// </summary>
    private sealed class StoredList(IJourneyStore journeys, JourneyStopGuard guard, IEnrollmentStore enrollments, CompiledJourney journey, EquatableArray<string> ids)
    {
        private string? _etag;

        /// <summary>The ids erased from the list as of the last read, or <see langword="null"/> when none.</summary>
        public HashSet<string>? Erased { get; private set; }

        /// <summary>
        /// Reads the stored version; when its ETag changed since the last read, the erased ids are worked out again.
        /// Whether they grew. A version gone (the journey deleted) changes nothing here: the chunks' own checks end the
        /// intake.
        /// </summary>
        public async ValueTask<bool> RefreshAsync(CancellationToken cancellationToken)
        {
            var record = await journeys.GetVersionAsync(journey.Id, journey.Version, cancellationToken).ConfigureAwait(false);
            if (record is null || string.Equals(record.ETag, _etag, StringComparison.Ordinal))
            {
                return false;
            }

            _etag = record.ETag;
            if (record.Journey.Entry is not CustomerListEntry list || list.CustomerIds.Count == ids.Count)
            {
                return false;
            }

            var kept = new HashSet<string>(list.CustomerIds, StringComparer.Ordinal);
            var erased = new HashSet<string>(StringComparer.Ordinal);
            foreach (var id in ids)
            {
                if (!kept.Contains(id))
                {
                    erased.Add(id);
                }
            }

            var grew = erased.Count > (Erased?.Count ?? 0);
            Erased = erased;
            return grew;
        }

        /// <summary>
        /// After a chunk's create: reads the stored version again, and cancels what the chunk created for customers
        /// erased from the list meanwhile. An erasure saves the list without the customer before it cancels the
        /// customer's enrollments, so either this read sees the customer gone, or that cancel runs after the create
        /// and takes the enrollment: an intake on any host never leaves an erased customer enrolled. How many were
        /// cancelled.
        /// </summary>
        public async ValueTask<int> CancelErasedAsync(EnrollmentBatch requests, IReadOnlyList<EnrollmentOutcome> outcomes, CancellationToken cancellationToken)
        {
            if (!await RefreshAsync(cancellationToken).ConfigureAwait(false))
            {
                return 0;
            }

            var cancelled = 0;
            for (var i = 0; i < outcomes.Count; i++)
            {
                var customerId = EnrollmentBatch.CustomerIdOf(requests, i);
                if (outcomes[i].Kind == EnrollmentOutcomeKind.Created && Erased!.Contains(customerId))
                {
                    // Cancelled, then erased as the erasure erased what had ended: no record of the customer is left.
                    await guard.CancelAsync(journey.Id, journey.Version, customerId, JourneyStopGuard.CustomerDeletedReason, cancellationToken).ConfigureAwait(false);
                    await enrollments.EraseCustomerAsync(customerId, cancellationToken).ConfigureAwait(false);
                    cancelled++;
                }
            }

            return cancelled;
        }
    }

    private async ValueTask<int> EnrollScanAsync(CompiledJourney journey, CompiledCondition? filter, IntakeRun run, CancellationToken cancellationToken)
    {
        var created = 0;
        EnrollmentBatch? batch = null;
        var fields = new FieldValue[journey.Schema.Fields.Count];
        var contexts = new Dictionary<string, EvaluationContext>(StringComparer.Ordinal);
        var now = time.GetUtcNow();
        await foreach (var customer in customers.ScanAsync(cancellationToken).ConfigureAwait(false))
        {
            if (filter is not null)
            {
                CustomerSlots.Fill(customer, journey.Schema, fields);
                var zoneId = customer.TimeZoneId ?? journey.Definition.TimeZoneId;
                if (!contexts.TryGetValue(zoneId, out var context))
                {
                    var zone = TimeZoneInfo.TryFindSystemTimeZoneById(zoneId, out var found) ? found : journey.Zone;
                    contexts[zoneId] = context = new EvaluationContext(now, zone);
                }

                if (!filter.Evaluate(fields, context))
                {
                    continue;
                }
            }

            if (run.EnrollmentId(customer.Id) is not { } id)
            {
                continue;
            }

            // Each entry at its own clock reading, as a request each had.
            var at = time.GetUtcNow();
            batch ??= Batch(journey, at, EnrollBatch);
            batch.Add(id, customer.Id, at);
            if (batch.IsFull)
            {
                if (await EnrollChunkAsync(journey, batch, scanned: true, run, cancellationToken).ConfigureAwait(false) is not { } chunkCreated)
                {
                    engine.NotifyWork();
                    return created;
                }

                created += chunkCreated;
                batch = null;
                engine.NotifyWork();
            }
        }

        if (batch is not null && await EnrollChunkAsync(journey, batch, scanned: true, run, cancellationToken).ConfigureAwait(false) is { } last)
        {
            created += last;
        }

        engine.NotifyWork();
        return created;
    }

    /// <summary>
    /// Enrolls one chunk of an activation's audience, as long as <paramref name="journey"/> is still the active version:
    /// an activation that scans a large audience runs for a while, and a stop (or the activation of a newer version,
    /// which enrolls its own audience) during it must end this intake, not leave the rest of the audience entering a
    /// stopped journey. Checked before the chunk, and again after it (<see cref="JourneyStopGuard.CancelEntriesOfStoppedAsync"/>):
    /// enrollments the chunk created while a stop ran (after the stop cancelled what it found) are cancelled as the stop
    /// would have cancelled them; none is created after that check saw the journey stopped. A chunk of a
    /// <paramref name="scanned"/> audience (all customers, a filter) also loses what it created for a customer deleted
    /// since the scan read it; a chunk of a <paramref name="list"/> loses what it created for a customer erased from the
    /// list meanwhile. The run's claim on the intake is renewed after the journey's check (<see cref="RenewIntakeAsync"/>). How many
    /// enrollments the chunk created and kept, or <see langword="null"/> (and <paramref name="run"/> ended) when the intake
    /// must end.
    /// </summary>
    private async ValueTask<int?> EnrollChunkAsync(CompiledJourney journey, EnrollmentBatch requests, bool scanned, IntakeRun run, CancellationToken cancellationToken, StoredList? list = null)
    {
        // The journey first: its stop (or new version) removed the intake too, and the claim would fail as if lost. No
        // activation of a newer version returns between this check and the chunk's create (EntryGate).
        using var entering = await guard.Entries.EnterAsync(cancellationToken).ConfigureAwait(false);
        if (await guard.ActiveVersionAsync(journey.Id, cancellationToken).ConfigureAwait(false) != journey.Version)
        {
            run.Ended = true;
            return null;
        }

        if (!await RenewIntakeAsync(run, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        if (requests.Count == 0)
        {
            return 0;
        }

        // A list's customers erased while the chunk was created are cancelled before the engine gets the enrollments
        // it created leased (StoredList.CancelErasedAsync).
        var erased = 0;
        var outcomes = list is null
            ? await engine.EnrollAsync(requests, cancellationToken).ConfigureAwait(false)
            : await engine.EnrollAsync(requests, async o => erased = await list.CancelErasedAsync(requests, o, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        var late = await guard.CancelEntriesOfStoppedAsync(requests, outcomes, StoppedReason, cancellationToken, customersMustExist: scanned).ConfigureAwait(false);
        if (late.Stopped > 0)
        {
            run.Ended = true;
            return null;
        }

        var created = 0;
        for (var i = 0; i < outcomes.Count; i++)
        {
            created += outcomes[i].Kind == EnrollmentOutcomeKind.Created ? 1 : 0;
        }

        return created - late.Deleted - erased;
    }

    /// <summary>
    /// An edit changes a draft's content only: a result with another id or version, or a status other than draft or
    /// validated, would move another journey, skip a version, or activate a journey without validating and compiling it.
    /// </summary>
    private static void RefuseEditResult(JourneyDefinition current, JourneyDefinition? edited)
    {
        if (edited is null
            || !string.Equals(edited.Id, current.Id, StringComparison.Ordinal)
            || edited.Version != current.Version
            || edited.Status is not (JourneyStatus.Draft or JourneyStatus.Validated))
        {
            var got = edited is null ? "nothing" : $"journey '{edited.Id}' version {edited.Version}, {edited.Status.ToString().ToLowerInvariant()}";
            throw new JourneyEditException(
                current.Id,
                null,
                $"An edit of journey '{current.Id}' must return it as a draft with the same id and version ({current.Version}); it returned {got}. "
                + "Activate and stop with ActivateAsync and StopAsync, make a new version with UpdateAsync, copy it under another id with CloneAsync.");
        }
    }

    /// <summary>Sending journeys are run by <see cref="ISendingManager"/>; the journey operations that change them are refused.</summary>
    private static void RefuseSendingId(string? journeyId, string parameterName)
    {
        if (SendingJourneys.IsSending(journeyId))
        {
            throw new ArgumentException(
                $"Journey id {IdText.Quote(journeyId)} is reserved: ids starting with '{SendingJourneys.JourneyIdPrefix}' belong to sendings (use ISendingManager).",
                parameterName);
        }
    }

    private ValueTask<JourneyRecord> RequireAsync(string journeyId, CancellationToken cancellationToken) =>
        journeys.RequireAsync(journeyId, cancellationToken);

    private async ValueTask<CompiledJourney> RequireActiveAsync(string journeyId, CancellationToken cancellationToken)
    {
        var record = await RequireAsync(journeyId, cancellationToken).ConfigureAwait(false);
        return await compiled.FindActiveAsync(record, cancellationToken).ConfigureAwait(false)
            ?? throw new JourneyLifecycleException(journeyId, JourneyLifecycleRefusal.NotActive, $"Journey '{journeyId}' is not active: activate it before enrolling customers.");
    }

    [LoggerMessage(20, LogLevel.Information, "Journey {JourneyId} version {Version} activated")]
    private static partial void LogActivated(ILogger logger, string journeyId, int version);

    [LoggerMessage(21, LogLevel.Information, "Journey {JourneyId} version {Version} stopped; {Cancelled} enrollments cancelled")]
    private static partial void LogStopped(ILogger logger, string journeyId, int version, int cancelled);
}
