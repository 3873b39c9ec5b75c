namespace Journeys.Storage.Tests;

/// <summary>The stores one test works with; a durable store's set also cleans up its database when disposed.</summary>
public sealed class StoreSet : IAsyncDisposable
{
    private readonly Func<ValueTask>? _dispose;

    /// <summary>Creates a set.</summary>
    public StoreSet(
        IJourneyStore journeys,
        ICustomerStore customers,
        IEnrollmentStore enrollments,
        IOutboxStore outbox,
        IStatisticsStore statistics,
        Func<ValueTask>? dispose = null)
    {
        Journeys = journeys;
        Customers = customers;
        Enrollments = enrollments;
        Outbox = outbox;
        Statistics = statistics;
        _dispose = dispose;
    }

    public IJourneyStore Journeys { get; }

    public ICustomerStore Customers { get; }

    public IEnrollmentStore Enrollments { get; }

    public IOutboxStore Outbox { get; }

    public IStatisticsStore Statistics { get; }

    public ValueTask DisposeAsync() => _dispose?.Invoke() ?? ValueTask.CompletedTask;
}
