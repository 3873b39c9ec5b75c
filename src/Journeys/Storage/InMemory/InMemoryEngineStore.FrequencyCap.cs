using Journeys.Runtime;

namespace Journeys.Storage.InMemory;

/// <content>The frequency cap's record of sends (<see cref="IFrequencyCapStore"/>), for every engine on this store.</content>
internal sealed partial class InMemoryEngineStore : IFrequencyCapStore
{
    private readonly FrequencyTracker _frequency = new();

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<bool>> TryReserveSendsAsync(IReadOnlyList<SendReservation> sends, int cap, TimeSpan window, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        _frequency.TryReserveSendsAsync(sends, cap, window, now, cancellationToken);

    /// <inheritdoc />
    public ValueTask ReleaseSendsAsync(IReadOnlyList<SendReservation> sends, CancellationToken cancellationToken = default) =>
        _frequency.ReleaseSendsAsync(sends, cancellationToken);

    /// <inheritdoc />
    public ValueTask<int> PurgeSendsAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default) =>
        _frequency.PurgeSendsAsync(olderThan, cancellationToken);

    /// <inheritdoc />
    public ValueTask<int> EraseCustomerSendsAsync(string customerId, CancellationToken cancellationToken = default) =>
        _frequency.EraseCustomerSendsAsync(customerId, cancellationToken);
}
