using System.Diagnostics.Metrics;
using Journeys.Runtime;

namespace Journeys.Tests.Runtime;

/// <summary>The engine's instruments and activities as OpenTelemetry exporters read them.</summary>
[Collection(nameof(ProcessWideMetrics))]
public sealed class TelemetryConventionTests
{
    [Fact]
    public void The_batch_duration_histogram_in_seconds_advises_bucket_boundaries_in_seconds()
    {
        // Without advice an exporter uses its default boundaries (OpenTelemetry's: 0, 5, 10, 25, ... 10000, made for
        // milliseconds): every batch, a few milliseconds long, lands in the first bucket and the histogram says nothing.
        System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(JourneysTelemetry).TypeHandle);
        Instrument? found = null;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == JourneysTelemetry.Name && instrument.Name == "journeys.batch.duration")
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
}
