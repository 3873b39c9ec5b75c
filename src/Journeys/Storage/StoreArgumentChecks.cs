using Journeys.Model;

namespace Journeys.Storage;

/// <summary>
/// For store implementers: the argument checks every store makes before it writes anything, in one place, so that
/// each store refuses the same bad input with the same message (and a third-party store can make them too).
/// </summary>
public static class StoreArgumentChecks
{
    /// <summary>The longest <see cref="CustomerEvent.Id"/> accepted: 200 characters.</summary>
    public const int MaxEventIdLength = 200;

    /// <summary>Checks customer events to append: each is there, has a customer id of at most <see cref="Customer.MaxIdLength"/> characters, a name and properties (empty for none; no two names that differ only by case), and an id that is null or 1 to <see cref="MaxEventIdLength"/> characters.</summary>
    /// <param name="events">The events.</param>
    /// <param name="parameterName">The name of the caller's parameter, for the exception.</param>
    /// <exception cref="ArgumentNullException"><paramref name="events"/> is null.</exception>
    /// <exception cref="ArgumentException">An event is null or incomplete, has two property names that differ only by case, or its id is empty or too long (its index is named).</exception>
    public static void Events(IReadOnlyList<CustomerEvent> events, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(events, parameterName);
        for (var i = 0; i < events.Count; i++)
        {
            var customerEvent = events[i];
            if (customerEvent is null || string.IsNullOrEmpty(customerEvent.CustomerId) || string.IsNullOrEmpty(customerEvent.Name))
            {
                throw new ArgumentException($"Event at index {i} is null or has no customer id or name; nothing was written.", parameterName);
            }

            if (IdLimits.IsCustomerIdTooLong(customerEvent.CustomerId))
            {
                throw new ArgumentException($"Event at index {i} has a customer id that {IdLimits.CustomerIdTooLong(customerEvent.CustomerId.Length)}; nothing was written.", parameterName);
            }

            if (customerEvent.Properties is null)
            {
                throw new ArgumentException($"Event at index {i} has null properties (give an empty dictionary for none); nothing was written.", parameterName);
            }

            if (customerEvent.Properties.Count > 1 && customerEvent.Properties.KeyComparer != StringComparer.OrdinalIgnoreCase)
            {
                // Names are matched whatever their case (the stores give the properties back so): two that differ only by case are one twice.
                var names = new HashSet<string>(customerEvent.Properties.Count, StringComparer.OrdinalIgnoreCase);
                foreach (var name in customerEvent.Properties.Keys)
                {
                    if (!names.Add(name))
                    {
                        names.TryGetValue(name, out var first);
                        throw new ArgumentException($"Event at index {i} has the properties '{first}' and '{name}', whose names differ only by case (property names are matched whatever their case); nothing was written.", parameterName);
                    }
                }
            }

            if (customerEvent.Id is { Length: 0 or > MaxEventIdLength })
            {
                throw new ArgumentException($"Event at index {i} has an id that is empty or longer than {MaxEventIdLength} characters; nothing was written.", parameterName);
            }
        }
    }

    /// <summary>
    /// The time <see cref="IEnrollmentStore.AppendEventsAsync(IReadOnlyList{CustomerEvent}, CancellationToken)"/> records
    /// event ids at in this library's stores (that overload has no clock): the latest event time of the call. That
    /// overload counts every recorded id, whatever its age, as a duplicate.
    /// </summary>
    /// <param name="events">The events (nulls are skipped).</param>
    /// <returns>The latest <see cref="CustomerEvent.Time"/>, or <see cref="DateTimeOffset.MinValue"/> for none.</returns>
    public static DateTimeOffset LatestEventTime(IReadOnlyList<CustomerEvent>? events)
    {
        var latest = DateTimeOffset.MinValue;
        foreach (var customerEvent in events ?? [])
        {
            if (customerEvent is not null && customerEvent.Time > latest)
            {
                latest = customerEvent.Time;
            }
        }

        return latest;
    }

    /// <summary>Checks statistic deltas: each has a journey id.</summary>
    /// <param name="deltas">The deltas.</param>
    /// <param name="parameterName">The name of the caller's parameter, for the exception.</param>
    /// <exception cref="ArgumentNullException"><paramref name="deltas"/> is null.</exception>
    /// <exception cref="ArgumentException">A delta has no journey id (its index is named).</exception>
    public static void Statistics(IReadOnlyList<StatisticDelta> deltas, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(deltas, parameterName);
        for (var i = 0; i < deltas.Count; i++)
        {
            if (string.IsNullOrEmpty(deltas[i].JourneyId))
            {
                throw new ArgumentException($"Statistic delta at index {i} has no journey id.", parameterName);
            }

            if (deltas[i].NodeId is { Length: 0 })
            {
                // The durable stores keep the journey's own counters under '': an empty node id would add to those.
                throw new ArgumentException($"Statistic delta at index {i} has an empty node id (null counts for the journey as a whole).", parameterName);
            }
        }
    }

    /// <summary>
    /// Checks a commit's checkpoints (<see cref="IEnrollmentStore.CommitAsync"/>): none is null, each has a state and its
    /// lists, its statistic deltas pass <see cref="Statistics"/>, each outbox message has a message id, and each node id
    /// in <see cref="EnrollmentCheckpoint.WithdrawNodeIds"/> is neither null nor empty. Checkpoints
    /// that share one delta list (the engine shares it among runs that counted the same deltas) have it checked once.
    /// </summary>
    /// <param name="checkpoints">The checkpoints.</param>
    /// <param name="parameterName">The name of the caller's parameter, for the exception.</param>
    /// <exception cref="ArgumentNullException"><paramref name="checkpoints"/> is null.</exception>
    /// <exception cref="ArgumentException">A checkpoint is null or incomplete (its index is named); nothing was written.</exception>
    public static void Checkpoints(IReadOnlyList<EnrollmentCheckpoint> checkpoints, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(checkpoints, parameterName);
        IReadOnlyList<StatisticDelta>? checkedDeltas = null;
        for (var i = 0; i < checkpoints.Count; i++)
        {
            var checkpoint = checkpoints[i];
            if (checkpoint is null || !checkpoint.HasState || !checkpoint.HasOutbox || !checkpoint.HasCustomerUpdates || checkpoint.Statistics is null
                || checkpoint.WithdrawNodeIds is null)
            {
                throw new ArgumentException($"Checkpoint at index {i} is null or has a null state or list.", parameterName);
            }

            var withdraw = checkpoint.WithdrawNodeIds;
            for (var n = 0; n < withdraw.Count; n++)
            {
                if (string.IsNullOrEmpty(withdraw[n]))
                {
                    throw new ArgumentException($"Checkpoint at index {i} names a null or empty node id at index {n} of {nameof(EnrollmentCheckpoint.WithdrawNodeIds)}; nothing was written.", parameterName);
                }
            }

            if (!ReferenceEquals(checkpoint.Statistics, checkedDeltas))
            {
                Statistics(checkpoint.Statistics, parameterName);
                checkedDeltas = checkpoint.Statistics;
            }

            // Indexed, not foreach: an enumerator of the interface list is an object per checkpoint. The sends are read
            // without building the executor form's records.
            var outbox = checkpoint.Sends;
            for (var m = 0; m < outbox.Count; m++)
            {
                if (outbox.Message(m) is not { HasMessageId: true })
                {
                    throw new ArgumentException($"Checkpoint at index {i} has a null outbox message; nothing was written.", parameterName);
                }
            }
        }
    }

    /// <summary>
    /// Checks outbox results (<see cref="IOutboxStore.CompleteAsync"/>): none is null, each has a message id and
    /// statistic deltas that pass <see cref="Statistics"/>.
    /// </summary>
    /// <param name="results">The results.</param>
    /// <param name="parameterName">The name of the caller's parameter, for the exception.</param>
    /// <exception cref="ArgumentNullException"><paramref name="results"/> is null, or a result's message id or deltas are.</exception>
    /// <exception cref="ArgumentException">A result is null (its index is named) or a delta has no journey id.</exception>
    public static void OutboxResults(IReadOnlyList<OutboxResult> results, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(results, parameterName);
        for (var i = 0; i < results.Count; i++)
        {
            var result = results[i] ?? throw new ArgumentException($"Outbox result at index {i} is null.", parameterName);
            ArgumentNullException.ThrowIfNull(result.MessageId, parameterName);
            ArgumentNullException.ThrowIfNull(result.Statistics, parameterName);
            Statistics(result.Statistics, parameterName);
        }
    }

    /// <summary>
    /// Checks one enrollment request of a batch (<see cref="IEnrollmentStore.EnrollAsync"/>): it is not null and has a
    /// journey id of at most <see cref="JourneyDefinition.MaxIdLength"/> characters (a sending's: up to 208, see
    /// <see cref="IdLimits.IsStoredJourneyIdTooLong"/>), a customer id of at most <see cref="Customer.MaxIdLength"/>, a
    /// start node id and entry rules.
    /// </summary>
    /// <param name="request">The request.</param>
    /// <param name="index">Its index in the batch, for the message.</param>
    /// <param name="parameterName">The name of the caller's parameter, for the exception.</param>
    /// <returns>The request.</returns>
    /// <exception cref="ArgumentException">The request is null or incomplete (its index is named).</exception>
    public static EnrollmentRequest EnrollmentRequest(EnrollmentRequest? request, int index, string parameterName)
    {
        if (request is null)
        {
            throw new ArgumentException($"Enrollment request at index {index} is null.", parameterName);
        }

        EnrollmentEntry(EntryFields.Of(request), index, parameterName);
        return request;
    }

    /// <summary>The checks of <see cref="EnrollmentRequest"/> on a request's fields (an <see cref="EnrollmentBatch"/>'s entry).</summary>
    internal static void EnrollmentEntry(in EntryFields request, int index, string parameterName)
    {
        if (string.IsNullOrEmpty(request.JourneyId) || string.IsNullOrEmpty(request.CustomerId) || string.IsNullOrEmpty(request.StartNodeId) || request.Rules is null)
        {
            throw new ArgumentException($"Enrollment request at index {index} needs a journey id, a customer id, a start node id and entry rules.", parameterName);
        }

        if (IdLimits.IsStoredJourneyIdTooLong(request.JourneyId))
        {
            throw new ArgumentException($"Enrollment request at index {index} has a journey id that {IdLimits.StoredJourneyIdTooLong(request.JourneyId)}; nothing was written.", parameterName);
        }

        if (IdLimits.IsCustomerIdTooLong(request.CustomerId))
        {
            throw new ArgumentException($"Enrollment request at index {index} has a customer id that {IdLimits.CustomerIdTooLong(request.CustomerId.Length)}; nothing was written.", parameterName);
        }
    }

    /// <summary>
    /// Checks a batch of enrollment requests: each passes <see cref="EnrollmentRequest"/> and no enrollment id is used twice.
    /// </summary>
    /// <param name="requests">The requests.</param>
    /// <param name="parameterName">The name of the caller's parameter, for the exception.</param>
    /// <returns>The batch's enrollment ids.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="requests"/> is null.</exception>
    /// <exception cref="ArgumentException">A request is null or incomplete, or an id is used twice (the index is named); nothing was written.</exception>
    public static HashSet<Guid> EnrollmentRequests(IReadOnlyList<EnrollmentRequest> requests, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(requests, parameterName);
        var ids = new HashSet<Guid>(requests.Count);
        for (var i = 0; i < requests.Count; i++)
        {
            var request = EnrollmentRequest(requests[i], i, parameterName);
            if (!ids.Add(request.EnrollmentId))
            {
                throw new ArgumentException($"Enrollment id {request.EnrollmentId} is used twice in the batch (index {i}); nothing was written.", parameterName);
            }
        }

        return ids;
    }

    /// <summary>
    /// Checks what published events cause (<see cref="IEnrollmentStore.PublishEventsAsync"/>): each consequence is there
    /// and names an event of <paramref name="events"/>; an entry passes <see cref="EnrollmentRequest"/> and no entry's
    /// enrollment id is used twice; a click has a customer id; a feedback delta has a journey id.
    /// </summary>
    /// <param name="events">The events, checked first with <see cref="Events"/>.</param>
    /// <param name="consequences">The consequences.</param>
    /// <param name="parameterName">The name of the caller's parameter, for the exception.</param>
    /// <returns>The entries' enrollment ids.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="events"/> or <paramref name="consequences"/> is null.</exception>
    /// <exception cref="ArgumentException">An event is null or incomplete (as <see cref="Events"/> says), or a consequence is null, names no event of the call, or has an incomplete entry, click or delta (its index is named); nothing was written.</exception>
    public static HashSet<Guid> EventConsequences(IReadOnlyList<CustomerEvent> events, IReadOnlyList<EventConsequence> consequences, string parameterName)
    {
        Events(events, nameof(events));
        ArgumentNullException.ThrowIfNull(consequences, parameterName);
        var ids = new HashSet<Guid>();
        for (var i = 0; i < consequences.Count; i++)
        {
            var consequence = consequences[i];
            if (consequence is null || consequence.Event < 0 || consequence.Event >= events.Count)
            {
                throw new ArgumentException($"Consequence at index {i} is null or names no event of the call; nothing was written.", parameterName);
            }

            if (consequence.Entry is { } entry && !ids.Add(EnrollmentRequest(entry, i, parameterName).EnrollmentId))
            {
                throw new ArgumentException($"Enrollment id {entry.EnrollmentId} is used twice in the batch (index {i}); nothing was written.", parameterName);
            }

            if (consequence.Click is { CustomerId: null or "" } || consequence.Feedback is { JourneyId: null or "" })
            {
                throw new ArgumentException($"Consequence at index {i} has a click without a customer id or feedback without a journey id; nothing was written.", parameterName);
            }
        }

        return ids;
    }

    /// <summary>
    /// Checks a batch of customers to upsert (<see cref="ICustomerStore.UpsertAsync"/>): none is null, no id is given
    /// twice, and no id is longer than <see cref="Customer.MaxIdLength"/>.
    /// </summary>
    /// <param name="customers">The customers.</param>
    /// <param name="parameterName">The name of the caller's parameter, for the exception.</param>
    /// <exception cref="ArgumentNullException"><paramref name="customers"/> is null.</exception>
    /// <exception cref="ArgumentException">A customer is null, its id is given twice or is too long (the index is named); nothing was written.</exception>
    public static void Customers(IReadOnlyList<Customer> customers, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(customers, parameterName);
        var seen = new HashSet<string>(customers.Count, StringComparer.Ordinal);
        for (var i = 0; i < customers.Count; i++)
        {
            var customer = customers[i] ?? throw new ArgumentException($"Customer at index {i} is null.", parameterName);
            if (IdLimits.IsCustomerIdTooLong(customer.Id))
            {
                throw new ArgumentException($"Customer at index {i} has a customer id that {IdLimits.CustomerIdTooLong(customer.Id.Length)}; nothing was written.", parameterName);
            }

            if (!seen.Add(customer.Id))
            {
                throw new ArgumentException($"Customer '{customer.Id}' appears more than once in the batch (at index {i}); nothing was written.", parameterName);
            }
        }
    }

    /// <summary>
    /// Checks a batch of customer patches (<see cref="ICustomerStore.MergeAsync"/>): none is null, each has a customer id
    /// (at most <see cref="Customer.MaxIdLength"/> characters) and fields whose names are not empty and not given twice (compared case-insensitively), and no customer id is
    /// patched twice.
    /// </summary>
    /// <param name="patches">The patches.</param>
    /// <param name="parameterName">The name of the caller's parameter, for the exception.</param>
    /// <returns>The batch's customer ids, in order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="patches"/> is null.</exception>
    /// <exception cref="ArgumentException">A patch is null or incomplete, names a field twice, or its id is patched twice (the index is named); nothing was written.</exception>
    public static string[] CustomerPatches(IReadOnlyList<CustomerPatch> patches, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(patches, parameterName);
        var ids = new string[patches.Count];
        var first = new Dictionary<string, int>(patches.Count, StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < patches.Count; i++)
        {
            var patch = patches[i] ?? throw new ArgumentException($"Customer patch at index {i} is null; nothing was written.", parameterName);
            if (string.IsNullOrWhiteSpace(patch.CustomerId) || patch.Fields is null)
            {
                throw new ArgumentException($"Customer patch at index {i} needs a customer id and fields; nothing was written.", parameterName);
            }

            if (IdLimits.IsCustomerIdTooLong(patch.CustomerId))
            {
                throw new ArgumentException($"Customer patch at index {i} has a customer id that {IdLimits.CustomerIdTooLong(patch.CustomerId.Length)}; nothing was written.", parameterName);
            }

            if (!first.TryAdd(patch.CustomerId, i))
            {
                throw new ArgumentException(
                    $"Customer '{patch.CustomerId}' is patched twice in the batch (at indexes {first[patch.CustomerId]} and {i}); nothing was written.", parameterName);
            }

            names.Clear();
            foreach (var (name, _) in patch.Fields)
            {
                if (string.IsNullOrEmpty(name) || !names.Add(name))
                {
                    throw new ArgumentException(
                        $"Customer patch at index {i} ('{patch.CustomerId}') has {(string.IsNullOrEmpty(name) ? "a field with an empty name" : $"the field '{name}' twice")}; nothing was written.",
                        parameterName);
                }
            }

            ids[i] = patch.CustomerId;
        }

        return ids;
    }

    /// <summary>Checks an intake to save: it is there and names a journey and a version of at least 1.</summary>
    /// <param name="intake">The intake.</param>
    /// <param name="parameterName">The name of the caller's parameter, for the exception.</param>
    /// <exception cref="ArgumentNullException"><paramref name="intake"/> is null.</exception>
    /// <exception cref="ArgumentException">The intake has no journey id or a version below 1.</exception>
    public static void Intake(JourneyIntake intake, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(intake, parameterName);
        if (string.IsNullOrWhiteSpace(intake.JourneyId) || intake.Version < 1)
        {
            throw new ArgumentException($"The intake must name a journey and a version of at least 1 (it has journey '{intake.JourneyId}', version {intake.Version}).", parameterName);
        }

        if (string.IsNullOrWhiteSpace(intake.Owner) != intake.LeaseExpiresAt is null)
        {
            throw new ArgumentException($"The intake of journey '{intake.JourneyId}' must have both an owner and a lease expiry (claimed) or neither (unclaimed).", parameterName);
        }
    }

    /// <summary>
    /// Checks a journey and the intake to save with it (<see cref="IJourneyStore.SaveWithIntakeAsync"/>): the journey is
    /// there with an id and is active, and the intake passes <see cref="Intake"/> and is that journey's, at its version
    /// (saved with any other, the intake would have ended at once: see <see cref="IJourneyStore.SaveAsync"/>).
    /// </summary>
    /// <param name="journey">The journey to save.</param>
    /// <param name="intake">Its intake.</param>
    /// <param name="parameterName">The name of the caller's intake parameter, for the exception.</param>
    /// <exception cref="ArgumentNullException"><paramref name="journey"/> or <paramref name="intake"/> is null.</exception>
    /// <exception cref="ArgumentException">The journey has no id or is not active, or the intake is not valid or is another journey's or version's.</exception>
    public static void IntakeOfJourney(JourneyDefinition journey, JourneyIntake intake, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(journey);
        ArgumentException.ThrowIfNullOrWhiteSpace(journey.Id, nameof(journey));
        Intake(intake, parameterName);
        if (!string.Equals(intake.JourneyId, journey.Id, StringComparison.Ordinal) || intake.Version != journey.Version)
        {
            throw new ArgumentException(
                $"The intake is journey '{intake.JourneyId}' version {intake.Version}'s, not the saved journey's ('{journey.Id}' version {journey.Version}); nothing was written.", parameterName);
        }

        if (journey.Status != JourneyStatus.Active)
        {
            throw new ArgumentException(
                $"Journey '{journey.Id}' is saved {journey.Status.ToString().ToLowerInvariant()}: an intake is saved only with its version active; nothing was written.", parameterName);
        }
    }

    /// <summary>Checks the arguments of a claim of an intake: a journey id, an owner, and a positive lease.</summary>
    /// <param name="journeyId">The journey.</param>
    /// <param name="owner">The claiming host.</param>
    /// <param name="lease">How long the claim holds.</param>
    /// <exception cref="ArgumentNullException"><paramref name="journeyId"/> or <paramref name="owner"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="owner"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="lease"/> is not positive.</exception>
    public static void IntakeClaim(string journeyId, string owner, TimeSpan lease)
    {
        ArgumentNullException.ThrowIfNull(journeyId);
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
    }

    /// <summary>Checks sends to reserve or release (<see cref="IFrequencyCapStore"/>): each has a customer id and a key.</summary>
    /// <param name="sends">The sends.</param>
    /// <param name="parameterName">The name of the caller's parameter, for the exception.</param>
    /// <exception cref="ArgumentNullException"><paramref name="sends"/> is null.</exception>
    /// <exception cref="ArgumentException">A send has no customer id or no key (its index is named).</exception>
    public static void SendReservations(IReadOnlyList<SendReservation> sends, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(sends, parameterName);
        for (var i = 0; i < sends.Count; i++)
        {
            if (string.IsNullOrEmpty(sends[i].CustomerId) || string.IsNullOrEmpty(sends[i].Key))
            {
                throw new ArgumentException($"Send at index {i} has no customer id or no key; nothing was written.", parameterName);
            }
        }
    }

    /// <summary>Checks a frequency cap's arguments (<see cref="IFrequencyCapStore.TryReserveSendsAsync"/>): a cap of at least 1 and a positive window.</summary>
    /// <param name="cap">The cap.</param>
    /// <param name="window">The window.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="cap"/> is below 1 or <paramref name="window"/> is not positive.</exception>
    public static void FrequencyCap(int cap, TimeSpan window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cap, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
    }
}
