using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Journeys.Building;
using Journeys.Messaging;
using Journeys.Model;
using Journeys.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Journeys.Benchmarks;

/// <summary>
/// <c>slow-send [customers=2000] [slowMs=1000] [fastMs=1] [rounds=5] [maxConcurrentSends=16]</c>: what one slow provider call does to the messages
/// committed after it (the dispatcher's head-of-line wait). A fresh in-memory host per round, one shard (one dispatcher
/// loop), a journey that sends one push to each customer who publishes "go", a push sender that waits
/// <c>slowMs</c> for one customer and <c>fastMs</c> (a yield when 0) for everyone else, as a network provider would.
/// The slow customer publishes first; once its send has started, the others publish in one call. Reported per round:
/// from the others' publish to their last message sent, and each one's publish → sent latency (p50, p99, slowest).
/// </summary>
internal static class SlowSendProbe
{
    private const string SlowCustomer = "slow-customer";

    public static async Task RunAsync(int customers, int slowMs, int fastMs, int rounds, int maxConcurrentSends)
    {
        for (var round = 0; round < rounds; round++)
        {
            await RoundAsync(round, customers, slowMs, fastMs, maxConcurrentSends);
        }
    }

    private static async Task RoundAsync(int round, int customers, int slowMs, int fastMs, int maxConcurrentSends)
    {
        var sender = new TimedSender(TimeSpan.FromMilliseconds(slowMs), TimeSpan.FromMilliseconds(fastMs), customers);
        var services = new ServiceCollection();
        services.AddJourneys(j => j
            .AddSender(Channel.Push, sender)
            .AddCampaigns(new Campaign("hello", Channel.Push, "Hello"))
            .Configure(o =>
            {
                o.ShardCount = 1;
                o.MaxConcurrentSends = maxConcurrentSends;
            }));
        await using var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().ToArray();
        foreach (var service in hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }

        try
        {
            var manager = provider.GetRequiredService<IJourneyManager>();
            await manager.CreateAsync(JourneyBuilder.Create("probe", "Probe").EnterOnEvent("go").Steps(p => p.Send(Channel.Push, "hello", id: "push")).Build());
            await manager.ActivateAsync("probe");

            await manager.PublishAsync([new CustomerEvent(SlowCustomer, "go", ImmutableDictionary<string, FieldValue>.Empty, DateTimeOffset.UtcNow)]);
            await sender.SlowStarted.WaitAsync(TimeSpan.FromSeconds(30));
            var events = new CustomerEvent[customers];
            for (var i = 0; i < customers; i++)
            {
                events[i] = new CustomerEvent(BenchmarkData.CustomerId(i), "go", ImmutableDictionary<string, FieldValue>.Empty, DateTimeOffset.UtcNow);
            }

            var published = Stopwatch.GetTimestamp();
            await manager.PublishAsync(events);
            await sender.AllFast.WaitAsync(TimeSpan.FromSeconds(120));
            var whole = Stopwatch.GetElapsedTime(published);
            var latencies = sender.FastSentAt.Select(at => Stopwatch.GetElapsedTime(published, at).TotalMilliseconds).Order().ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {round}: {customers:N0} customers behind one {slowMs} ms send (others {fastMs} ms, {maxConcurrentSends} sends at a time): all sent in {whole.TotalMilliseconds:N0} ms; publish → sent p50 {Percentile(latencies, 0.50):N1} ms, p99 {Percentile(latencies, 0.99):N1} ms, slowest {latencies[^1]:N1} ms"));
            await sender.SlowDone.WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            foreach (var service in hosted.Reverse())
            {
                await service.StopAsync(CancellationToken.None);
            }
        }
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    /// <summary>Waits <c>slow</c> for <see cref="SlowCustomer"/>, <c>fast</c> for the others, and notes when each of theirs was sent.</summary>
    private sealed class TimedSender(TimeSpan slow, TimeSpan fast, int fastCount) : IChannelSender
    {
        private readonly TaskCompletionSource _slowStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _slowDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _allFast = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly long[] _sentAt = new long[fastCount];
        private int _fastSent;

        public Task SlowStarted => _slowStarted.Task;

        public Task SlowDone => _slowDone.Task;

        public Task AllFast => _allFast.Task;

        public IEnumerable<long> FastSentAt => _sentAt;

        public async ValueTask<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            if (message.CustomerId == SlowCustomer)
            {
                _slowStarted.TrySetResult();
                await Task.Delay(slow, cancellationToken);
                _slowDone.TrySetResult();
                return SendResult.Sent;
            }

            if (fast > TimeSpan.Zero)
            {
                await Task.Delay(fast, cancellationToken);
            }
            else
            {
                await Task.Yield();
            }

            var sent = Interlocked.Increment(ref _fastSent);
            _sentAt[sent - 1] = Stopwatch.GetTimestamp();
            if (sent == _sentAt.Length)
            {
                _allFast.TrySetResult();
            }

            return SendResult.Sent;
        }
    }
}
