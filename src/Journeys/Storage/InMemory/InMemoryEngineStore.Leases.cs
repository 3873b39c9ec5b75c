namespace Journeys.Storage.InMemory;

/// <content>
/// The leased enrollments, ordered by (lease expiry, creation order): a queue for those leased in that order, a heap
/// for the rest.
/// </content>
/// <remarks>
/// A claim leases its items with one expiry and the intake in creation order, so nearly every lease sorts after the
/// last one: it joins the queue's tail in O(1), linked through the entry's ready links (free while it is leased: a
/// leased enrollment is never ready). A commit releases leases oldest first, which in a heap moved the heap's last item
/// down from near the top through every level per release (the lease comparer was the most sampled engine function);
/// from the queue it is an unlink. The two together keep the exact order of one heap: the queue is sorted (only an
/// item that sorts after its tail joins it, and removals keep the order), the smallest lease is the smaller of its
/// head and the heap's minimum, and an item is in one of them at most.
/// </remarks>
internal sealed partial class InMemoryEngineStore
{
    private EnrollmentEntry? _leasedFirst;
    private EnrollmentEntry? _leasedLast;
    private int _leasedQueued;

    private int LeaseCount => _leasedQueued + _leases.Count;

    // The lease that expires first (the caller holds the store lock; LeaseCount > 0).
    private EnrollmentEntry MinLease
    {
        get
        {
            var queued = _leasedFirst;
            if (queued is null || _leases.Count == 0)
            {
                return queued ?? _leases.Min;
            }

            var heaped = _leases.Min;
            return EnrollmentEntry.CompareLeases(queued, heaped) < 0 ? queued : heaped;
        }
    }

    // Whether the entry is leased: in the queue or in the heap.
    private bool HoldsLease(EnrollmentEntry entry) => entry.InLeaseQueue || _leases.Contains(entry);

    // Adds an entry that holds no lease and is in no other structure, its lease expiry set.
    private void AddLease(EnrollmentEntry entry)
    {
        if (entry.InReady || entry.InLeaseQueue)
        {
            throw new InvalidOperationException($"Enrollment {entry.Id} is already ready or leased.");
        }

        var last = _leasedLast;
        if (last is not null && EnrollmentEntry.CompareLeases(last, entry) > 0)
        {
            _leases.Add(entry);
            return;
        }

        // Marked first: it throws if the entry is in a heap.
        entry.InLeaseQueue = true;
        Append(ref _leasedFirst, ref _leasedLast, entry);
        _leasedQueued++;
    }

    // Removes the entry's lease if it holds one; returns whether it did.
    private bool RemoveLease(EnrollmentEntry entry)
    {
        if (!entry.InLeaseQueue)
        {
            return _leases.Remove(entry);
        }

        Unlink(ref _leasedFirst, ref _leasedLast, entry);
        entry.InLeaseQueue = false;
        _leasedQueued--;
        return true;
    }

    // Appends to a list linked through the entries' ready links (the ready queue, or the lease queue).
    private static void Append(ref EnrollmentEntry? first, ref EnrollmentEntry? last, EnrollmentEntry entry)
    {
        entry.ReadyPrevious = last;
        entry.ReadyNext = null;
        if (last is null)
        {
            first = entry;
        }
        else
        {
            last.ReadyNext = entry;
        }

        last = entry;
    }

    // Takes an entry out of the list it is linked in through its ready links (the ready queue, or the lease queue).
    private static void Unlink(ref EnrollmentEntry? first, ref EnrollmentEntry? last, EnrollmentEntry entry)
    {
        var previous = entry.ReadyPrevious;
        var next = entry.ReadyNext;
        if (previous is null)
        {
            first = next;
        }
        else
        {
            previous.ReadyNext = next;
        }

        if (next is null)
        {
            last = previous;
        }
        else
        {
            next.ReadyPrevious = previous;
        }

        entry.ReadyPrevious = null;
        entry.ReadyNext = null;
    }
}
