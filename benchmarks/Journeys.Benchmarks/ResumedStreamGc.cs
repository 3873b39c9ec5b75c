namespace Journeys.Benchmarks;

/// <summary>
/// The garbage collections and the allocation of the whole process during one run's resumed stream: from the first claim
/// of a due timer to the last follow-up message handed to the sender (<c>lateness-probe</c>). A gen0 collection in that
/// window stops every thread of the burst, so its pause lands on the lateness of every timer still in flight.
/// </summary>
internal sealed class ResumedStreamGc
{
    // The probe's own allocation on this thread so far (its store decorators' bookkeeping), left out of NoteClaim's figures.
    [ThreadStatic]
    private static long t_bookkeeping;

    private readonly object _gate = new();
    private bool _started;
    private (int Gen0, int Gen1, TimeSpan Pause, long Allocated) _first;
    private (int Gen0, int Gen1, TimeSpan Pause, long Allocated) _last;
    private readonly Dictionary<int, (long First, long Last, int Notes)> _senders = [];
    private readonly Dictionary<int, (long First, long Last, int Items)> _claimers = [];

    /// <summary>Called once, when the window opens (e.g. to start sampling allocations by type in the stream alone).</summary>
    public Action? Opened { get; set; }

    /// <summary>Notes the collections so far: the first call opens the window, every call moves its end.</summary>
    public void Note()
    {
        var now = (GC.CollectionCount(0), GC.CollectionCount(1), GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes(precise: false));
        lock (_gate)
        {
            if (!_started)
            {
                _started = true;
                _first = now;
                Opened?.Invoke();
            }

            _last = now;
        }
    }

    /// <summary>
    /// Notes, on the thread that hands a follow-up message to the sender (a dispatcher loop's), that thread's allocation so
    /// far: between a thread's first and last notes, what it allocated per message it sent (two per customer).
    /// </summary>
    public void NoteSend()
    {
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var thread = Environment.CurrentManagedThreadId;
        lock (_gate)
        {
            _senders[thread] = _senders.TryGetValue(thread, out var seen) ? (seen.First, allocated, seen.Notes + 1) : (allocated, allocated, 1);
        }
    }

    /// <summary>Leaves <paramref name="bytes"/> the probe allocated on this thread out of the claiming thread's figure.</summary>
    public static void ExcludeBookkeeping(long bytes) => t_bookkeeping += bytes;

    /// <summary>
    /// Notes, on the thread that claims due timers (the pump's), that thread's allocation so far and the
    /// <paramref name="items"/> due timers this claim took.
    /// </summary>
    public void NoteClaim(int items)
    {
        var allocated = GC.GetAllocatedBytesForCurrentThread() - t_bookkeeping;
        var thread = Environment.CurrentManagedThreadId;
        lock (_gate)
        {
            _claimers[thread] = _claimers.TryGetValue(thread, out var seen) ? (seen.First, allocated, seen.Items + items) : (allocated, allocated, 0);
        }
    }

    /// <summary>
    /// Bytes the claiming threads allocated per due timer claimed after their first claim (the claims, the routing to the
    /// shards and the waits between; the probe's store decorators' bookkeeping left out), and how many threads claimed.
    /// </summary>
    public (double PerItem, int Threads) ClaimerAllocation()
    {
        lock (_gate)
        {
            long bytes = 0;
            long items = 0;
            foreach (var (first, last, claimed) in _claimers.Values)
            {
                bytes += last - first;
                items += claimed;
            }

            return (items == 0 ? double.NaN : bytes / (double)items, _claimers.Count);
        }
    }

    /// <summary>
    /// Bytes the sending threads allocated per follow-up message between their first and last notes (each follow-up
    /// stands for its customer's two messages, so half of it is per message), and how many threads sent.
    /// </summary>
    public (double PerFollowUp, int Threads) SenderAllocation()
    {
        lock (_gate)
        {
            long bytes = 0;
            long intervals = 0;
            foreach (var (first, last, notes) in _senders.Values)
            {
                bytes += last - first;
                intervals += notes - 1;
            }

            return (intervals == 0 ? double.NaN : bytes / (double)intervals, _senders.Count);
        }
    }

    /// <summary>The gen0 collection count (the index of the last collection) when the window opened and when it closed.</summary>
    public (int After, int UpTo) CollectionIndices => (_first.Gen0, _last.Gen0);

    /// <summary>Gen0 collections (gen1 ones included) in the window.</summary>
    public int Gen0 => _last.Gen0 - _first.Gen0;

    /// <summary>Gen1 collections in the window.</summary>
    public int Gen1 => _last.Gen1 - _first.Gen1;

    /// <summary>The collections' pause in the window.</summary>
    public TimeSpan Pause => _last.Pause - _first.Pause;

    /// <summary>Bytes the process allocated in the window (all threads; the allocation contexts' granularity, ~8 KB).</summary>
    public long Allocated => _last.Allocated - _first.Allocated;
}
