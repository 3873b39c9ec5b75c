using Journeys.Model;

namespace Journeys.Storage.InMemory;

/// <summary>
/// The engine's enrollments, customer event inboxes, outbox and statistics in process memory, for tests and
/// benchmarks: the same semantics as a durable store (see <c>docs/storage.md</c>), no durability. A checkpoint writes
/// enrollments, outbox messages, statistics and customer fields together, so the locks are taken in one order, never
/// the other way round: the store lock (enrollments, events, clicks), then the outbox lock (pending messages; the
/// dispatcher's calls take only this one), then the customer store's (customer fields, given at construction) or the
/// statistics lock (counters; a statistics read takes only this one). A commit holds the outbox lock only while it
/// checks its message ids and while it adds its messages and statistics, so a claim that sees a commit's messages also
/// sees its statistics, and a state read (store lock) sees all of a commit or none of it.
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
