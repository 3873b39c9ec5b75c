namespace Journeys.Storage;

/// <summary>
/// Optional for an <see cref="IEnrollmentStore"/>: counts its commits that withdrew outbox messages (a conversion, or a
/// checkpoint's <see cref="EnrollmentCheckpoint.WithdrawNodeIds"/>). The engine's dispatcher checks the messages it holds
/// against the store (<see cref="IOutboxStore.RenewLeasesAsync"/>) only after such a commit; with a store that does not
/// implement it, after every commit that may have withdrawn (an applied checkpoint that converts or names nodes), which
/// is correct but costs more store calls.
/// </summary>
public interface IWithdrawalCounter
{
    /// <summary>
    /// How many <see cref="IEnrollmentStore.CommitAsync"/> calls on this instance withdrew at least one outbox message;
    /// advanced before such a call returns, never by one that withdrew nothing.
    /// </summary>
    long WithdrawingCommits { get; }
}
