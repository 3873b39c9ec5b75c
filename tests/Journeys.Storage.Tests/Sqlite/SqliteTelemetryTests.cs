using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Journeys.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Storage.Tests.Sqlite;

/// <summary>The writer connection's wait and hold times, recorded per write operation.</summary>
public sealed class SqliteTelemetryTests : IDisposable
{
    private readonly SqliteTestFile _file = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 3, 1, 9, 0, 0, TimeSpan.Zero));

    public void Dispose() => _file.Dispose();

    [Theory]
    [InlineData("journeys.sqlite.write.wait")]
    [InlineData("journeys.sqlite.write.duration")]
    public void The_write_histograms_in_seconds_advise_bucket_boundaries_in_seconds(string name)
    {
        // Without advice an exporter uses its defaults (OpenTelemetry's 0, 5, 10, ... 10000, made for milliseconds): every
        // write, well under a second, would land in the first bucket.
        System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(SqliteTelemetry).TypeHandle);
        Instrument? found = null;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == "Journeys" && instrument.Name == name)
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
    public async Task A_write_queued_behind_another_records_its_wait_and_the_first_its_hold_under_their_operation_names()
    {
        // Unique operation names: tests of other classes write through the same static instruments in parallel.
        var first = "hold the writer " + Guid.NewGuid().ToString("N");
        var second = "queue behind it " + Guid.NewGuid().ToString("N");
        var seen = new ConcurrentBag<(string Instrument, string Operation, double Seconds)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Journeys" && instrument.Name.StartsWith("journeys.sqlite.write.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == SqliteTelemetry.OperationTag && tag.Value is string operation && (operation == first || operation == second))
                {
                    seen.Add((instrument.Name, operation, value));
                }
            }
        });
        listener.Start();

        using var database = _file.Open(_time);
        using var started = new ManualResetEventSlim();
        using var gate = new ManualResetEventSlim();
        var holding = Task.Run(async () => await database.WriteAsync(first, 0, (_, _) =>
        {
            started.Set();
            return gate.Wait(TimeSpan.FromSeconds(30)) ? 1 : throw new TimeoutException("The test never opened the gate.");
        }, CancellationToken.None));
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)), "The first write never started.");

        // The second write asks for the writer now (synchronously, before its first await) and gets it only after the
        // first releases it, which happens after the store's clock moved on: its wait covers that, as does the first's hold.
        var queued = database.WriteAsync(second, 0, static (_, _) => 2, CancellationToken.None).AsTask();
        _time.Advance(TimeSpan.FromMilliseconds(20));
        var measured = 0.020;
        gate.Set();
        Assert.Equal(1, await holding);
        Assert.Equal(2, await queued);

        var firstHold = Assert.Single(seen, m => m.Operation == first && m.Instrument == "journeys.sqlite.write.duration");
        var secondWait = Assert.Single(seen, m => m.Operation == second && m.Instrument == "journeys.sqlite.write.wait");
        Assert.Single(seen, m => m.Operation == first && m.Instrument == "journeys.sqlite.write.wait");
        var secondHold = Assert.Single(seen, m => m.Operation == second && m.Instrument == "journeys.sqlite.write.duration");
        Assert.True(firstHold.Seconds >= measured, $"The first write held the writer {firstHold.Seconds} s, less than the {measured} s it was seen holding it.");
        Assert.True(secondWait.Seconds >= measured, $"The second write waited {secondWait.Seconds} s, less than the {measured} s it was seen queued.");
        Assert.True(secondHold.Seconds >= 0);
    }

    [Fact]
    public async Task A_write_that_fails_is_recorded_too()
    {
        var operation = "fail " + Guid.NewGuid().ToString("N");
        var seen = new ConcurrentBag<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Journeys" && instrument.Name.StartsWith("journeys.sqlite.write.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == SqliteTelemetry.OperationTag && Equals(tag.Value, operation))
                {
                    seen.Add(instrument.Name);
                }
            }
        });
        listener.Start();
        using var database = _file.Open(_time);

        await Assert.ThrowsAsync<InvalidOperationException>(() => database.WriteAsync<int, int>(operation, 0, static (_, _) => throw new InvalidOperationException("fails inside the transaction"), CancellationToken.None).AsTask());

        Assert.Equal(["journeys.sqlite.write.duration", "journeys.sqlite.write.wait"], seen.Order(StringComparer.Ordinal));
    }
}
