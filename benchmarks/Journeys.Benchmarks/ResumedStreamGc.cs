namespace Journeys.Benchmarks;

/// <summary>
/// The garbage collections and the allocation of the whole process during one run's resumed stream: from the first claim
/// of a due timer to the last follow-up message handed to the sender (<c>lateness-probe</c>). A gen0 collection in that
/// window stops every thread of the burst, so its pause lands on the lateness of every timer still in flight.
/// </summary>
internal sealed class ResumedStreamGc
{
    private readonly object _gate = new();
    private bool _started;
    private (int Gen0, int Gen1, TimeSpan Pause, long Allocated) _first;
    private (int Gen0, int Gen1, TimeSpan Pause, long Allocated) _last;

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
            }

            _last = now;
        }
    }

    /// <summary>Gen0 collections (gen1 ones included) in the window.</summary>
    public int Gen0 => _last.Gen0 - _first.Gen0;

    /// <summary>Gen1 collections in the window.</summary>
    public int Gen1 => _last.Gen1 - _first.Gen1;

    /// <summary>The collections' pause in the window.</summary>
    public TimeSpan Pause => _last.Pause - _first.Pause;

    /// <summary>Bytes the process allocated in the window (all threads; the allocation contexts' granularity, ~8 KB).</summary>
    public long Allocated => _last.Allocated - _first.Allocated;
}
