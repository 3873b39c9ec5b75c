using Journeys.Model;
using Journeys.Storage;

namespace Journeys.Tests.Shared;

/// <summary>
/// A journey store that passes every call to another (compiled into both test projects): a test's decorator overrides
/// only what it watches or changes. <see cref="IJourneyStore.SaveWithIntakeAsync"/> and
/// <see cref="IJourneyStore.ReleaseIntakeAsync"/> are passed on too, not left to the interface's defaults: the inner
/// store's save of a journey with its intake stays one atomic step, and its claims are still given back.
/// </summary>
internal abstract class DelegatingJourneyStore(IJourneyStore inner) : IJourneyStore
{
    /// <summary>The store every call goes to unless overridden.</summary>
    protected IJourneyStore InnerStore { get; } = inner;

    public virtual ValueTask<JourneyRecord> SaveAsync(JourneyDefinition journey, string? expectedETag, CancellationToken cancellationToken = default) =>
        InnerStore.SaveAsync(journey, expectedETag, cancellationToken);

    public virtual ValueTask<JourneyRecord> SaveWithIntakeAsync(JourneyDefinition journey, string? expectedETag, JourneyIntake intake, CancellationToken cancellationToken = default) =>
        InnerStore.SaveWithIntakeAsync(journey, expectedETag, intake, cancellationToken);

    public virtual ValueTask<JourneyRecord?> GetAsync(string journeyId, CancellationToken cancellationToken = default) => InnerStore.GetAsync(journeyId, cancellationToken);

    public virtual ValueTask<JourneyRecord?> GetVersionAsync(string journeyId, int version, CancellationToken cancellationToken = default) =>
        InnerStore.GetVersionAsync(journeyId, version, cancellationToken);

    public virtual IAsyncEnumerable<JourneyRecord> ListAsync(CancellationToken cancellationToken = default) => InnerStore.ListAsync(cancellationToken);

    public virtual ValueTask<bool> DeleteAsync(string journeyId, CancellationToken cancellationToken = default) => InnerStore.DeleteAsync(journeyId, cancellationToken);

    public virtual ValueTask<IReadOnlyList<string>> EraseCustomerAsync(string customerId, CancellationToken cancellationToken = default) => InnerStore.EraseCustomerAsync(customerId, cancellationToken);

    public virtual ValueTask SaveIntakeAsync(JourneyIntake intake, CancellationToken cancellationToken = default) => InnerStore.SaveIntakeAsync(intake, cancellationToken);

    public virtual IAsyncEnumerable<JourneyIntake> ListIntakesAsync(CancellationToken cancellationToken = default) => InnerStore.ListIntakesAsync(cancellationToken);

    public virtual ValueTask<JourneyIntake?> ClaimIntakeAsync(string journeyId, Guid intakeId, string owner, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default) =>
        InnerStore.ClaimIntakeAsync(journeyId, intakeId, owner, now, lease, cancellationToken);

    public virtual ValueTask<bool> CompleteIntakeAsync(string journeyId, Guid intakeId, string owner, CancellationToken cancellationToken = default) =>
        InnerStore.CompleteIntakeAsync(journeyId, intakeId, owner, cancellationToken);

    public virtual ValueTask<bool> ReleaseIntakeAsync(string journeyId, Guid intakeId, string owner, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        InnerStore.ReleaseIntakeAsync(journeyId, intakeId, owner, now, cancellationToken);
}
