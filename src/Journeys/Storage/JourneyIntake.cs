namespace Journeys.Storage;

/// <summary>
/// The intake of an activated journey version's audience (all customers, a list, a filter), kept by the journey store
/// while it is pending: saved with the activated version (<see cref="IJourneyStore.SaveWithIntakeAsync"/>), run from
/// <see cref="OpensAt"/> by the host that claims it (<see cref="IJourneyStore.ClaimIntakeAsync"/>), removed when done
/// (<see cref="IJourneyStore.CompleteIntakeAsync"/>). A host that dies while enrolling leaves it claimed until its lease
/// expires; then another host (or the same one restarted) claims it and enrolls the customers not enrolled yet.
/// </summary>
/// <param name="Id">The intake's id: a new one per activation (the ids of its enrollments are derived from it).</param>
/// <param name="JourneyId">The journey.</param>
/// <param name="Version">The activated version.</param>
/// <param name="OpensAt">When the audience enters: the activation time, or the entry window's start when that was later.</param>
public sealed record JourneyIntake(Guid Id, string JourneyId, int Version, DateTimeOffset OpensAt)
{
    /// <summary>The host that claimed the intake last, or <see langword="null"/> while nobody has.</summary>
    public string? Owner { get; init; }

    /// <summary>Until when <see cref="Owner"/>'s claim holds, or <see langword="null"/> while nobody has claimed it.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; init; }
}
