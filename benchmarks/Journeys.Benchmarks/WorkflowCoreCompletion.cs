using WorkflowCore.Interface;
using WorkflowCore.Models;
using WorkflowCore.Services;

namespace Journeys.Benchmarks;

/// <summary>
/// The peer comparison's end-of-run signal on the WorkflowCore side, the same rule as <see cref="SendCompletion"/> on the
/// Journeys side: no polling while the engine runs. WorkflowCore's persistence (its default in-memory provider, which this
/// wraps as WorkflowCore's own <c>TransientMemoryPersistenceProvider</c> does) notes each instance the moment it is
/// persisted as <see cref="WorkflowStatus.Complete"/>, once per instance (a flag in its <see cref="PeerCustomerData"/>),
/// and completes <see cref="Completed"/> with the last one: the end the benchmark takes for WorkflowCore (every instance
/// persisted as complete), as Journeys' end comes after every enrollment's completion was committed. The harness before
/// polled every millisecond (a thread-pool wake-up ~1,000 times a second, through the delay variant's idle second too),
/// then read each instance back through the provider's lock, a linear search of its instance list per read, inside the
/// timed part. A step error faults the signal at once (<see cref="Fail"/>).
/// </summary>
internal sealed class WorkflowCoreCompletion
{
    private readonly int _instances;
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _persistedComplete;

    public WorkflowCoreCompletion(int instances)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(instances);
        _instances = instances;
    }

    /// <summary>Completes when every instance was persisted as complete; faults on a step error.</summary>
    public Task Completed => _completed.Task;

    /// <summary>Instances seen persisted as complete.</summary>
    public int PersistedComplete => Volatile.Read(ref _persistedComplete);

    /// <summary>The persistence provider WorkflowCore's default registration makes, wrapped to note completed instances.</summary>
    public IPersistenceProvider Wrap(IServiceProvider services) =>
        new Persistence(new TransientMemoryPersistenceProvider((ISingletonMemoryProvider)(services.GetService(typeof(ISingletonMemoryProvider))
            ?? throw new InvalidOperationException("WorkflowCore's in-memory provider (ISingletonMemoryProvider) is not registered."))), this);

    /// <summary>Faults the signal with a step's error: the run cannot end as expected.</summary>
    public void Fail(Exception error) => _completed.TrySetException(error);

    private void Persisted(WorkflowInstance workflow)
    {
        if (workflow.Status == WorkflowStatus.Complete && workflow.Data is PeerCustomerData data && Interlocked.Exchange(ref data.PersistedComplete, 1) == 0
            && Interlocked.Increment(ref _persistedComplete) == _instances)
        {
            _completed.TrySetResult();
        }
    }

    private sealed class Persistence(IPersistenceProvider inner, WorkflowCoreCompletion completion) : IPersistenceProvider
    {
        public bool SupportsScheduledCommands => inner.SupportsScheduledCommands;

        public async Task PersistWorkflow(WorkflowInstance workflow, CancellationToken cancellationToken = default)
        {
            await inner.PersistWorkflow(workflow, cancellationToken).ConfigureAwait(false);
            completion.Persisted(workflow);
        }

        public async Task PersistWorkflow(WorkflowInstance workflow, List<EventSubscription> subscriptions, CancellationToken cancellationToken = default)
        {
            await inner.PersistWorkflow(workflow, subscriptions, cancellationToken).ConfigureAwait(false);
            completion.Persisted(workflow);
        }

        public Task<string> CreateNewWorkflow(WorkflowInstance workflow, CancellationToken cancellationToken = default) => inner.CreateNewWorkflow(workflow, cancellationToken);

        public Task<IEnumerable<string>> GetRunnableInstances(DateTime asAt, CancellationToken cancellationToken = default) => inner.GetRunnableInstances(asAt, cancellationToken);

        [Obsolete("Forwards WorkflowCore's obsolete query.")]
        public Task<IEnumerable<WorkflowInstance>> GetWorkflowInstances(WorkflowStatus? status, string type, DateTime? createdFrom, DateTime? createdTo, int skip, int take) =>
#pragma warning disable CS0612 // WorkflowCore marks the query obsolete; the wrapper forwards it unchanged.
            inner.GetWorkflowInstances(status, type, createdFrom, createdTo, skip, take);
#pragma warning restore CS0612

        public Task<WorkflowInstance> GetWorkflowInstance(string Id, CancellationToken cancellationToken = default) => inner.GetWorkflowInstance(Id, cancellationToken);

        public Task<IEnumerable<WorkflowInstance>> GetWorkflowInstances(IEnumerable<string> ids, CancellationToken cancellationToken = default) => inner.GetWorkflowInstances(ids, cancellationToken);

        public Task<string> CreateEventSubscription(EventSubscription subscription, CancellationToken cancellationToken = default) => inner.CreateEventSubscription(subscription, cancellationToken);

        public Task<IEnumerable<EventSubscription>> GetSubscriptions(string eventName, string eventKey, DateTime asOf, CancellationToken cancellationToken = default) =>
            inner.GetSubscriptions(eventName, eventKey, asOf, cancellationToken);

        public Task TerminateSubscription(string eventSubscriptionId, CancellationToken cancellationToken = default) => inner.TerminateSubscription(eventSubscriptionId, cancellationToken);

        public Task<EventSubscription> GetSubscription(string eventSubscriptionId, CancellationToken cancellationToken = default) => inner.GetSubscription(eventSubscriptionId, cancellationToken);

        public Task<EventSubscription> GetFirstOpenSubscription(string eventName, string eventKey, DateTime asOf, CancellationToken cancellationToken = default) =>
            inner.GetFirstOpenSubscription(eventName, eventKey, asOf, cancellationToken);

        public Task<bool> SetSubscriptionToken(string eventSubscriptionId, string token, string workerId, DateTime expiry, CancellationToken cancellationToken = default) =>
            inner.SetSubscriptionToken(eventSubscriptionId, token, workerId, expiry, cancellationToken);

        public Task ClearSubscriptionToken(string eventSubscriptionId, string token, CancellationToken cancellationToken = default) =>
            inner.ClearSubscriptionToken(eventSubscriptionId, token, cancellationToken);

        public Task<string> CreateEvent(Event newEvent, CancellationToken cancellationToken = default) => inner.CreateEvent(newEvent, cancellationToken);

        public Task<Event> GetEvent(string id, CancellationToken cancellationToken = default) => inner.GetEvent(id, cancellationToken);

        public Task<IEnumerable<string>> GetRunnableEvents(DateTime asAt, CancellationToken cancellationToken = default) => inner.GetRunnableEvents(asAt, cancellationToken);

        public Task<IEnumerable<string>> GetEvents(string eventName, string eventKey, DateTime asOf, CancellationToken cancellationToken = default) =>
            inner.GetEvents(eventName, eventKey, asOf, cancellationToken);

        public Task MarkEventProcessed(string id, CancellationToken cancellationToken = default) => inner.MarkEventProcessed(id, cancellationToken);

        public Task MarkEventUnprocessed(string id, CancellationToken cancellationToken = default) => inner.MarkEventUnprocessed(id, cancellationToken);

        public Task ScheduleCommand(ScheduledCommand command) => inner.ScheduleCommand(command);

        public Task ProcessCommands(DateTimeOffset asOf, Func<ScheduledCommand, Task> action, CancellationToken cancellationToken = default) =>
            inner.ProcessCommands(asOf, action, cancellationToken);

        public Task PersistErrors(IEnumerable<ExecutionError> errors, CancellationToken cancellationToken = default) => inner.PersistErrors(errors, cancellationToken);

        public void EnsureStoreExists() => inner.EnsureStoreExists();
    }
}
