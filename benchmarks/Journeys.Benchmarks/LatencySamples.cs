using System.Globalization;

namespace Journeys.Benchmarks;

/// <summary>Timer lateness samples (resume time − due time) in milliseconds, pooled over a benchmark process's invocations.</summary>
internal sealed class LatencySamples
{
    private readonly Lock _lock = new();
    private readonly List<double> _milliseconds = [];

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _milliseconds.Count;
            }
        }
    }

    /// <summary>
    /// Makes room for <paramref name="more"/> samples beyond those kept, so that adding them while a run is measured does
    /// not grow the list (the harness allocates nothing in the measured part; called when a recorder is made).
    /// </summary>
    public void Reserve(int more)
    {
        lock (_lock)
        {
            _milliseconds.EnsureCapacity(_milliseconds.Count + more);
        }
    }

    public void Add(TimeSpan lateness)
    {
        lock (_lock)
        {
            _milliseconds.Add(lateness.TotalMilliseconds);
        }
    }

    public void AddRange(IEnumerable<TimeSpan> lateness)
    {
        lock (_lock)
        {
            _milliseconds.AddRange(lateness.Select(l => l.TotalMilliseconds));
        }
    }

    public IReadOnlyList<TimeSpan> Snapshot()
    {
        lock (_lock)
        {
            return _milliseconds.Select(TimeSpan.FromMilliseconds).ToArray();
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _milliseconds.Clear();
        }
    }

    /// <summary>The nearest-rank percentile <paramref name="p"/> (0–100) in milliseconds; NaN when empty.</summary>
    public double Percentile(double p)
    {
        lock (_lock)
        {
            if (_milliseconds.Count == 0)
            {
                return double.NaN;
            }

            var sorted = _milliseconds.ToArray();
            Array.Sort(sorted);
            var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
            return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
        }
    }

    public double Max()
    {
        lock (_lock)
        {
            return _milliseconds.Count == 0 ? double.NaN : _milliseconds.Max();
        }
    }

    public string Describe() => string.Create(
        CultureInfo.InvariantCulture,
        $"n={Count:N0} p50={Percentile(50):N1} ms p99={Percentile(99):N1} ms max={Max():N1} ms");
}
