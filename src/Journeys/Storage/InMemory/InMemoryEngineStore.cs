using Journeys.Model;

namespace Journeys.Storage.InMemory;

/// <summary>
/// The engine's enrollments, customer event inboxes, outbox and statistics in process memory, for tests and
/// benchmarks: the same semantics as a durable store (see <c>docs/storage.md</c>), no durability. The three contracts
/// share one lock because a checkpoint writes enrollments, outbox messages, statistics and customer fields
/// atomically; customer fields go to the <see cref="InMemoryCustomerStore"/> given at construction, whose lock is
/// taken after this store's (never the other way round).
/// </summary>
/// <remarks>
/// Claiming never scans all enrollments: unleased waiting enrollments with a timer sit in a min-heap ordered by
/// (wake time, id); active enrollments and waiting ones woken by an event sit in a FIFO queue; leases sit in a heap
/// ordered by expiry (indexed heaps: each entry knows its position, so removal is O(log n) and nothing is allocated per
/// insertion). Each customer's enrollments are chained from the customer id in creation order, events are indexed by
/// customer id, the live enrollments by journey id, and the number of enrollments ever created by journey id (for entry
/// caps).
/// </remarks>
internal sealed partial class InMemoryEngineStore : IEnrollmentStore, IOutboxStore, IStatisticsStore
{
    private readonly InMemoryCustomerStore _customers;
    private readonly Lock _lock = new();

    /// <summary>Creates an empty store.</summary>
    /// <param name="customers">The customer store that checkpoints write customer field updates to.</param>
    public InMemoryEngineStore(InMemoryCustomerStore customers)
    {
        ArgumentNullException.ThrowIfNull(customers);
        _customers = customers;
    }

    private static bool Contains(EquatableArray<string> names, string name)
    {
        foreach (var candidate in names)
        {
            if (string.Equals(candidate, name, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
