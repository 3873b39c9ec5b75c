using System.Collections.Concurrent;
using Journeys.Building;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Journeys.Tests.Runtime;

/// <summary>
/// The host stopping (<see cref="IHost.StopAsync"/>, which must end well within <see cref="HostOptions.ShutdownTimeout"/>) while the engine
/// sends: it stops without hanging and without an error in the log, and what it had done is not done again by the
/// next start on the same stores.
/// </summary>
public sealed class HostShutdownTests
{
    private static readonly DateTimeOffset Start = new(2026, 5, 4, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_stop_while_one_message_waits_to_be_retried_keeps_the_sends_that_finished_and_the_next_start_sends_only_the_rest()
    {
        var stores = new SharedInMemoryStores(new FakeTimeProvider(Start));
        var logs = new ListLoggerProvider();

        // One enrollment, two messages in one commit (one dispatch): the first is accepted, the second fails
        // transiently and waits for its retry (a minute on the fake clock, which does not move) when the host stops.
        var first = new ScriptedSender(failTransiently: "second");
        using (var host = BuildHost(stores, first, logs))
        {
            await host.StartAsync();
            var manager = host.Services.GetRequiredService<IJourneyManager>();
            await manager.CreateAsync(JourneyBuilder.Create("two", "Two").EnterOnEvent("go")
                .Steps(p => p.Send(Channel.Push, "first", id: "push-1").Send(Channel.Push, "second", id: "push-2"))
                .Build());
            await manager.ActivateAsync("two");
            await manager.PublishAsync([new CustomerEvent("ana@example.com", "go", [], Start)]);
            EngineHost.Eventually(() => first.Accepted.ContainsKey("first") && first.Attempts("second") == 1, "the first message sent, the second waiting for its retry");

            var stop = host.StopAsync();
            Assert.Same(stop, await Task.WhenAny(stop, Task.Delay(TimeSpan.FromSeconds(20))));
            await stop;
        }

        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error);

        // The next start (another host on the same stores) takes the unfinished message once its lease has expired.
        var second = new ScriptedSender(failTransiently: null);
        using (var host = BuildHost(stores, second, logs))
        {
            await host.StartAsync();
            stores.Time.Advance(TimeSpan.FromMinutes(5));
            EngineHost.Eventually(
                () =>
                {
                    // Moved on while waiting: the new engine's dispatcher may set its timer just after a single step.
                    stores.Time.Advance(TimeSpan.FromSeconds(1));
                    return second.Accepted.ContainsKey("second");
                },
                "the second message sent after the restart");
            await host.StopAsync();
        }

        // The message accepted before the stop is not sent again (the provider would deliver it twice).
        Assert.False(second.Accepted.ContainsKey("first"), "the message accepted before the stop was sent again after the restart");
        Assert.Equal("first", Assert.Single(first.Accepted).Key);
    }

    private static IHost BuildHost(SharedInMemoryStores stores, IChannelSender push, ILoggerProvider logs) =>
        stores.BuildHost(
            j => j
                .AddSender(Channel.Push, push)
                .AddCampaigns(new Campaign("first", Channel.Push, "First"), new Campaign("second", Channel.Push, "Second"))
                .Configure(o =>
                {
                    o.DefaultChannelPolicy.RetryBaseDelay = TimeSpan.FromMinutes(1);
                    o.DefaultChannelPolicy.RetryMaxDelay = TimeSpan.FromMinutes(2);
                }),
            logs);

    /// <summary>Accepts every campaign's messages but one's, which fails transiently; records keys and attempts.</summary>
    private sealed class ScriptedSender(string? failTransiently) : IChannelSender
    {
        private readonly ConcurrentDictionary<string, int> _attempts = new(StringComparer.Ordinal);

        /// <summary>The idempotency key of each campaign's accepted message.</summary>
        public ConcurrentDictionary<string, string> Accepted { get; } = new(StringComparer.Ordinal);

        public int Attempts(string campaignId) => _attempts.TryGetValue(campaignId, out var n) ? n : 0;

        public ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            _attempts.AddOrUpdate(message.CampaignId, 1, static (_, n) => n + 1);
            if (message.CampaignId == failTransiently)
            {
                return new(SendResult.Transient("provider busy"));
            }

            Assert.True(Accepted.TryAdd(message.CampaignId, message.IdempotencyKey), $"{message.CampaignId} accepted twice by one sender");
            return new(SendResult.Sent);
        }
    }
}
