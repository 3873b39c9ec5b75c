using System.Diagnostics.Metrics;

namespace Journeys.Sqlite;

/// <summary>
/// The SQLite store's metrics, on the meter named <c>Journeys</c> like the engine's (<c>AddMeter("Journeys")</c>). The
/// store has one writer connection: every write first waits for it, then holds it (queued writes share one transaction,
/// whose commit is recorded on its own under the operation <c>commit the write transaction</c>, wait 0). Both times are recorded
/// per write, tagged with the operation (the store's own constant text, such as <c>enroll customers</c>; never customer
/// data), so a slow phase can be told apart: doing its own work (hold) or queued behind other writes (wait).
/// </summary>
internal static class SqliteTelemetry
{
    /// <summary>The tag naming the write operation.</summary>
    public const string OperationTag = "journeys.sqlite.operation";

    private static readonly Meter Meter = new("Journeys");

    // Boundaries in seconds (an exporter's defaults, OpenTelemetry's 0 to 10,000, are made for milliseconds and would put
    // every write in the first bucket).
    private static readonly InstrumentAdvice<double> Seconds = new() { HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] };

    public static readonly Histogram<double> WriteWait = Meter.CreateHistogram(
        "journeys.sqlite.write.wait", "s", "Time a write transaction waited for the store's single writer connection.", tags: null, advice: Seconds);

    public static readonly Histogram<double> WriteDuration = Meter.CreateHistogram(
        "journeys.sqlite.write.duration", "s", "Time a write held the writer connection (its statements; the commit of its transaction is recorded under the operation 'commit the write transaction').", tags: null, advice: Seconds);

    /// <summary>
    /// Records one write's wait (from <paramref name="asked"/> to <paramref name="granted"/>) and hold (to
    /// <paramref name="released"/>), timestamps of <paramref name="time"/> (the store's clock, so a test's fake clock drives it).
    /// </summary>
    public static void RecordWrite(TimeProvider time, string operation, long asked, long granted, long released)
    {
        if (!WriteWait.Enabled && !WriteDuration.Enabled)
        {
            return;
        }

        var tag = new KeyValuePair<string, object?>(OperationTag, operation);
        WriteWait.Record(time.GetElapsedTime(asked, granted).TotalSeconds, tag);
        WriteDuration.Record(time.GetElapsedTime(granted, released).TotalSeconds, tag);
    }
}
