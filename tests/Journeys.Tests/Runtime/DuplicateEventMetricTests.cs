using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using Journeys.Runtime;

namespace Journeys.Tests.Runtime;

/// <summary>The <c>journeys.events.duplicates</c> counter (static, like the engine's other instruments: runs alone).</summary>
[Collection(nameof(ProcessWideMetrics))]
public sealed class DuplicateEventMetricTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_retried_publish_counts_its_events_as_duplicates_and_new_ones_not()
    {
        long duplicates = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == JourneysTelemetry.Name && instrument.Name == "journeys.events.duplicates")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref duplicates, value));
        listener.Start();

        await using var host = await EngineHost.StartAsync(T0);
        CustomerEvent Viewed(string customer, string? id) =>
            new(customer, "viewed", ImmutableDictionary<string, FieldValue>.Empty, T0) { Id = id };

        Assert.Equal(3, await host.Manager.PublishNewAsync([Viewed("c1@example.com", "v-1"), Viewed("c2@example.com", "v-1"), Viewed("c1@example.com", null)]));
        Assert.Equal(0, Interlocked.Read(ref duplicates));

        // The retry of the first two (ids are per customer) and one new id: two duplicates counted, once.
        Assert.Equal(1, await host.Manager.PublishNewAsync([Viewed("c1@example.com", "v-1"), Viewed("c2@example.com", "v-1"), Viewed("c1@example.com", "v-2")]));
        Assert.Equal(2, Interlocked.Read(ref duplicates));
    }
}
