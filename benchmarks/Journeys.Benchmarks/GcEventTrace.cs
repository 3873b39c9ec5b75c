using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text;

namespace Journeys.Benchmarks;

/// <summary>
/// What a garbage collection's pause is made of (<c>lateness-probe</c> with <c>JOURNEYS_PROBE_GC_EVENTS=1</c>): an
/// in-process listener on the runtime's GC events (provider <c>Microsoft-Windows-DotNETRuntime</c>, keyword GC 0x1, level
/// Verbose). Per collection: the suspension of the managed threads (SuspendEE begin → end), the collection itself
/// (GCStart → GCEnd) with the time and bytes of each root kind's marking (<c>GCMarkWithType</c>: stack, finalization
/// queue, handles, older generations through the card table, ...), the restart, the promoted bytes (<c>GCHeapStats</c>),
/// the pinned objects the collection saw (<c>PinObjectAtGCTime</c>) and the gen0 budget and condemn reasons
/// (<c>GCGlobalHeapHistory</c>). The events reach the listener on the runtime's dispatch thread some time after they
/// happen, with the timestamps of when they happened.
/// </summary>
internal sealed class GcEventTrace : EventListener
{
    private const string RuntimeProvider = "Microsoft-Windows-DotNETRuntime";

    private static readonly string[] RootKinds = ["stack", "finalize queue", "handles", "older generations (cards)", "sized refs", "overflow", "dependent handles", "new finalize queue", "steal", "bgc"];

    private readonly ConcurrentQueue<Event> _events = new();

    private sealed record Event(int Id, string Name, DateTime At, long Thread, IReadOnlyDictionary<string, object?> Payload);

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == RuntimeProvider)
        {
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        // The allocation ticks (every ~100 KB allocated) are not part of any pause: left out.
        if (eventData.EventId == 10)
        {
            return;
        }

        var payload = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (eventData.PayloadNames is { } names && eventData.Payload is { } values)
        {
            for (var i = 0; i < names.Count && i < values.Count; i++)
            {
                payload[names[i]] = values[i];
            }
        }

        _events.Enqueue(new Event(eventData.EventId, eventData.EventName ?? eventData.EventId.ToString(CultureInfo.InvariantCulture), eventData.TimeStamp, eventData.OSThreadId, payload));
    }

    /// <summary>
    /// One line per part of each collection whose index (<c>GCStart</c>'s Count, the same as <see cref="GC.CollectionCount"/>
    /// of gen0 right after it) is in one of <paramref name="windows"/> (exclusive start, inclusive end), then the parts'
    /// shares over all of them.
    /// </summary>
    public IEnumerable<string> Describe(IReadOnlyList<(int After, int UpTo, string Label)> windows)
    {
        // The dispatch thread delivers events some time after they happen: give it time to drain.
        Thread.Sleep(2000);
        var events = _events.ToArray().OrderBy(e => e.At).ToList();
        double suspendTotal = 0, gcTotal = 0, restartTotal = 0, pauseTotal = 0, markTotal = 0;
        var markByKind = new Dictionary<string, (double Ms, long Bytes)>(StringComparer.Ordinal);
        long promoted = 0;
        var collections = 0;
        for (var i = 0; i < events.Count; i++)
        {
            if (events[i].Id != 1)
            {
                continue;
            }

            var index = Convert.ToInt32(events[i].Payload.GetValueOrDefault("Count"), CultureInfo.InvariantCulture);
            var window = windows.FirstOrDefault(w => index > w.After && index <= w.UpTo);
            if (window.Label is null)
            {
                continue;
            }

            // The suspension that precedes this GCStart, and everything up to the restart's end that follows it.
            // (the nearest SuspendEE begin before it within 100 ms, whatever other events lie between).
            var first = i;
            for (var k = i - 1; k >= 0 && events[i].At - events[k].At < TimeSpan.FromMilliseconds(100); k--)
            {
                if (events[k].Id == 9)
                {
                    first = k;
                    break;
                }
            }

            var last = i;
            while (last + 1 < events.Count && events[last].Id != 3)
            {
                last++;
            }

            var line = new StringBuilder();
            line.Append(CultureInfo.InvariantCulture, $"  {window.Label}, GC #{index} (gen{events[i].Payload.GetValueOrDefault("Depth")}, reason {events[i].Payload.GetValueOrDefault("Reason")}, type {events[i].Payload.GetValueOrDefault("Type")}) on OS thread {events[i].Thread}:");
            yield return line.ToString();
            DateTime? suspendBegin = null, suspendEnd = null, gcStart = null, gcEnd = null, restartBegin = null, restartEnd = null;
            var previous = events[first].At;
            var pinned = 0;
            var marks = new List<(string Kind, double Ms, long Bytes)>();
            long promotedHere = 0;
            for (var j = first; j <= last; j++)
            {
                var e = events[j];
                var sincePrevious = (e.At - previous).TotalMilliseconds;
                previous = e.At;
                switch (e.Id)
                {
                    case 9: suspendBegin = e.At; break;
                    case 8: suspendEnd = e.At; break;
                    case 1: gcStart = e.At; break;
                    case 2: gcEnd = e.At; break;
                    case 7: restartBegin = e.At; break;
                    case 3: restartEnd = e.At; break;
                    case 4: promotedHere = Convert.ToInt64(e.Payload.GetValueOrDefault("TotalPromotedSize0"), CultureInfo.InvariantCulture); break;
                    case 202:
                        var kind = Convert.ToInt32(e.Payload.GetValueOrDefault("Type"), CultureInfo.InvariantCulture);
                        var name = kind >= 0 && kind < RootKinds.Length ? RootKinds[kind] : kind.ToString(CultureInfo.InvariantCulture);
                        var bytes = Convert.ToInt64(e.Payload.GetValueOrDefault("Bytes"), CultureInfo.InvariantCulture);
                        marks.Add((name, sincePrevious, bytes));
                        break;
                }

                if (e.Id == 33)
                {
                    pinned++;
                    continue;
                }

                yield return string.Create(CultureInfo.InvariantCulture, $"    +{sincePrevious,8:N3} ms  {e.Name}{(e.Thread != events[i].Thread ? $" (OS thread {e.Thread})" : "")}  {Format(e)}");
            }

            if (pinned > 0)
            {
                yield return string.Create(CultureInfo.InvariantCulture, $"    pinned objects seen by this collection (PinObjectAtGCTime): {pinned}");
            }

            if (suspendBegin is { } sb && suspendEnd is { } se && gcStart is { } gs && gcEnd is { } ge && restartBegin is { } rb && restartEnd is { } re)
            {
                var suspend = (se - sb).TotalMilliseconds;
                var gc = (ge - gs).TotalMilliseconds;
                var restart = (re - rb).TotalMilliseconds;
                var pause = (re - sb).TotalMilliseconds;
                collections++;
                promoted += promotedHere;
                foreach (var (name, ms, bytes) in marks)
                {
                    markByKind[name] = markByKind.TryGetValue(name, out var seen) ? (seen.Ms + ms, seen.Bytes + bytes) : (ms, bytes);
                    markTotal += ms;
                }

                suspendTotal += suspend;
                gcTotal += gc;
                restartTotal += restart;
                pauseTotal += pause;
                yield return string.Create(CultureInfo.InvariantCulture, $"    pause {pause:N3} ms = suspension {suspend:N3} ms ({suspend / pause:P0}) + GCStart→GCEnd {gc:N3} ms ({gc / pause:P0}) + the rest (after suspension, before GCStart; after GCEnd) {(gs - se).TotalMilliseconds + (rb - ge).TotalMilliseconds:N3} ms + restart {restart:N3} ms");
            }
        }

        if (collections == 0)
        {
            yield return "  no collection in the windows with all its events (suspension, start, end, restart)";
            yield break;
        }

        yield return string.Create(CultureInfo.InvariantCulture, $"  over the {collections} collections with all their events: pause {pauseTotal:N2} ms = suspension {suspendTotal / pauseTotal:P0}, GCStart→GCEnd {gcTotal / pauseTotal:P0}, restart {restartTotal / pauseTotal:P0}; marking (the time before each GCMarkWithType event) {markTotal / pauseTotal:P0} of the pause; gen0 promoted {promoted / (double)collections / 1024:N0} KB per collection");
        foreach (var (kind, (ms, bytes)) in markByKind.OrderByDescending(k => k.Value.Ms))
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"    mark {kind,-26} {ms / collections:N3} ms per collection ({ms / pauseTotal:P0} of the pause), {bytes / (double)collections / 1024:N1} KB marked per collection");
        }
    }

    private static string Format(Event e)
    {
        if (e.Id == 202)
        {
            var kind = Convert.ToInt32(e.Payload.GetValueOrDefault("Type"), CultureInfo.InvariantCulture);
            return string.Create(CultureInfo.InvariantCulture, $"{(kind >= 0 && kind < RootKinds.Length ? RootKinds[kind] : kind.ToString(CultureInfo.InvariantCulture))}: {e.Payload.GetValueOrDefault("Bytes")} B");
        }

        return string.Join(' ', e.Payload.Where(p => p.Key != "ClrInstanceID").Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key}={p.Value}")));
    }
}
