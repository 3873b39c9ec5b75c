using System.Runtime.CompilerServices;
using Journeys.Conditions;
using Journeys.Model;
using Journeys.Sendings;
using Journeys.Storage;

namespace Journeys.Runtime;

/// <summary>
/// Re-checks customers whose fields an update node changed against the active journeys with a filter entry, and
/// enrolls those who now match, under each journey's entry rules: the same rule <see cref="IJourneyManager.PutCustomersAsync"/>
/// applies to customers put through the API. The engine calls it after a commit that changed customer fields. A
/// journey stopped after it was read active keeps no enrollment of this (<see cref="JourneyStopGuard"/>).
/// </summary>
internal sealed class FilterEntryRecheck(
    IJourneyStore journeys,
    ICustomerStore customers,
    IEnrollmentStore enrollments,
    CompiledJourneyCache compiled,
    JourneyStopGuard guard,
    TimeProvider time)
{
    private const int EnrollBatch = 1_000;

    // Entry filters compiled once per compiled version (a schema change makes new compiled versions, and drops these).
    private readonly ConditionalWeakTable<CompiledJourney, CompiledCondition> _filters = [];

    /// <summary>Enrolls the customers into the active filter journeys they now match.</summary>
    /// <param name="customerIds">The customers whose fields changed (distinct).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <param name="enroll">Creates the enrollments (the engine's intake, which may lease them to it); the store's <see cref="IEnrollmentStore.EnrollAsync"/> when null.</param>
    /// <returns>How many enrollments were created.</returns>
    public async ValueTask<int> EnrollMatchingAsync(
        IReadOnlyCollection<string> customerIds,
        CancellationToken cancellationToken,
        Func<IReadOnlyList<EnrollmentRequest>, CancellationToken, ValueTask<IReadOnlyList<EnrollmentOutcome>>>? enroll = null)
    {
        var active = await FindActiveFiltersAsync(cancellationToken).ConfigureAwait(false);
        return active is null ? 0 : await EnrollMatchingAsync(customerIds, active, cancellationToken, enroll).ConfigureAwait(false);
    }

    /// <summary>
    /// The active filter journeys with their compiled entry filters, or <see langword="null"/> when there is none (the
    /// engine then skips collecting the changed customers at all).
    /// </summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async ValueTask<IReadOnlyList<(CompiledJourney Journey, CompiledCondition Filter)>?> FindActiveFiltersAsync(CancellationToken cancellationToken)
    {
        List<(CompiledJourney Journey, CompiledCondition Filter)>? active = null;
        await foreach (var record in journeys.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            if (record.Journey.Entry is not FilterEntry || SendingJourneys.IsSending(record.Journey.Id))
            {
                continue;
            }

            var journey = await compiled.FindActiveForEntriesAsync(record, cancellationToken).ConfigureAwait(false);
            if (journey?.Definition.Entry is FilterEntry)
            {
                var filter = _filters.GetValue(journey, static j => ConditionCompiler.Compile(((FilterEntry)j.Definition.Entry).Condition, j.Schema));
                (active ??= []).Add((journey, filter));
            }
        }

        return active;
    }

    /// <summary>Enrolls the customers into those of <paramref name="active"/> they now match.</summary>
    /// <param name="customerIds">The customers whose fields changed (distinct).</param>
    /// <param name="active">The active filter journeys (from <see cref="FindActiveFiltersAsync"/>).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <param name="enroll">Creates the enrollments (the engine's intake, which may lease them to it); the store's <see cref="IEnrollmentStore.EnrollAsync"/> when null.</param>
    /// <returns>How many enrollments were created (and kept: not in a journey stopped meanwhile).</returns>
    public async ValueTask<int> EnrollMatchingAsync(
        IReadOnlyCollection<string> customerIds,
        IReadOnlyList<(CompiledJourney Journey, CompiledCondition Filter)> active,
        CancellationToken cancellationToken,
        Func<IReadOnlyList<EnrollmentRequest>, CancellationToken, ValueTask<IReadOnlyList<EnrollmentOutcome>>>? enroll = null)
    {
        var now = time.GetUtcNow();
        var requests = new List<EnrollmentRequest>();

        // The customers are read a batch at a time: one store call per batch, not one per customer.
        foreach (var ids in customerIds.Chunk(EnrollBatch))
        {
            foreach (var customer in await customers.GetManyAsync(ids, cancellationToken).ConfigureAwait(false))
            {
                if (customer is null)
                {
                    continue;
                }

                foreach (var (journey, filter) in active)
                {
                    var zone = customer.TimeZoneId is { } id && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var found) ? found : journey.Zone;
                    if (filter.Evaluate(CustomerSlots.ToArray(customer, journey.Schema), new EvaluationContext(now, zone)))
                    {
                        requests.Add(new EnrollmentRequest(
                            EnrollmentIds.NewVersion7(now), journey.Id, journey.Version, customer.Id, journey.Definition.StartNodeId, now, journey.Definition.EntryRules, journey.GoalEvents));
                    }
                }
            }
        }

        var created = 0;
        foreach (var chunk in requests.Chunk(EnrollBatch))
        {
            var outcomes = enroll is null
                ? await enrollments.EnrollAsync(chunk, cancellationToken).ConfigureAwait(false)
                : await enroll(chunk, cancellationToken).ConfigureAwait(false);
            foreach (var outcome in outcomes)
            {
                created += outcome.Kind == EnrollmentOutcomeKind.Created ? 1 : 0;
            }

            // Also for a customer deleted since it was read above: a deleted customer is not sent to.
            created -= (await guard.CancelEntriesOfStoppedAsync(chunk, outcomes, "journey stopped", cancellationToken, customersMustExist: true).ConfigureAwait(false)).Total;
        }

        return created;
    }
}
