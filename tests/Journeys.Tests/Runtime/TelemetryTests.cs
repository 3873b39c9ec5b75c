using System.Diagnostics.Metrics;
using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Tests.Runtime;

public sealed class TelemetryTests
{
    [Fact]
    public async Task Sends_are_measured_per_channel_without_customer_data()
    {
        var channel = new Channel("telemetry-check");
        long sent = 0;
        var tags = new List<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == JourneysTelemetry.Name && instrument.Name == "journeys.messages.sent")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, measurementTags, _) =>
        {
            foreach (var tag in measurementTags)
            {
                if (tag.Key == "journeys.channel" && Equals(tag.Value, channel.Name))
                {
                    Interlocked.Add(ref sent, value);
                    lock (tags)
                    {
                        tags.AddRange(measurementTags.ToArray().Select(t => t.Key));
                    }
                }
            }
        });
        listener.Start();

        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(new DateTimeOffset(2026, 5, 4, 9, 0, 0, TimeSpan.Zero)));
        services.AddJourneys(j => j.AddSender(channel, new RecordingChannelSender()).AddCampaigns(new Campaign("m", channel, "Hi")));
        await using var provider = services.BuildServiceProvider();
        await using var running = await EngineHost.RunHostedAsync(provider);
        var manager = provider.GetRequiredService<IJourneyManager>();
        await manager.CreateAsync(JourneyBuilder.Create("t", "T").EnterFromList(["a@example.com", "b@example.com", "c@example.com"])
            .Steps(p => p.Send(channel, "m")).Build());
        await manager.ActivateAsync("t");

        EngineHost.Eventually(() => Interlocked.Read(ref sent) == 3, "3 sends measured");
        lock (tags)
        {
            Assert.All(tags, t => Assert.Equal("journeys.channel", t));
        }
    }
}
