namespace Journeys.Storage;

/// <summary>What <see cref="IEnrollmentStore.PublishEventsAsync"/> did.</summary>
/// <param name="Sequences">For each event, in order: its sequence number when appended, 0 when it was not (a duplicate id).</param>
/// <param name="Entries">
/// For each consequence, in order: the outcome of its <see cref="EventConsequence.Entry"/>, or <see langword="null"/> when
/// it has none or its event was not appended.
/// </param>
public sealed record PublishedEvents(IReadOnlyList<long> Sequences, IReadOnlyList<EnrollmentOutcome?> Entries)
{
    /// <summary>
    /// The created entries written leased to the lease's owner, in consequence order, as a claim returns them (as
    /// <see cref="LeasedEnrollments.Leased"/>); empty without a lease.
    /// </summary>
    public IReadOnlyList<WorkItem> Leased { get; init; } = [];

    /// <summary>
    /// For store implementers: the entries to make once the events are appended, in consequence order: those of appended
    /// events, each with its <see cref="EnrollmentRequest.EventCursor"/> at its event's sequence number (left unset for a
    /// sequence that is not known, -1).
    /// </summary>
    /// <param name="consequences">The consequences (checked with <see cref="StoreArgumentChecks.EventConsequences"/>).</param>
    /// <param name="sequences">The events' sequence numbers, 0 for one not appended.</param>
    /// <returns>The index of each entry's consequence and its request.</returns>
    public static IReadOnlyList<(int Consequence, EnrollmentRequest Request)> EntriesToMake(IReadOnlyList<EventConsequence> consequences, IReadOnlyList<long> sequences)
    {
        ArgumentNullException.ThrowIfNull(consequences);
        ArgumentNullException.ThrowIfNull(sequences);
        var entries = new List<(int, EnrollmentRequest)>();
        for (var i = 0; i < consequences.Count; i++)
        {
            var sequence = sequences[consequences[i].Event];
            if (consequences[i].Entry is { } entry && sequence != 0)
            {
                entries.Add((i, sequence > 0 ? entry with { EventCursor = sequence } : entry));
            }
        }

        return entries;
    }

    /// <summary>For store implementers: the clicks and feedback statistics of the appended events, in consequence order.</summary>
    /// <param name="consequences">The consequences (checked with <see cref="StoreArgumentChecks.EventConsequences"/>).</param>
    /// <param name="sequences">The events' sequence numbers, 0 for one not appended.</param>
    /// <returns>The clicks to count and the deltas to add.</returns>
    public static (IReadOnlyList<EnrollmentClick> Clicks, IReadOnlyList<StatisticDelta> Deltas) FeedbackToCount(IReadOnlyList<EventConsequence> consequences, IReadOnlyList<long> sequences)
    {
        ArgumentNullException.ThrowIfNull(consequences);
        ArgumentNullException.ThrowIfNull(sequences);
        var clicks = new List<EnrollmentClick>();
        var deltas = new List<StatisticDelta>();
        foreach (var consequence in consequences)
        {
            if (sequences[consequence.Event] == 0)
            {
                continue;
            }

            if (consequence.Click is { } click)
            {
                clicks.Add(click);
            }

            if (consequence.Feedback is { } delta)
            {
                deltas.Add(delta);
            }
        }

        return (clicks, deltas);
    }

    /// <summary>For store implementers: the result, from the sequences and the outcomes of the entries <see cref="EntriesToMake"/> gave.</summary>
    /// <param name="sequences">The events' sequence numbers.</param>
    /// <param name="consequences">How many consequences the call had.</param>
    /// <param name="entries">The entries made, as <see cref="EntriesToMake"/> returned them.</param>
    /// <param name="made">Their outcomes, in the same order, and the ones created leased.</param>
    /// <returns>The result.</returns>
    public static PublishedEvents Of(IReadOnlyList<long> sequences, int consequences, IReadOnlyList<(int Consequence, EnrollmentRequest Request)> entries, LeasedEnrollments made)
    {
        ArgumentNullException.ThrowIfNull(made);
        var outcomes = made.Outcomes;
        ArgumentNullException.ThrowIfNull(entries);
        var byConsequence = new EnrollmentOutcome?[consequences];
        for (var i = 0; i < entries.Count; i++)
        {
            byConsequence[entries[i].Consequence] = outcomes[i];
        }

        return new PublishedEvents(sequences, byConsequence) { Leased = made.Leased };
    }
}
