using Journeys.Model;

namespace Journeys.Storage;

/// <summary>
/// For <see cref="IEnrollmentStore"/> implementers: the entry checks of <see cref="IEnrollmentStore.EnrollAsync"/>
/// that follow the duplicate check (docs/storage.md, "Entering"), in their order: the entry window, re-entry
/// (<see cref="ReEntryMode.Never"/>, <see cref="ReEntryMode.AfterExit"/>, <see cref="ReEntryMode.AfterCooldown"/>) and
/// the entry cap. Every store calls this one function, so they cannot disagree on a rule.
/// </summary>
public static class EntryRuleChecks
{
    /// <summary>
    /// Why <paramref name="request"/> may not create an enrollment, or <see langword="null"/> when it may. Call it
    /// after finding that the customer has no live enrollment in the journey (that is
    /// <see cref="EnrollmentOutcomeKind.DuplicateActive"/>).
    /// </summary>
    /// <param name="request">The request (its <see cref="EnrollmentRequest.Rules"/> and <see cref="EnrollmentRequest.At"/>).</param>
    /// <param name="lastEndedAt">
    /// The latest <see cref="Enrollment.UpdatedAt"/> among the customer's ended enrollments in the journey (any version),
    /// or <see langword="null"/> when the customer has never been enrolled in it.
    /// </param>
    /// <param name="enrollmentsCreated">Enrollments ever created in the journey (all versions, ended ones included).</param>
    /// <returns><see cref="EnrollmentOutcomeKind.OutsideWindow"/>, <see cref="EnrollmentOutcomeKind.ReEntryRefused"/>, <see cref="EnrollmentOutcomeKind.CapReached"/>, or null.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="request"/> or its rules are null.</exception>
    public static EnrollmentOutcomeKind? Refusal(EnrollmentRequest request, DateTimeOffset? lastEndedAt, long enrollmentsCreated)
    {
        ArgumentNullException.ThrowIfNull(request);
        var rules = request.Rules ?? throw new ArgumentNullException(nameof(request), "The enrollment request has no entry rules.");
        return Refusal(rules, request.At, lastEndedAt, enrollmentsCreated);
    }

    /// <summary><see cref="Refusal(EnrollmentRequest, DateTimeOffset?, long)"/> of a request with <paramref name="rules"/> and entry time <paramref name="at"/>.</summary>
    internal static EnrollmentOutcomeKind? Refusal(EntryRules rules, DateTimeOffset at, DateTimeOffset? lastEndedAt, long enrollmentsCreated)
    {
        if ((rules.WindowStart is { } start && at < start) || (rules.WindowEnd is { } end && at >= end))
        {
            return EnrollmentOutcomeKind.OutsideWindow;
        }

        var refused = rules.ReEntry switch
        {
            ReEntryMode.Never => lastEndedAt is not null,
            // Compared as the time since the end: the end plus a cooldown as long as TimeSpan.MaxValue (valid: any positive
            // one is) runs past DateTimeOffset.MaxValue, and saturated there it was not after an entry at that last instant.
            ReEntryMode.AfterCooldown => lastEndedAt is { } ended && at - ended < (rules.Cooldown ?? TimeSpan.Zero),
            _ => false,
        };
        if (refused)
        {
            return EnrollmentOutcomeKind.ReEntryRefused;
        }

        return rules.EntryCap is { } cap && enrollmentsCreated >= cap ? EnrollmentOutcomeKind.CapReached : null;
    }
}
