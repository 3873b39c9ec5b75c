using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Journeys.Benchmarks;

/// <summary>
/// The CPU time and managed allocation of the calling thread, for costs that must not depend on the machine's load:
/// a thread's CPU time counts only while it runs (the kernel's per-thread accounting, <c>CLOCK_THREAD_CPUTIME_ID</c>),
/// and its allocated bytes only what it allocated, whatever else runs beside it.
/// </summary>
internal static partial class ThreadCost
{
    private const int ThreadCpuClock = 3; // CLOCK_THREAD_CPUTIME_ID on Linux

    /// <summary>Whether the thread CPU clock can be read here (Linux); elsewhere <see cref="CpuNanoseconds"/> is 0.</summary>
    public static bool Available { get; } = OperatingSystem.IsLinux();

    /// <summary>The calling thread's CPU time so far, in nanoseconds (0 where <see cref="Available"/> is false).</summary>
    public static long CpuNanoseconds()
    {
        if (!Available)
        {
            return 0;
        }

        var result = ClockGetTime(ThreadCpuClock, out var spec);
        return result == 0 ? (spec.Seconds * 1_000_000_000L) + spec.Nanoseconds : throw new InvalidOperationException($"clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed with {result}.");
    }

    /// <summary>
    /// The CPU time so far of this process's threads whose name starts with <paramref name="prefix"/> (Linux truncates a
    /// thread's name to 15 characters), in nanoseconds, summed: the scheduler's run time of each (<c>/proc/self/task/*/schedstat</c>).
    /// Threads that ended are not counted. 0 where <see cref="Available"/> is false.
    /// </summary>
    public static long NamedThreadsCpuNanoseconds(string prefix)
    {
        if (!Available)
        {
            return 0;
        }

        long total = 0;
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).StartsWith(prefix, StringComparison.Ordinal))
                {
                    var schedstat = File.ReadAllText(Path.Combine(task, "schedstat"));
                    total += long.Parse(schedstat.AsSpan(0, schedstat.IndexOf(' ', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The thread ended while it was being read: it is not counted, as documented.
            }
        }

        return total;
    }

    /// <summary>The calling thread's CPU time and allocated bytes so far.</summary>
    public static (long CpuNanoseconds, long Bytes) Now() => (CpuNanoseconds(), GC.GetAllocatedBytesForCurrentThread());

    [DllImport("libc", EntryPoint = "clock_gettime")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code in this project for the out struct; a blittable DllImport is equivalent.
    private static extern int ClockGetTime(int clock, out TimeSpec spec);
#pragma warning restore SYSLIB1054

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}

/// <summary>
/// Per item CPU time and allocation of the engine's shard batches (<c>journeys.batch</c> activities, which run start to
/// end on one thread with the in-memory stores: every await in them completes at once), kept apart for the batches that
/// committed resumed enrollments and the others. A batch that ended on another thread than it started on is counted
/// and left out.
/// </summary>
internal sealed class BatchCostListener : IDisposable
{
    [ThreadStatic]
    private static (long Cpu, long Bytes, int Thread) t_start;

    [ThreadStatic]
    private static int t_items;

    [ThreadStatic]
    private static bool t_resumed;

    [ThreadStatic]
    private static (long Cpu, long Bytes) t_excluded;

    [ThreadStatic]
    private static (long Cpu, long Bytes) t_commit;

    private readonly ActivityListener _listener;
    private readonly Lock _lock = new();
    private readonly List<(long Cpu, long Bytes, int Items, long CommitCpu, long CommitBytes)> _resumed = [];
    private readonly List<(long Cpu, long Bytes, int Items, long CommitCpu, long CommitBytes)> _firstPass = [];
    private int _hopped;

    public BatchCostListener()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = static source => source.Name == "Journeys",
            Sample = static (ref ActivityCreationOptions<ActivityContext> options) => options.Name == "journeys.batch" ? ActivitySamplingResult.AllData : ActivitySamplingResult.None,
            ActivityStarted = static activity =>
            {
                var (cpu, bytes) = ThreadCost.Now();
                t_start = (cpu, bytes, Environment.CurrentManagedThreadId);
                t_items = 0;
                t_excluded = default;
                t_commit = default;
            },
            ActivityStopped = activity =>
            {
                var (cpu, bytes) = ThreadCost.Now();
                if (!Recording || t_items == 0)
                {
                    return;
                }

                if (t_start.Thread != Environment.CurrentManagedThreadId)
                {
                    Interlocked.Increment(ref _hopped);
                    return;
                }

                lock (_lock)
                {
                    (t_resumed ? _resumed : _firstPass).Add((cpu - t_start.Cpu - t_excluded.Cpu, bytes - t_start.Bytes - t_excluded.Bytes, t_items, t_commit.Cpu, t_commit.Bytes));
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>Whether batches are recorded now.</summary>
    public bool Recording { get; set; }

    /// <summary>Marks the calling thread's batch: its commit's item count and whether it committed resumed enrollments.</summary>
    public static void MarkBatch(int items, bool resumed)
    {
        t_items = items;
        t_resumed = resumed;
    }

    /// <summary>
    /// Leaves the calling thread's work since <paramref name="since"/> (a <see cref="ThreadCost.Now"/> reading) out of its
    /// batch: the probe's own bookkeeping in its store decorators, which the engine does not do.
    /// </summary>
    public static void Exclude((long CpuNanoseconds, long Bytes) since)
    {
        var (cpu, bytes) = ThreadCost.Now();
        t_excluded = (t_excluded.Cpu + cpu - since.CpuNanoseconds, t_excluded.Bytes + bytes - since.Bytes);
    }

    /// <summary>Notes the store commit's own part of the calling thread's batch, from <paramref name="since"/> (a <see cref="ThreadCost.Now"/> reading) to now.</summary>
    public static void Commit((long CpuNanoseconds, long Bytes) since)
    {
        var (cpu, bytes) = ThreadCost.Now();
        t_commit = (t_commit.Cpu + cpu - since.CpuNanoseconds, t_commit.Bytes + bytes - since.Bytes);
    }

    /// <summary>One line per kind: batches, items, CPU µs and bytes per item (totals ÷ items, and the median batch's).</summary>
    public IReadOnlyList<string> Describe()
    {
        lock (_lock)
        {
            return
            [
                Line("first pass", _firstPass),
                Line("resumed   ", _resumed),
                string.Create(CultureInfo.InvariantCulture, $"  batches that ended on another thread (left out): {Volatile.Read(ref _hopped)}"),
            ];
        }
    }

    private static string Line(string kind, List<(long Cpu, long Bytes, int Items, long CommitCpu, long CommitBytes)> batches)
    {
        if (batches.Count == 0)
        {
            return $"  {kind}: no batches";
        }

        long cpu = 0, bytes = 0, items = 0, commitCpu = 0, commitBytes = 0;
        foreach (var b in batches)
        {
            cpu += b.Cpu;
            bytes += b.Bytes;
            items += b.Items;
            commitCpu += b.CommitCpu;
            commitBytes += b.CommitBytes;
        }

        var perItemCpu = batches.Select(b => (double)b.Cpu / b.Items).Order().ToArray();
        var perItemBytes = batches.Select(b => (double)b.Bytes / b.Items).Order().ToArray();
        return string.Create(CultureInfo.InvariantCulture, $"  {kind}: batches {batches.Count}, items {items:N0}; thread CPU per item {cpu / 1000.0 / items:N2} µs (batch median {perItemCpu[perItemCpu.Length / 2] / 1000:N2}), allocated per item {(double)bytes / items:N0} B (batch median {perItemBytes[perItemBytes.Length / 2]:N0}); of which the store commit {commitCpu / 1000.0 / items:N2} µs, {(double)commitBytes / items:N0} B");
    }

    public void Dispose() => _listener.Dispose();
}
