using System.Diagnostics.Tracing;
using System.Globalization;

namespace Journeys.Benchmarks;

/// <summary>
/// Allocations by type, sampled by the runtime (<c>GCAllocationTick</c>: one event per ~100 KB allocated, naming the
/// type of the object that crossed the mark), for <c>breakdown</c> with <c>JOURNEYS_BENCH_ALLOC_TYPES=1</c>. A type's
/// share of the events estimates its share of the bytes; the per-customer figure is that share of the measured total.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly Dictionary<string, (long Events, long Bytes)> _byType = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private bool _recording;

    public static bool Enabled => Environment.GetEnvironmentVariable("JOURNEYS_BENCH_ALLOC_TYPES") == "1";

    public void Start()
    {
        lock (_lock)
        {
            _byType.Clear();
            _recording = true;
        }
    }

    /// <summary>Stops counting samples until <see cref="Resume"/> (what was counted is kept).</summary>
    public void Pause()
    {
        lock (_lock)
        {
            _recording = false;
        }
    }

    /// <summary>Counts samples again after <see cref="Pause"/>.</summary>
    public void Resume()
    {
        lock (_lock)
        {
            _recording = true;
        }
    }

    /// <summary>Stops recording and prints the types by sampled bytes, scaled to <paramref name="totalBytes"/> per <paramref name="customers"/>.</summary>
    public void StopAndPrint(long totalBytes, int customers, int top = 30)
    {
        KeyValuePair<string, (long Events, long Bytes)>[] rows;
        lock (_lock)
        {
            _recording = false;
            rows = [.. _byType.OrderByDescending(static r => r.Value.Bytes)];
        }

        var sampled = rows.Sum(static r => r.Value.Bytes);
        if (sampled == 0)
        {
            Console.WriteLine("  allocation samples: none (GCAllocationTick events not received)");
            return;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  allocation samples by type ({rows.Sum(static r => r.Value.Events):N0} events; B/customer = share of samples × measured total):"));
        foreach (var (type, (events, bytes)) in rows.Take(top))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"    {bytes * 100.0 / sampled,5:N1} %  {bytes * (double)totalBytes / sampled / customers,7:N0} B/customer  {events,6:N0} events  {type}"));
        }
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!_recording || eventData.EventName is null || !eventData.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.PayloadNames is null)
        {
            return;
        }

        var typeIndex = eventData.PayloadNames.IndexOf("TypeName");
        var amountIndex = eventData.PayloadNames.IndexOf("AllocationAmount64");
        if (typeIndex < 0 || eventData.Payload is null)
        {
            return;
        }

        var type = eventData.Payload[typeIndex] as string ?? "?";
        var amount = amountIndex >= 0 && eventData.Payload[amountIndex] is ulong a ? (long)a : 100_000;
        lock (_lock)
        {
            _byType[type] = _byType.TryGetValue(type, out var row) ? (row.Events + 1, row.Bytes + amount) : (1, amount);
        }
    }
}
