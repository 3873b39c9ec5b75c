using System.Diagnostics;
using System.Globalization;
using Journeys.Conditions;
using Journeys.Model;
using Microsoft.Extensions.DependencyInjection;
using WorkflowCore.Interface;
using WorkflowCore.Models;

namespace Journeys.Benchmarks;

/// <summary>
/// WorkflowCore 3.22 running the journey as <see cref="PeerWorkflow"/> on its default in-memory persistence, queue and
/// lock providers, tuned for throughput as its options allow: <c>UseMaxConcurrentWorkflows</c> = cores,
/// <c>UsePollInterval</c> as given, <c>UseIdleTime</c> 1 ms (the dispatcher's back-off when all workers are busy;
/// default 100 ms), and the search-index and life-cycle-event consumers off (nothing here reads them). A fresh host per
/// run: its in-memory persistence keeps instances in a list that every step searches, so it must start empty. The run's
/// end is signalled by its persistence (<see cref="WorkflowCoreCompletion"/>), not polled; the instances are read back only
/// in <see cref="VerifyAsync"/>, after the timed part.
/// </summary>
internal sealed class WorkflowCoreScenario : IAsyncDisposable
{
    public const string WorkflowId = "journeys-peer";

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private readonly ServiceProvider _services;
    private readonly IWorkflowHost _host;
    private readonly PeerSteps _steps;
    private readonly Customer[] _customers;
    private readonly List<string> _instanceIds;
    private readonly WorkflowCoreCompletion _completion;
    private Exception? _stepError;

    private WorkflowCoreScenario(ServiceProvider services, IWorkflowHost host, PeerSteps steps, Customer[] customers, WorkflowCoreCompletion completion)
    {
        _services = services;
        _host = host;
        _steps = steps;
        _customers = customers;
        _completion = completion;
        _instanceIds = new List<string>(customers.Length);
        _host.OnStepError += (workflow, step, exception) =>
        {
            Interlocked.CompareExchange(ref _stepError, exception, null);
            completion.Fail(new InvalidOperationException($"WorkflowCore step {step.Id} of instance {workflow.Id} failed.", exception));
        };
    }

    /// <summary>The poll interval used: 100 ms, the shortest the comparison treats as sensible (see RESULTS.md).</summary>
    public static TimeSpan PollInterval { get; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Builds and starts a host with the workflow registered; nothing runs until <see cref="RunAsync"/>.</summary>
    public static WorkflowCoreScenario Start(Customer[] customers, TimeSpan? delay)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        var completion = new WorkflowCoreCompletion(customers.Length);
        services.AddWorkflow(o =>
        {
            o.UsePersistence(completion.Wrap);
            o.UseMaxConcurrentWorkflows(Environment.ProcessorCount);
            o.UsePollInterval(PollInterval);
            o.UseIdleTime(TimeSpan.FromMilliseconds(1));
            o.EnableIndexes = false;
            o.EnableLifeCycleEventsPublisher = false;
        });
        var provider = services.BuildServiceProvider();
        var host = provider.GetRequiredService<IWorkflowHost>();
        var steps = new PeerSteps(delay, TimeProvider.System);
        host.Registry.RegisterWorkflow(new PeerWorkflow(steps));
        host.Start();
        return new WorkflowCoreScenario(provider, host, steps, customers, completion);
    }

    /// <summary>
    /// Starts one instance per customer and waits until every instance is persisted as complete: for the persistence's
    /// signal, with a look at the step errors and the timeout every <see cref="EngineScenario.SignalWatchdog"/> (the same
    /// wait as the Journeys side's; a step error ends it at once).
    /// </summary>
    public async Task RunAsync()
    {
        foreach (var customer in _customers)
        {
            var data = new PeerCustomerData { CustomerId = customer.Id, Fields = CustomerSlots.ToArray(customer, BenchmarkData.Schema) };
            _instanceIds.Add(await _host.StartWorkflow(WorkflowId, 1, data, null).ConfigureAwait(false));
        }

        var deadline = Stopwatch.StartNew();
        while (!await EngineScenario.SignalOrWatchdogAsync(_completion.Completed).ConfigureAwait(false))
        {
            ThrowIfFailed(deadline, "every instance persisted as complete");
        }

        await _completion.Completed.ConfigureAwait(false);
    }

    /// <summary>
    /// Checks that every customer ended where the journey puts it, and returns each one's timer lateness (delay variant):
    /// <c>Sent</c>, the follow-up step calling the channel sender − due time (the observable the peer comparison takes for
    /// both engines), and <c>Resumed</c>, the delay step running again − due time (WorkflowCore's resume itself).
    /// </summary>
    /// <exception cref="InvalidOperationException">A customer did not end where it should.</exception>
    public async Task<(IReadOnlyList<TimeSpan> Sent, IReadOnlyList<TimeSpan> Resumed)> VerifyAsync()
    {
        if (_instanceIds.Count != _customers.Length)
        {
            throw new InvalidOperationException($"WorkflowCore: {_instanceIds.Count} instances started for {_customers.Length} customers.");
        }

        if (_completion.PersistedComplete != _customers.Length)
        {
            throw new InvalidOperationException($"WorkflowCore: the end-of-run signal saw {_completion.PersistedComplete} instances persisted as complete for {_customers.Length} customers.");
        }

        var instances = new List<WorkflowInstance>(_instanceIds.Count);
        foreach (var id in _instanceIds)
        {
            instances.Add(await _host.PersistenceStore.GetWorkflowInstance(id).ConfigureAwait(false));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var lateness = new List<TimeSpan>(_steps.Delay is null ? 0 : instances.Count);
        var sent = new List<TimeSpan>(lateness.Capacity);
        foreach (var instance in instances)
        {
            var data = (PeerCustomerData)instance.Data;
            var where = string.Create(CultureInfo.InvariantCulture, $"WorkflowCore instance {instance.Id} (customer #{seen.Count})");
            if (instance.Status != WorkflowStatus.Complete)
            {
                throw new InvalidOperationException($"{where}: status {instance.Status}, expected Complete.");
            }

            if (!seen.Add(data.CustomerId))
            {
                throw new InvalidOperationException($"{where}: a second instance for one customer.");
            }

            if (!data.Matched || data.Sends != 2 || data.Path != _steps.Split.ChoosePath(data.CustomerId) || data.Fields[_steps.SegmentSlot] != _steps.SegmentValue)
            {
                throw new InvalidOperationException($"{where}: matched {data.Matched}, sends {data.Sends}, path {data.Path}, segment {data.Fields[_steps.SegmentSlot]}; expected matched, 2 sends, the sticky path, segment '{_steps.SegmentValue}'.");
            }

            if (_steps.Delay is not null)
            {
                if (data.DueAt is not { } due || data.ResumedAt is not { } resumed || resumed < due || data.FollowUpSentAt is not { } followUp || followUp < resumed)
                {
                    throw new InvalidOperationException($"{where}: delay due {data.DueAt:O}, resumed {data.ResumedAt:O}, follow-up sent {data.FollowUpSentAt:O}; expected a resume at or after the due time and the follow-up after it.");
                }

                lateness.Add(resumed - due);
                sent.Add(followUp - due);
            }
        }

        return (sent, lateness);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _services.DisposeAsync().ConfigureAwait(false);
    }

    private void ThrowIfFailed(Stopwatch deadline, string what)
    {
        if (Volatile.Read(ref _stepError) is { } error)
        {
            throw new InvalidOperationException($"WorkflowCore step failed while waiting for: {what}.", error);
        }

        if (deadline.Elapsed > Timeout)
        {
            throw new TimeoutException($"WorkflowCore: timed out after {Timeout} waiting for: {what} ({_steps.Finished} of {_customers.Length} ran their last step, {_completion.PersistedComplete} persisted as complete).");
        }
    }
}
