using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Journeys.Runtime;

/// <summary>
/// The engine's metrics (<see cref="System.Diagnostics.Metrics"/>) and traces (<see cref="ActivitySource"/>), both named
/// <see cref="Name"/>: add them to OpenTelemetry with <c>AddMeter("Journeys")</c> and <c>AddSource("Journeys")</c>.
/// No customer data is attached to either.
/// </summary>
public static class JourneysTelemetry
{
    /// <summary>The meter and activity source name.</summary>
    public const string Name = "Journeys";

    internal static readonly ActivitySource ActivitySource = new(Name);

    internal static readonly Meter Meter = new(Name);

    internal static readonly Counter<long> Entered = Meter.CreateCounter<long>("journeys.enrollments.entered", "{enrollment}", "Enrollments created.");

    internal static readonly Counter<long> Converted = Meter.CreateCounter<long>("journeys.enrollments.converted", "{enrollment}", "Enrollments converted by a goal.");

    internal static readonly Counter<long> Sent = Meter.CreateCounter<long>("journeys.messages.sent", "{message}", "Messages accepted by a channel.");

    internal static readonly Counter<long> Failed = Meter.CreateCounter<long>("journeys.messages.failed", "{message}", "Messages that failed for good.");

    internal static readonly Counter<long> DuplicateEvents = Meter.CreateCounter<long>("journeys.events.duplicates", "{event}", "Published events not handled again: their id was published for the customer within the event id window (a retried publish).");

    internal static readonly Counter<long> Steps = Meter.CreateCounter<long>("journeys.steps", "{enrollment}", "Enrollments processed by shard workers.");

    private static readonly ConcurrentDictionary<JourneyEngine, byte> Engines = new();

    internal static readonly ObservableGauge<int> InboxDepth = Meter.CreateObservableGauge(
        "journeys.inbox.depth", static () => Engines.Keys.Sum(e => e.InboxDepth), "{item}", "Work items waiting in the shard inboxes.");

    // Boundaries in seconds, from the batch's minimum time slice (1 ms) to a slow database commit: without this advice an
    // exporter uses its defaults (OpenTelemetry's 0, 5, 10, 25, ... 10000, made for milliseconds) and every batch falls
    // into the first bucket. Declared before the instruments that use it (static fields initialise in order).
    private static readonly double[] BatchBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    internal static readonly Histogram<double> BatchDuration = Meter.CreateHistogram(
        "journeys.batch.duration",
        "s",
        "Time to process and commit one shard batch.",
        tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = BatchBoundaries });

    // Timer lateness: how late the shards run a timer (seconds from its due time to the clock reading of the batch that
    // runs it), whatever held it (a busy engine, a claim that waited for the pump, a host that was down). Recorded only
    // while a listener is on; bucket boundaries from 1 ms to an hour.
    internal static readonly Histogram<double> TimerLateness = Meter.CreateHistogram(
        "journeys.timer.lateness",
        "s",
        "Time from a timer's due time to the shard batch that runs it.",
        tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600] });

    // Step latency of ready work: seconds from the engine taking an enrollment's work (its claim, or its creation leased to
    // this host) to the commit of the batch that ran the step, so inbox wait, the step and the commit; each applied
    // checkpoint once. Recorded only while a listener is on (the routing then reads the clock once per claim); the same
    // boundaries as journeys.batch.duration, which it includes.
    internal static readonly Histogram<double> StepLatency = Meter.CreateHistogram(
        "journeys.step.latency",
        "s",
        "Time from an enrollment's claim to the commit of the step it was claimed for.",
        tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = BatchBoundaries });

    /// <summary>Counts a running engine in the inbox depth gauge until the returned handle is disposed.</summary>
    internal static IDisposable Track(JourneyEngine engine)
    {
        Engines[engine] = 0;
        return new Untrack(engine);
    }

    private sealed class Untrack(JourneyEngine engine) : IDisposable
    {
        public void Dispose() => Engines.TryRemove(engine, out _);
    }
}
