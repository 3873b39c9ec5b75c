using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Journeys.Building;
using Journeys.Runtime;
using Journeys.Storage;

namespace Journeys.Tests.Runtime;

/// <summary>The engine's instruments and activities as OpenTelemetry exporters read them.</summary>
[Collection(nameof(ProcessWideMetrics))]
public sealed class TelemetryConventionTests
{
    private static readonly DateTimeOffset Start = new(2026, 5, 4, 10, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("journeys.batch.duration")]
    [InlineData("journeys.step.latency")]
    public void The_histograms_in_seconds_of_batches_and_steps_advise_bucket_boundaries_in_seconds(string name)
    {
        // Without advice an exporter uses its default boundaries (OpenTelemetry's: 0, 5, 10, 25, ... 10000, made for
        // milliseconds): every batch, a few milliseconds long, lands in the first bucket and the histogram says nothing.
        System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(JourneysTelemetry).TypeHandle);
        Instrument? found = null;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == JourneysTelemetry.Name && instrument.Name == name)
                {
                    found = instrument;
                }
            },
        };
        listener.Start();

        var histogram = Assert.IsType<Histogram<double>>(found);
        Assert.Equal("s", histogram.Unit);
        var boundaries = histogram.Advice?.HistogramBucketBoundaries;
        Assert.NotNull(boundaries);
        Assert.Contains(boundaries, b => b is > 0 and <= 0.001);
        Assert.Contains(boundaries, b => b >= 1);
    }

    [Fact]
    public async Task A_timer_run_late_records_its_lateness_in_seconds()
    {
        // Other tests' engines record into the same process-wide instrument: this one's timer is 30 minutes late, a value
        // none of them makes (their clocks step to a timer's due time, or run timers a few milliseconds late).
        var recorded = new ConcurrentQueue<double>();
        Instrument? found = null;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == JourneysTelemetry.Name && instrument.Name == "journeys.timer.lateness")
                {
                    found = instrument;
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, value, _, _) => recorded.Enqueue(value));
        listener.Start();

        await using var host = await EngineHost.StartAsync(Start);
        await host.Manager.CreateAsync(JourneyBuilder.Create("late", "Late").EnterOnEvent("go")
            .Steps(p => p.Delay(TimeSpan.FromHours(1), id: "wait").Exit("done", id: "done")).Build());
        await host.Manager.ActivateAsync("late");
        await host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "go", [], Start)]);
        EngineHost.Eventually(() => host.Count("late", "wait", StatisticCounter.Entered) == 1, "c1 to wait");

        // One step of 90 minutes: the engine runs the timer at the clock's new reading, 30 minutes after it fell due.
        host.Time.Advance(TimeSpan.FromMinutes(90));
        EngineHost.Eventually(() => host.Count("late", "done", StatisticCounter.Exited) == 1, "c1 to go on");

        var histogram = Assert.IsType<Histogram<double>>(found);
        Assert.Equal("s", histogram.Unit);

        // Recorded after the batch's commit, which the statistics above already show: not necessarily yet.
        EngineHost.Eventually(() => recorded.Contains(1800.0), () => $"the 30-minute lateness recorded (recorded: {string.Join(", ", recorded)})");
    }

    [Fact]
    public async Task Batch_activities_are_roots_not_children_of_the_activity_current_when_the_engine_started()
    {
        // A host often starts inside an activity (a startup span, a test's, a worker's job): the engine's loops run for the
        // host's life and must not put every batch of every day into that one trace.
        using var startup = new ActivitySource("Journeys.Tests.Startup");
        var batches = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is JourneysTelemetry.Name or "Journeys.Tests.Startup",
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                if (activity.OperationName == "journeys.batch")
                {
                    batches.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        EngineHost host;
        ActivityTraceId startupTrace;
        using (var starting = startup.StartActivity("app start"))
        {
            Assert.NotNull(starting);
            startupTrace = starting.TraceId;
            host = await EngineHost.StartAsync(Start);
        }

        await using (host)
        {
            await host.Manager.CreateAsync(JourneyBuilder.Create("welcome", "Welcome").EnterOnEvent("go")
                .Steps(p => p.Delay(TimeSpan.FromDays(1), id: "wait")).Build());
            await host.Manager.ActivateAsync("welcome");
            await host.Manager.PublishAsync([new CustomerEvent("c1@example.com", "go", [], host.Time.GetUtcNow())]);
            EngineHost.Eventually(() => host.Count("welcome", "wait", StatisticCounter.Entered) == 1, "c1 to wait");
            EngineHost.Eventually(() => !batches.IsEmpty, "a batch activity");
        }

        Assert.All(batches, b => Assert.NotEqual(startupTrace, b.TraceId));
        Assert.All(batches, b => Assert.Null(b.ParentId));
    }
}
